"""Processes and sockets for the fault tests: a standalone server to stop and start again, a
TCP proxy that forwards, answers 500 or hangs, a logging script to kill -9, and reading back."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

API = "/jupyter-tracker/api/v1"
HOST = "127.0.0.1"
VENV_BIN = Path(sys.executable).parent
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(check: Callable[[], T], timeout: float, what: str, interval: float = 0.05) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def create_token(db_url: str, blob_dir: Path) -> str:
    """An all-projects token, as ``jupyter tracker token create --all-projects`` makes it
    (in this process: it saves starting an interpreter per test). Migrates the database."""
    from jupyter_tracker.store.blobs import LocalBlobStore
    from jupyter_tracker.store.sql import SqlTrackerStore

    store = SqlTrackerStore(db_url, LocalBlobStore(str(blob_dir)))
    try:
        _, secret = store.create_token("tester", "fault tests", None)
    finally:
        store.close()
    return secret


def client_env(data_dir: Path, config_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a client process: its own Jupyter folders, nothing inherited that
    names a tracker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_TRACKER_")}
    env.update(
        JUPYTER_DATA_DIR=str(data_dir),
        JUPYTER_CONFIG_DIR=str(config_dir),
        JUPYTER_PLATFORM_DIRS="1",
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def run_sync(
    env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``jupyter tracker sync`` as a user types it."""
    return subprocess.run(
        [str(VENV_BIN / "jupyter"), "tracker", "sync", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class ServerProcess:
    """``jupyter tracker serve`` on one port and database; stop it and start it again."""

    def __init__(self, db_url: str, blob_dir: Path, port: int, log_path: Path) -> None:
        self.db_url = db_url
        self.blob_dir = blob_dir
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "jupyter_tracker.cli",
                    "--db-url",
                    self.db_url,
                    "--blob-dir",
                    str(self.blob_dir),
                    "serve",
                    "--ip",
                    HOST,
                    "--port",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"the server exited with {self.proc.returncode}:\n{self.log()}")
        try:
            with socket.create_connection((HOST, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def wait_ready(self, timeout: float = 60) -> None:
        wait_for(self.ready, timeout, f"the server on port {self.port}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        """The finalizer: whatever state the test left it in, it is gone afterwards."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


class Reader:
    """Reads runs back over HTTP, without the client under test."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token

    def get(self, path: str) -> tuple[dict[str, str], bytes]:
        request = urllib.request.Request(
            self.url + API + path, headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return {k.lower(): v for k, v in response.getheaders()}, response.read()

    def json(self, path: str) -> Any:
        return json.loads(self.get(path)[1])

    def runs(self, name: str | None = None) -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = self.json("/runs?project=sandbox&limit=1000")["runs"]
        return [r for r in runs if name is None or r["name"] == name]

    def run(self, run_id: str) -> dict[str, Any]:
        run: dict[str, Any] = self.json(f"/runs/{run_id}")
        return run

    def points(self, run_id: str, name: str) -> dict[str, np.ndarray]:
        """The series' columns (steps, timestamps, values); empty if it does not exist yet."""
        try:
            headers, body = self.get(f"/runs/{run_id}/points?name={name}&format=binary")
        except urllib.error.HTTPError as e:
            e.close()
            if e.code == 404:
                empty = np.zeros(0)
                return {"steps": empty, "timestamps": empty, "values": empty}
            raise
        names = headers["x-columns"].split(",")
        columns = np.frombuffer(body, dtype="<f8").reshape(len(names), -1)
        return dict(zip(names, columns, strict=True))


class FaultProxy:
    """127.0.0.1:<port> in front of the real server. Modes: ``forward``; ``fail``, every
    request answered with HTTP 500; ``hang``, requests read and never answered. Switching
    the mode drops the connections open so far."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.mode = "forward"
        self.requests = 0
        self._listener = socket.create_server((HOST, 0))
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._threads: list[threading.Thread] = []
        self._spawn(self._accept)

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _track(self, sock: socket.socket) -> bool:
        with self._lock:
            if self._closed:
                sock.close()
                return False
            self._open.add(sock)
            return True

    def set_mode(self, mode: str) -> None:
        assert mode in ("forward", "fail", "hang")
        self.mode = mode
        self._drop_all()

    def _drop_all(self) -> None:
        with self._lock:
            socks, self._open = list(self._open), set()
        for sock in socks:
            _shut(sock)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        _shut(self._listener)
        self._drop_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            if not self._track(conn):
                return
            mode = self.mode
            if mode == "forward":
                try:
                    upstream = socket.create_connection((HOST, self.upstream_port), timeout=5)
                except OSError:
                    _shut(conn)
                    continue
                upstream.settimeout(None)
                if not self._track(upstream):
                    _shut(conn)
                    return
                self._spawn(_pump, conn, upstream)
                self._spawn(_pump, upstream, conn)
            else:
                self._spawn(self._answer, conn, mode)

    def _answer(self, conn: socket.socket, mode: str) -> None:
        """Read requests off ``conn``; answer each with 500, or never."""
        data = b""
        try:
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, data = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    key, _, value = line.partition(b":")
                    if key.strip().lower() == b"content-length":
                        length = int(value)
                while len(data) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                data = data[length:]
                self.requests += 1
                if mode == "hang":
                    continue
                body = b'{"message": "injected failure"}'
                conn.sendall(
                    b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )
        except OSError:
            return
        finally:
            _shut(conn)


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                break
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        _shut(src)
        _shut(dst)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


LOGGING_SCRIPT = """\
import sys
import time

import jupyter_tracker as tracker

progress_path, run_name, burst = sys.argv[1], sys.argv[2], int(sys.argv[3])
tracker.init(project_qualified_name="sandbox")
exp = tracker.create_experiment(
    name=run_name,
    upload_source_files=[],
    upload_stdout=False,
    upload_stderr=False,
    send_hardware_metrics=False,
    handle_uncaught_exceptions=False,
    git_info=False,
)
with open(progress_path, "w") as progress:
    progress.write(f"run {exp.id}\\n")
    progress.flush()
    step = 0
    while True:
        for _ in range(burst):
            exp.log_metric("loss", step, float(step))
            step += 1
        # Everything up to this step was logged by this time.
        progress.write(f"{step - 1} {time.time()!r}\\n")
        progress.flush()
        time.sleep(0.002)
"""


def read_progress(path: Path) -> tuple[str | None, list[tuple[int, float]]]:
    """The run id the script wrote and its (last step, time) lines; a torn last line is
    skipped."""
    run_id = None
    marks: list[tuple[int, float]] = []
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None, []
    for line in text.split("\n")[:-1]:  # only whole lines
        parts = line.split()
        if len(parts) == 2 and parts[0] == "run":
            run_id = parts[1]
            continue
        try:
            marks.append((int(parts[0]), float(parts[1])))
        except (ValueError, IndexError):
            continue
    return run_id, marks
