"""Faults between the client and the server: a logging process killed with SIGKILL, the server
restarted mid-run, the network refused for a while, offline mode, a server that answers 500 or
never answers. Each test runs a real standalone server in a subprocess on its own port and
database, and checks that every point arrives exactly once, sooner or later (by
``jupyter tracker sync``), while logging calls never block and never raise."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from faults_harness import (
    HOST,
    LOGGING_SCRIPT,
    FaultProxy,
    Reader,
    ServerProcess,
    client_env,
    create_token,
    free_port,
    read_progress,
    run_sync,
    wait_for,
)

import jupyter_tracker as tracker
from jupyter_tracker.client.experiment import Experiment
from jupyter_tracker.client.project import Project

BURST = 50  # log_metric calls between two pauses of the logging loops
PAUSE = 0.002


@dataclass
class Client:
    """Where this test's clients keep their journals, and their environment."""

    data_dir: Path
    config_dir: Path
    token: str

    @property
    def journal_root(self) -> Path:
        return self.data_dir / "jupyter_tracker" / "journal"

    def journals(self) -> list[Path]:
        root = self.journal_root
        return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []

    def env(self, **extra: str) -> dict[str, str]:
        return client_env(
            self.data_dir, self.config_dir, JUPYTER_TRACKER_API_TOKEN=self.token, **extra
        )


@pytest.fixture
def token(db_url: str, blob_dir: Path) -> str:
    return create_token(db_url, blob_dir)


