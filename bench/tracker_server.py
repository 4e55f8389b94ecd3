"""A tracker server for the benchmarks, in a subprocess on 127.0.0.1: the standalone team
server (``jupyter tracker serve`` with an API token of its own) or a Jupyter server with the
extension. Its Jupyter configuration and data folders are the benchmark's own."""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
API = "/jupyter-tracker/api/v1"
PROJECT = "sandbox"
SERVER_START_TIMEOUT = 90.0
SERVER_STOP_TIMEOUT = 20.0


class BenchError(RuntimeError):
    """A benchmark could not measure what it set out to."""


@dataclass
class Server:
    """A tracker server in a subprocess, listening on 127.0.0.1:``port``; ``authorization``
    is the header value its requests carry."""

    process: subprocess.Popen[bytes]
    port: int
    authorization: str
    log_path: Path
    kind: str

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM (the server shuts down cleanly), SIGKILL if it does not exit in time."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    # Keep the user's Jupyter configuration and runtime files out of the measurement.
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        path = workdir / name.lower()
        path.mkdir(exist_ok=True)
        env[name] = str(path)
    env.pop("JUPYTER_TRACKER_DB_URL", None)
    return env


def _spawn(args: list[str], workdir: Path, kind: str, port: int, authorization: str) -> Server:
    log_path = workdir / "server.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            args,
            cwd=workdir,
            env=server_env(workdir),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(process, port, authorization, log_path, kind)


def start_team_server(db_url: str, blob_dir: Path, workdir: Path) -> Server:
    """The standalone team server of ``jupyter_tracker.cli``, with an API token of its own."""
    cli = [sys.executable, "-m", "jupyter_tracker.cli", "--db-url", db_url, "--blob-dir"]
    made = subprocess.run(
        [*cli, str(blob_dir), "token", "create", "--project", PROJECT],
        cwd=workdir,
        env=server_env(workdir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = made.stdout.strip().splitlines()
    if made.returncode != 0 or not lines:
        raise BenchError(f"token create failed ({made.returncode}):\n{made.stderr[-2000:]}")
    port = free_port()
    args = [*cli, str(blob_dir), "serve", "--ip", "127.0.0.1", "--port", str(port)]
    return _spawn(args, workdir, "team server", port, f"Bearer {lines[-1].strip()}")


def start_jupyter_server(db_url: str, blob_dir: Path, workdir: Path) -> Server:
    """A Jupyter server with the extension enabled, authenticated by its own token."""
    port = free_port()
    secret = secrets.token_hex(24)
    root = workdir / "root"
    root.mkdir(exist_ok=True)
    args = [
        sys.executable,
        "-m",
        "jupyter_server",
        '--ServerApp.jpserver_extensions={"jupyter_tracker": True}',
        f"--TrackerExtension.db_url={db_url}",
        f"--TrackerExtension.blob_dir={blob_dir}",
        f"--TrackerExtension.default_project={PROJECT}",
        "--TrackerExtension.export_environment=False",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.token={secret}",
        "--ServerApp.open_browser=False",
        "--ServerApp.ip=127.0.0.1",
        "--allow-root",
        f"--ServerApp.root_dir={root}",
    ]
    return _spawn(args, workdir, "jupyter server", port, f"token {secret}")


def team_server_available() -> bool:
    return (REPO / "jupyter_tracker" / "cli.py").is_file()


def start_server(db_url: str, workdir: Path, kind: str) -> Server:
    """Start the server of ``kind`` (``cli``, ``jupyter`` or ``auto``) on ``db_url``; wait for it.

    ``auto`` takes the standalone team server when ``jupyter_tracker/cli.py`` exists, else a
    Jupyter server with the extension. Either way the result answers the same API.
    """
    if kind == "auto":
        kind = "cli" if team_server_available() else "jupyter"
    blob_dir = workdir / "blobs"
    blob_dir.mkdir(exist_ok=True)
    starter = start_team_server if kind == "cli" else start_jupyter_server
    server = starter(db_url, blob_dir, workdir)
    try:
        _wait_until_answering(server)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_answering(server: Server) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(
                f"the {server.kind} exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            connection.request("GET", f"{API}/me", headers={"Authorization": server.authorization})
            reply = connection.getresponse()
            status, data = reply.status, reply.read()
        except OSError:
            time.sleep(0.1)
            continue
        finally:
            connection.close()
        if status == 200:
            return
        if status in (401, 403):
            raise BenchError(f"the {server.kind} refused our credentials: {data[:300]!r}")
        time.sleep(0.1)
    raise BenchError(f"the {server.kind} did not answer in time:\n{server.log_tail()}")


@contextlib.contextmanager
def running(db_url: str, workdir: Path, kind: str = "auto") -> Iterator[Server]:
    """:func:`start_server`, stopped on leaving the block."""
    server = start_server(db_url, workdir, kind)
    try:
        yield server
    finally:
        server.stop()
