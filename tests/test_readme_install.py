"""The README's first command, as a newcomer runs it: ``pip install .`` then ``jupyter lab``.

Builds the package from a clean copy of the tracked files into a new virtualenv (the frontend
is compiled by hatch-jupyter-builder on the way), then checks that Jupyter lists both halves of
the extension as enabled and that ``jupyter lab`` serves the API on its embedded SQLite store.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text)


def test_readme_opens_with_the_two_commands() -> None:
    first, second = readme_commands()[:2]
    assert first == "pip install . && jupyter lab"
    assert second == 'pip install -e ".[test]" && bash tests/run-all.sh'
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert second in ci


def _clean_copy(target: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            dest = target / name.decode()
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.skipif(shutil.which("node") is None, reason="building the frontend needs Node.js")
def test_pip_install_then_jupyter_lab_serves_the_tracker(tmp_path: Path) -> None:
    # Given a clean copy of the repository and a new virtualenv
    source = tmp_path / "src"
    _clean_copy(source)
    assert not (source / "jupyter_tracker" / "labextension").exists()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / "bin"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PIP_NO_INPUT": "1"}
    for name in ("JUPYTER_TRACKER_URL", "JUPYTER_TRACKER_API_TOKEN", "JUPYTER_TRACKER_DB_URL"):
        env.pop(name, None)
    env["JUPYTER_DATA_DIR"] = str(tmp_path / "data")
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "config")
    # When the README's install command runs
    install = subprocess.run(
        [str(bin_dir / "pip"), "install", "-q", "."],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    # Then Jupyter lists the Lab extension and the server extension as enabled and OK
    labext = subprocess.run(
        [str(bin_dir / "jupyter"), "labextension", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    listing = ANSI.sub("", labext.stdout + labext.stderr)
    assert re.search(r"jupyter-tracker v\S+ enabled\s+OK", listing), listing
    serverext = subprocess.run(
        [str(bin_dir / "jupyter"), "server", "extension", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    listing = ANSI.sub("", serverext.stdout + serverext.stderr)
    assert re.search(r"jupyter_tracker enabled", listing), listing
    assert re.search(r"jupyter_tracker \S+ OK", listing), listing
    # And `jupyter lab` serves the API from SQLite in the Jupyter data directory
    port = _free_port()
    log = (tmp_path / "lab.log").open("w")
    lab = subprocess.Popen(
        [
            str(bin_dir / "jupyter"),
            "lab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            "--ServerApp.token=readme-test",
            "--allow-root",
            f"--ServerApp.root_dir={tmp_path}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        url = f"http://127.0.0.1:{port}/jupyter-tracker/api/v1/projects"
        request = urllib.request.Request(url, headers={"Authorization": "token readme-test"})
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(request, timeout=10) as resp:
                    projects = json.load(resp)["projects"]
                break
            except OSError as error:
                if isinstance(error, urllib.error.HTTPError):
                    error.close()
                assert lab.poll() is None, (tmp_path / "lab.log").read_text()
                assert time.monotonic() < deadline, "jupyter lab did not answer"
                time.sleep(0.5)
        assert [p["name"] for p in projects] == ["sandbox"]
        assert (tmp_path / "data" / "jupyter_tracker" / "tracker.db").is_file()
        page = (
            urllib.request.urlopen(
                urllib.request.Request(f"http://127.0.0.1:{port}/lab", headers=request.headers),
                timeout=30,
            )
            .read()
            .decode()
        )
        assert "jupyter-tracker" in page
    finally:
        lab.terminate()
        lab.wait(timeout=60)
        log.close()