@pytest.fixture
def client(tmp_path: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> Client:
    """Jupyter folders of this test's own, for subprocesses and for this process alike."""
    c = Client(tmp_path / "data", tmp_path / "config", token)
    for name in ("JUPYTER_TRACKER_URL", "JUPYTER_TRACKER_API_TOKEN", "JUPYTER_TRACKER_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(c.data_dir))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(c.config_dir))
    return c


@pytest.fixture
def make_server(
    db_url: str, blob_dir: Path, tmp_path: Path, token: str
) -> Iterator[Callable[[int | None], ServerProcess]]:
    """Servers on this test's database (not started); each is killed at the end."""
    servers: list[ServerProcess] = []

    def make(port: int | None = None) -> ServerProcess:
        server = ServerProcess(
            db_url, blob_dir, port or free_port(), tmp_path / f"server-{len(servers)}.log"
        )
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.kill()


@pytest.fixture
def server(make_server: Callable[[int | None], ServerProcess]) -> ServerProcess:
    s = make_server(None)
    s.start()
    s.wait_ready()
    return s


@pytest.fixture
def reader(token: str) -> Callable[[ServerProcess], Reader]:
    return lambda s: Reader(s.url, token)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Subprocesses a test starts; any still alive at the end are killed."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def experiments() -> Iterator[list[Experiment]]:
    """Experiments a test starts in this process; any still running at the end are stopped
    without waiting long, so a failing test leaves no thread behind that sends on."""
    started: list[Experiment] = []
    yield started
    for exp in started:
        if not exp._stopped:
            exp.stop(timeout=1.0)
        if exp._worker is not None:
            exp._worker.join(timeout=10)


@pytest.fixture
def thread_errors(monkeypatch: pytest.MonkeyPatch) -> list[threading.ExceptHookArgs]:
    """Exceptions that escaped any thread during the test."""
    errors: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", errors.append)
    return errors


def start_experiment(project: Project, name: str, started: list[Experiment]) -> Experiment:
    exp = project.create_experiment(
        name=name,
        upload_source_files=[],
        upload_stdout=False,
        upload_stderr=False,
        send_hardware_metrics=False,
        handle_uncaught_exceptions=False,
        git_info=False,
    )
    started.append(exp)
    return exp


@dataclass
class Timing:
    """How long the logging calls of one loop took."""

    calls: int = 0
    in_calls: float = 0.0  # seconds spent inside log_metric
    slowest_burst: float = 0.0  # the longest BURST calls in a row
    wall: float = 0.0

    @property
    def per_call(self) -> float:
        return self.in_calls / max(self.calls, 1)

    @property
    def per_burst(self) -> float:
        """Wall time per BURST calls and pause: the pace of the loop."""
        return self.wall * BURST / max(self.calls, 1)


def log_loop(
    exp: Experiment,
    step: int,
    *,
    bursts: int | None = None,
    seconds: float | None = None,
    until: Callable[[], bool] | None = None,
    timeout: float = 60.0,
) -> tuple[int, Timing]:
    """Log ``loss`` = 2 * step + 1 in bursts of BURST calls with a short pause between bursts:
    ``bursts`` of them, or for ``seconds``, or until ``until()``. Returns the next step."""
    timing = Timing()
    start = time.perf_counter()
    done = 0
    while True:
        now = time.perf_counter()
        if bursts is not None and done >= bursts:
            break
        if seconds is not None and now - start >= seconds:
            break
        if until is not None and done % 25 == 0 and until():
            break
        assert now - start < timeout, "the logging loop ran out of time"
        t0 = time.perf_counter()
        for _ in range(BURST):
            exp.log_metric("loss", step, 2.0 * step + 1.0)
            step += 1
        spent = time.perf_counter() - t0
        timing.calls += BURST
        timing.in_calls += spent
        timing.slowest_burst = max(timing.slowest_burst, spent)
        done += 1
        time.sleep(PAUSE)
    timing.wall = time.perf_counter() - start
    return step, timing


def assert_exactly(columns: dict[str, np.ndarray], count: int) -> None:
    """Steps 0..count-1, each once, in order, with the values logged for them."""
    steps, values = columns["steps"], columns["values"]
    assert len(steps) == count, f"{len(steps)} points on the server, {count} logged"
    assert np.array_equal(steps, np.arange(count, dtype=np.float64))
    assert np.array_equal(values, 2.0 * steps + 1.0)


# 1. kill -9 of a logging process, then sync


def test_sigkill_of_a_logging_process_then_sync_recovers_every_point(
    server: ServerProcess,
    client: Client,
    reader: Callable[[ServerProcess], Reader],
    processes: list[subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    # Given a script that logs step i with value i in a loop, and says how far it got when
    script = tmp_path / "log_forever.py"
    script.write_text(LOGGING_SCRIPT)
    progress = tmp_path / "progress.txt"
    env = client.env(JUPYTER_TRACKER_URL=server.url)
    with (tmp_path / "script.log").open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(script), str(progress), "killed run", str(BURST)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    processes.append(proc)

    def logged() -> int:
        assert proc.poll() is None, (tmp_path / "script.log").read_text()
        marks = read_progress(progress)[1]
        return marks[-1][0] + 1 if marks else 0

    # When it has logged several thousand points, and then goes on for 1.5 s more
    wait_for(lambda: logged() >= 5000, 60, "5000 points logged")
    time.sleep(1.6)
    assert proc.poll() is None
    killed_at = time.time()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    run_id, marks = read_progress(progress)
    assert run_id is not None and run_id.startswith("SAN-"), "the run was created at once"
    # everything up to this step had been logged a second before the kill
    must_have = max(step for step, at in marks if at <= killed_at - 1.0) + 1
    at_most = marks[-1][0] + 1 + BURST
    assert must_have >= 5000
    assert len(client.journals()) == 1

    # And its journal is synced
    synced = run_sync(env)
    assert synced.returncode == 0, synced.stderr + synced.stdout
    assert "synced 1 run(s)" in synced.stdout

    # Then every point logged up to a second before the kill is on the server, each once,
    # in one run
    api = reader(server)
    assert [r["id"] for r in api.runs("killed run")] == [run_id]
    columns = api.points(run_id, "loss")
    count = len(columns["steps"])
    assert must_have <= count <= at_most, (must_have, count, at_most)
    steps = columns["steps"]
    assert np.all(np.diff(steps) > 0), "a step arrived twice or out of order"
    assert np.array_equal(steps, np.arange(count, dtype=np.float64))
    assert np.array_equal(columns["values"], steps)
    assert client.journals() == []

    # And a second sync finds nothing to upload
    again = run_sync(env)
    assert again.returncode == 0, again.stderr
    assert "synced 0 run(s), 0 record(s)" in again.stdout
    assert len(api.points(run_id, "loss")["steps"]) == count
    assert len(api.runs("killed run")) == 1


# 2. the server restarted during a run


def test_server_restart_during_a_run_loses_and_repeats_nothing(
    server: ServerProcess,
    client: Client,
    reader: Callable[[ServerProcess], Reader],
    experiments: list[Experiment],
    thread_errors: list[threading.ExceptHookArgs],
) -> None:
    # Given a run logging to a server
    project = tracker.init("sandbox", api_token=client.token, url=server.url)
    exp = start_experiment(project, "restarted", experiments)
    run_id = exp.id
    assert run_id.startswith("SAN-")
    step, up = log_loop(exp, 0, bursts=300)

    # When the server stops mid-run, logging goes on as fast as before
    assert server.stop(signal.SIGTERM) == 0
    step, down = log_loop(exp, step, bursts=500)
    # and while it starts again on the same port and database
    server.start()
    step, starting = log_loop(exp, step, until=server.ready, timeout=60)
    step, back = log_loop(exp, step, bursts=100)
    delivery = exp.stop(timeout=30)

    # Then stop() returns with nothing pending
    assert delivery.ok and delivery.pending == 0, delivery
    assert client.journals() == [], "a delivered run's journal is removed"
    # and every point is on the server once
    api = reader(server)
    assert_exactly(api.points(run_id, "loss"), step)
    assert [r["id"] for r in api.runs("restarted")] == [run_id]
    assert api.run(run_id)["state"] == "succeeded"
    # and no logging call waited for the network
    for timing in (down, starting, back):
        assert timing.slowest_burst < 0.25, timing
        assert timing.per_call < 5 * up.per_call + 20e-6, (up, timing)
    assert down.per_burst < 2 * up.per_burst, (up, down)
    assert thread_errors == []


# 3. the network refused for a while, then back


def test_run_created_later_when_the_server_comes_up(
    make_server: Callable[[int | None], ServerProcess],
    client: Client,
    reader: Callable[[ServerProcess], Reader],
    experiments: list[Experiment],
    thread_errors: list[threading.ExceptHookArgs],
) -> None:
    # Given a URL where nothing listens yet
    server = make_server(None)
    project = tracker.init("sandbox", api_token=client.token, url=server.url)
    # When an experiment is created there, it is created offline, at once
    t0 = time.monotonic()
    exp = start_experiment(project, "late server", experiments)
    assert time.monotonic() - t0 < 5
    assert exp.id.startswith("offline-")
    step, refused = log_loop(exp, 0, bursts=100)
    assert exp.id.startswith("offline-")

    # And then the server comes up on that port
    server.start()
    step, starting = log_loop(exp, step, until=server.ready, timeout=60)
    logged = step

    # Then the run appears by itself, with every point once, and the experiment takes its id
    api = reader(server)
    runs = wait_for(lambda: api.runs("late server"), 60, "the run on the server")
    assert len(runs) == 1
    run_id = runs[0]["id"]
    wait_for(
        lambda: len(api.points(run_id, "loss")["steps"]) >= logged,
        60,
        f"{logged} points on the server",
    )
    assert exp.id == run_id
    assert_exactly(api.points(run_id, "loss"), logged)
    # and what is logged from now on goes to the same run
    step, _ = log_loop(exp, step, bursts=20)
    delivery = exp.stop(timeout=30)
    assert delivery.ok, delivery
    assert_exactly(api.points(run_id, "loss"), step)
    assert len(api.runs("late server")) == 1
    assert api.run(run_id)["state"] == "succeeded"
    assert refused.slowest_burst < 0.25 and starting.slowest_burst < 0.25
    assert thread_errors == []


# 4. offline mode, then sync


def test_offline_mode_then_sync_uploads_everything_once(
    make_server: Callable[[int | None], ServerProcess],
    client: Client,
    reader: Callable[[ServerProcess], Reader],
    experiments: list[Experiment],
    monkeypatch: pytest.MonkeyPatch,
    thread_errors: list[threading.ExceptHookArgs],
) -> None:
    # Given a tracker URL in the environment where a bare socket notes any connection
    sentinel = socket.create_server((HOST, 0))
    port = sentinel.getsockname()[1]
    url = f"http://{HOST}:{port}"
    monkeypatch.setenv("JUPYTER_TRACKER_URL", url)
    monkeypatch.setenv("JUPYTER_TRACKER_API_TOKEN", client.token)
    try:
        # When a run is logged in offline mode
        project = tracker.init("sandbox", mode="offline")
        exp = start_experiment(project, "offline run", experiments)
        assert exp.id.startswith("offline-")
        step, _ = log_loop(exp, 0, bursts=60)
        exp.log_text("notes", "written offline")
        exp.set_property("where", "train")
        t0 = time.monotonic()
        delivery = exp.stop(timeout=10)
        # Then stop() returns at once, with all of it kept in the journal
        assert time.monotonic() - t0 < 2
        assert delivery.pending > 0 and delivery.error, delivery
        assert len(client.journals()) == 1
        # and nothing tried to reach the server
        sentinel.setblocking(False)
        with pytest.raises(BlockingIOError):
            sentinel.accept()
    finally:
        sentinel.close()

    # When the server is up and the journal is synced
    server = make_server(port)
    server.start()
    server.wait_ready()
    env = client.env()
    synced = run_sync(env, "--url", url)
    # Then a progress bar shows on stderr, and every record is uploaded once
    assert synced.returncode == 0, synced.stderr + synced.stdout
    assert "synced 1 run(s)" in synced.stdout
    assert "[" + "#" * 30 + "]" in synced.stderr, synced.stderr
    api = reader(server)
    runs = api.runs("offline run")
    assert len(runs) == 1
    run_id = runs[0]["id"]
    assert_exactly(api.points(run_id, "loss"), step)
    run = api.run(run_id)
    assert run["state"] == "succeeded"
    assert run["properties"] == {"where": "train"}
    entries = api.json(f"/runs/{run_id}/entries?name=notes")["entries"]
    assert [e["text"] for e in entries] == ["written offline"]
    assert client.journals() == []

    # And a second sync changes nothing
    again = run_sync(env, "--url", url)
    assert again.returncode == 0, again.stderr
    assert "synced 0 run(s), 0 record(s)" in again.stdout
    assert len(api.runs("offline run")) == 1
    assert_exactly(api.points(run_id, "loss"), step)
    assert thread_errors == []


# 5. a server that answers 500 or never answers


@pytest.mark.parametrize("fault", ["fail", "hang"])
def test_failing_or_hanging_server_never_blocks_nor_raises(
    fault: str,
    server: ServerProcess,
    client: Client,
    reader: Callable[[ServerProcess], Reader],
    experiments: list[Experiment],
    thread_errors: list[threading.ExceptHookArgs],
) -> None:
    # Given a run logging through a proxy to the server, delivered so far
    proxy = FaultProxy(server.port)
    try:
        project = tracker.init("sandbox", api_token=client.token, url=proxy.url)
        exp = start_experiment(project, f"{fault} run", experiments)
        run_id = exp.id
        assert run_id.startswith("SAN-")
        step, before = log_loop(exp, 0, bursts=40)
        assert exp.flush(timeout=30).ok

        # When the server starts to answer 500, or to never answer
        proxy.set_mode(fault)
        step, faulty = log_loop(exp, step, seconds=1.0)
        exp.set_property("after", fault)
        t0 = time.monotonic()
        delivery = exp.stop(timeout=1.5)
        stopped_in = time.monotonic() - t0

        # Then logging stayed fast, stop() kept to its timeout and said what is pending
        assert faulty.slowest_burst < 0.25, faulty
        assert faulty.per_call < 5 * before.per_call + 20e-6, (before, faulty)
        assert stopped_in < 2.0, f"stop(timeout=1.5) took {stopped_in:.2f} s"
        assert delivery.pending > 0, delivery
        assert delivery.error, delivery
        assert proxy.requests > 0, "the client did try to send"
        assert thread_errors == []
        # and the journal keeps it all
        (journal,) = client.journals()
        assert json.loads((journal / "meta.json").read_text())["run_id"] == run_id
    finally:
        # (the connections the client still waits on are dropped: its thread ends)
        proxy.close()
    worker = exp._worker
    assert worker is not None
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert thread_errors == []

    # When the journal is synced to the server directly
    env = client.env()
    synced = run_sync(env, "--url", server.url)
    assert synced.returncode == 0, synced.stderr + synced.stdout
    assert "synced 1 run(s)" in synced.stdout
    # Then the run has every point once, and its end
    api = reader(server)
    assert [r["id"] for r in api.runs(f"{fault} run")] == [run_id]
    assert_exactly(api.points(run_id, "loss"), step)
    run: dict[str, Any] = api.run(run_id)
    assert run["state"] == "succeeded"
    assert run["properties"] == {"after": fault}
    assert client.journals() == []
