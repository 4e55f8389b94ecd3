"""The per-run journal: gone once a run is delivered; kept by an offline run until
``jupyter tracker sync`` uploads it, exactly once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import jupyter_tracker as tracker

if TYPE_CHECKING:
    from conftest import ClientDirs, TrackerServer

QUIET = {"upload_stdout": False, "upload_stderr": False, "send_hardware_metrics": False}
JUPYTER = Path(sys.executable).parent / "jupyter"
POINTS = 250


async def sync(server: TrackerServer, *args: str, url: bool = True) -> tuple[int, str]:
    """``jupyter tracker sync`` as a user types it, in a shell that has the test's Jupyter
    directories, the token and (with ``url``) the tracker URL in its environment."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("JUPYTER_TRACKER_") or k == "JUPYTER_TRACKER_API_TOKEN"
    }
    env["JUPYTER_TRACKER_API_TOKEN"] = server.token
    if url:
        env["JUPYTER_TRACKER_URL"] = server.url
    done = await server.client(
        subprocess.run,
        [str(JUPYTER), "tracker", "sync", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def summary(output: str) -> str:
    (line,) = [x for x in output.splitlines() if x.startswith("synced ")]
    return line


def log_a_run(exp: tracker.Experiment, artifact: Path) -> None:
    """The same content for every run of these tests: POINTS metric points, three text
    lines, an image, an artifact, a property and a tag."""
    import numpy as np

    for i in range(POINTS):
        exp.log_metric("loss", 1.0 / (i + 1))
    for line in ("one", "two", "three"):
        exp.log_text("notes", line)
    exp.log_image("img", np.zeros((2, 3), dtype=np.uint8))
    exp.log_artifact(artifact)
    exp.set_property("where", "journal")
    exp.append_tag("synced")


async def assert_run_has_everything(server: TrackerServer, run_id: str) -> None:
    run = await server.get(f"runs/{run_id}")
    assert run["state"] == "succeeded"
    assert (run["properties"], run["tags"]) == ({"where": "journal"}, ["synced"])
    loss = await server.points(run_id, "loss")
    assert loss["count"] == POINTS
    assert loss["steps"] == [float(i) for i in range(POINTS)]
    assert loss["values"] == [1.0 / (i + 1) for i in range(POINTS)]
    assert [e["text"] for e in await server.entries(run_id, "notes")] == ["one", "two", "three"]
    assert len(await server.entries(run_id, "img")) == 1
    assert await server.artifact(run_id, "model.txt") == b"weights"


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    path = tmp_path / "model.txt"
    path.write_bytes(b"weights")
    return path


async def test_a_delivered_run_removes_its_journal(
    tracker_server: TrackerServer, client_dirs: ClientDirs, artifact: Path
) -> None:
    # Given a running experiment: its journal folder exists while it logs
    def scenario() -> tuple[str, list[Path], list[str], tracker.Delivery]:
        tracker.init(url=tracker_server.url, api_token=tracker_server.token)
        exp = tracker.create_experiment(name="journaled", **QUIET)
        log_a_run(exp, artifact)
        exp.flush()
        folders = client_dirs.journal_folders()
        files = sorted(p.name for p in folders[0].iterdir()) if folders else []
        # When it stops and everything was delivered
        delivery = exp.stop()
        return exp.id, folders, files, delivery

    run_id, folders, files, delivery = await tracker_server.client(scenario)
    assert len(folders) == 1
    assert {"meta.json", "records.log", "acked"} <= set(files)
    assert delivery.ok
    # Then the folder is gone, and the run has everything
    assert client_dirs.journal_folders() == []
    await assert_run_has_everything(tracker_server, run_id)


async def test_an_offline_run_is_uploaded_once_by_jupyter_tracker_sync(
    tracker_server: TrackerServer,
    client_dirs: ClientDirs,
    artifact: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a run logged offline: nothing is sent, the journal is kept
    def offline() -> tuple[str, tracker.Delivery]:
        tracker.init(mode="offline")
        exp = tracker.create_experiment(name="offline run", params={"lr": 0.5}, **QUIET)
        log_a_run(exp, artifact)
        return exp.id, exp.stop()

    offline_id, delivery = await tracker_server.client(offline)
    assert offline_id.startswith("offline-")
    assert not delivery.ok
    assert any("jupyter tracker sync" in r.getMessage() for r in caplog.records)
    (folder,) = client_dirs.journal_folders()
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["run_id"] is None
    assert await tracker_server.runs() == []

    # When the user runs `jupyter tracker sync`
    code, output = await sync(tracker_server)
    # Then the run is created once, with everything that was logged, and the journal is gone
    assert code == 0, output
    assert summary(output).startswith("synced 1 run(s)")
    (run,) = await tracker_server.runs()
    assert (run["name"], run["params"]) == ("offline run", {"lr": 0.5})
    await assert_run_has_everything(tracker_server, run["id"])
    assert client_dirs.journal_folders() == []

    # And a second sync uploads nothing and duplicates nothing
    code, output = await sync(tracker_server)
    assert code == 0, output
    assert summary(output).startswith("synced 0 run(s), 0 record(s)")
    assert [r["id"] for r in await tracker_server.runs()] == [run["id"]]
    await assert_run_has_everything(tracker_server, run["id"])


async def test_syncing_the_same_journal_again_changes_nothing(
    tracker_server: TrackerServer, client_dirs: ClientDirs, artifact: Path, tmp_path: Path
) -> None:
    # Given an offline run's journal, and a copy of it as it was before any sync (as if a
    # sync uploaded everything but died before it could remove the folder)
    def offline() -> None:
        exp = tracker.init(mode="offline").create_experiment(name="twice", **QUIET)
        log_a_run(exp, artifact)
        exp.stop()

    await tracker_server.client(offline)
    (folder,) = client_dirs.journal_folders()
    copy = tmp_path / "journal-copy"
    shutil.copytree(folder, copy)
    code, output = await sync(tracker_server)
    assert code == 0, output
    (run,) = await tracker_server.runs()

    # When the old copy is synced once more
    shutil.copytree(copy, folder)
    code, output = await sync(tracker_server)
    # Then it reaches the same run and every record is applied once only
    assert code == 0, output
    assert summary(output).startswith("synced 1 run(s)")
    assert [r["id"] for r in await tracker_server.runs()] == [run["id"]]
    await assert_run_has_everything(tracker_server, run["id"])


async def test_sync_leaves_a_journal_alone_while_its_run_is_still_logging(
    tracker_server: TrackerServer, client_dirs: ClientDirs, artifact: Path
) -> None:
    # Given an offline run that is still running in this process
    def begin() -> tracker.Experiment:
        exp = tracker.init(mode="offline").create_experiment(name="live", **QUIET)
        exp.log_metric("loss", 1.0)
        exp.flush()
        return exp

    exp = await tracker_server.client(begin)
    # When sync runs meanwhile
    code, output = await sync(tracker_server)
    # Then it skips that journal
    assert code == 0, output
    assert "1 in use by a running process" in summary(output)
    assert await tracker_server.runs() == []
    assert len(client_dirs.journal_folders()) == 1

    # And once the run has ended, the next sync uploads all of it
    def finish() -> None:
        for i in range(1, POINTS):
            exp.log_metric("loss", 1.0 / (i + 1))
        for line in ("one", "two", "three"):
            exp.log_text("notes", line)
        import numpy as np

        exp.log_image("img", np.zeros((2, 3), dtype=np.uint8))
        exp.log_artifact(artifact)
        exp.set_property("where", "journal")
        exp.append_tag("synced")
        exp.stop()

    await tracker_server.client(finish)
    code, output = await sync(tracker_server)
    assert code == 0, output
    (run,) = await tracker_server.runs()
    await assert_run_has_everything(tracker_server, run["id"])


async def test_sync_without_a_url_anywhere_reports_the_journal_failed_and_keeps_it(
    tracker_server: TrackerServer, client_dirs: ClientDirs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an offline run that never knew a URL (not even the one the server exported)
    monkeypatch.delenv("JUPYTER_TRACKER_URL")

    def offline() -> None:
        exp = tracker.init(mode="offline").create_experiment(name="nowhere", **QUIET)
        exp.log_metric("loss", 1.0)
        exp.stop()

    await tracker_server.client(offline)
    code, output = await sync(tracker_server, url=False)
    assert code == 1, output
    assert "no tracker URL" in output
    assert "1 failed" in summary(output)
    assert len(client_dirs.journal_folders()) == 1
    # and with --url it goes through
    code, output = await sync(tracker_server, "--url", tracker_server.url, url=False)
    assert code == 0, output
    assert len(await tracker_server.runs()) == 1


async def test_an_offline_run_can_name_its_tracker_for_the_later_sync(
    tracker_server: TrackerServer, client_dirs: ClientDirs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an offline run told where its tracker is, with no URL in the environment
    monkeypatch.delenv("JUPYTER_TRACKER_URL")

    def offline() -> Any:
        project = tracker.init("sandbox", url=tracker_server.url, mode="offline")
        exp = project.create_experiment(name="named", **QUIET)
        exp.log_metric("loss", 1.0)
        exp.stop()
        return project._api

    assert await tracker_server.client(offline) is None  # offline: it sent nothing
    # When sync runs with no URL in its environment, it uses the one the run recorded
    code, output = await sync(tracker_server, url=False)
    assert code == 0, output
    (run,) = await tracker_server.runs()
    assert run["name"] == "named"
    assert (await tracker_server.points(run["id"], "loss"))["values"] == [1.0]


def closed_port() -> int:
    """A local port nothing listens on."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def open_journal(folder: Path, timeout: float = 10.0) -> Any:
    """The journal, once the run's delivery thread (which may outlive a stop that timed out
    by one cycle) has let go of it."""
    import time

    from jupyter_tracker.client.journal import Journal, JournalLocked

    deadline = time.monotonic() + timeout
    while True:
        try:
            return Journal(folder)
        except JournalLocked:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


async def test_a_run_cut_off_from_its_tracker_journals_what_it_logs_and_no_more(
    tracker_server: TrackerServer,
    client_dirs: ClientDirs,
    artifact: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jupyter_tracker.client import worker

    # Given a run whose tracker is away the whole time, with frequent heartbeats due
    monkeypatch.setattr(worker, "HEARTBEAT_INTERVAL", 0.2)
    away = f"http://127.0.0.1:{closed_port()}/"

    def cut_off() -> tracker.Delivery:
        exp = tracker.init(url=away, api_token=tracker_server.token).create_experiment(
            name="cut off", **QUIET
        )
        log_a_run(exp, artifact)
        import time

        time.sleep(2.0)  # ten heartbeat intervals with nothing to send
        return exp.stop(timeout=0.5)

    delivery = await tracker_server.client(cut_off)
    assert not delivery.ok
    # Then its journal holds what it logged, not a heartbeat per interval
    (folder,) = client_dirs.journal_folders()
    journal = await tracker_server.client(open_journal, folder)
    try:
        records = journal.pending()
    finally:
        journal.close()
    assert 2 <= len(records) <= 5, [r.payload[:80] for r in records]
    # And sync takes all of it to the tracker that is there now
    code, output = await sync(tracker_server, "--url", tracker_server.url)
    assert code == 0, output
    (run,) = await tracker_server.runs()
    await assert_run_has_everything(tracker_server, run["id"])
