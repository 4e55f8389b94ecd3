"""How a script's run ends: an uncaught exception fails it with the traceback; a normal exit
without ``stop()`` succeeds it, with everything logged delivered."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from faults_harness import Reader, ServerProcess, client_env, create_token, free_port

SCRIPT = """
import jupyter_tracker as tracker
tracker.init()
exp = tracker.create_experiment(name={name!r}, send_hardware_metrics=False)
for i in range(1000):
    exp.log_metric("loss", i, 1.0 / (i + 1))
{ending}
"""


@pytest.fixture
def served(db_url: str, blob_dir: Path, tmp_path: Path) -> Iterator[tuple[ServerProcess, str]]:
    token = create_token(db_url, blob_dir)
    server = ServerProcess(db_url, blob_dir, free_port(), tmp_path / "serve.log")
    server.start()
    server.wait_ready()
    yield server, token
    server.stop()


def run_script(
    tmp_path: Path, server: ServerProcess, token: str, name: str, ending: str
) -> subprocess.CompletedProcess[str]:
    script = tmp_path / f"{name}.py"
    script.write_text(textwrap.dedent(SCRIPT.format(name=name, ending=ending)))
    env = client_env(
        tmp_path / "data",
        tmp_path / "config",
        JUPYTER_TRACKER_URL=server.url,
        JUPYTER_TRACKER_API_TOKEN=token,
    )
    return subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def test_an_uncaught_exception_fails_the_run_with_its_traceback(
    served: tuple[ServerProcess, str], tmp_path: Path
) -> None:
    server, token = served
    # When a script raises and nothing catches it
    result = run_script(tmp_path, server, token, "crashes", "raise RuntimeError('diverged')")
    # Then Python still reports it as usual
    assert result.returncode == 1
    assert "RuntimeError: diverged" in result.stderr
    # And the run is failed, with the traceback, and every point logged before is there
    (run,) = Reader(server.url, token).runs("crashes")
    assert run["state"] == "failed"
    assert "RuntimeError: diverged" in run["exception"]
    assert len(Reader(server.url, token).points(run["id"], "loss")["steps"]) == 1000
    # And its source file was stored with it
    files = Reader(server.url, token).json(f"/runs/{run['id']}/source-files")["files"]
    assert [f["path"] for f in files] == ["crashes.py"]


def test_a_normal_exit_without_stop_succeeds_the_run(
    served: tuple[ServerProcess, str], tmp_path: Path
) -> None:
    server, token = served
    result = run_script(tmp_path, server, token, "finishes", "print('done')")
    assert result.returncode == 0, result.stderr
    (run,) = Reader(server.url, token).runs("finishes")
    assert run["state"] == "succeeded"
    assert run["exception"] is None
    assert len(Reader(server.url, token).points(run["id"], "loss")["steps"]) == 1000
    # What the script printed was recorded as its stdout
    entries = Reader(server.url, token).json(f"/runs/{run['id']}/entries?name=stdout")
    assert [e["text"] for e in entries["entries"]] == ["done"]
    assert not list((tmp_path / "data" / "jupyter_tracker" / "journal").glob("*"))
