"""run_details, git_info, notebook_path, kernel_id, the running cell and the kernel history: real
git repositories, processes, kernels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from jupyter_tracker.client.capture import (
    git_info,
    kernel_history,
    notebook_path,
    running_cell,
    strip_credentials,
)
from jupyter_tracker.client.capture.environment import kernel_id

NOTEBOOK = "/home/someone/project/analysis.ipynb"


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git configuration, and no repository above ``tmp_path``."""
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Ada Lovelace\n\temail = ada@example.test\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, timeout=30
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with one commit on ``main``."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "train.py").write_text("print('train')\n")
    git(path, "add", "train.py")
    git(path, "commit", "-q", "-m", "Add the training script\n\nWith a body.")
    return path


def test_git_info_of_a_clean_repository(repo: Path) -> None:
    info = git_info(str(repo))
    assert info is not None
    assert info["root"] == str(repo)
    assert info["sha"] == git(repo, "rev-parse", "HEAD")
    assert len(info["sha"]) == 40
    assert info["branch"] == "main"
    assert info["dirty"] is False
    assert info["remote"] is None
    assert info["message"] == "Add the training script"
    assert info["author"] == "Ada Lovelace"
    assert info["author_email"] == "ada@example.test"
    when = datetime.fromisoformat(info["commit_time"])
    assert when.tzinfo is not None
    assert abs((datetime.now(when.tzinfo) - when).total_seconds()) < 600


def test_changes_to_tracked_files_make_it_dirty(repo: Path) -> None:
    (repo / "notes.txt").write_text("untracked\n")
    assert git_info(str(repo))["dirty"] is False  # type: ignore[index]
    (repo / "train.py").write_text("print('changed')\n")
    assert git_info(str(repo))["dirty"] is True  # type: ignore[index]
    git(repo, "checkout", "--", "train.py")
    git(repo, "add", "notes.txt")  # staged counts too
    assert git_info(str(repo))["dirty"] is True  # type: ignore[index]


def test_branch_and_detached_head(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature/x")
    assert git_info(str(repo))["branch"] == "feature/x"  # type: ignore[index]
    git(repo, "checkout", "-q", "--detach")
    info = git_info(str(repo))
    assert info is not None
    assert info["branch"] is None
    assert info["sha"] == git(repo, "rev-parse", "HEAD")


def test_credentials_are_stripped_from_the_remote(repo: Path) -> None:
    git(repo, "remote", "add", "origin", "https://ada:s3cret-token@git.example.test/team/x.git")
    info = git_info(str(repo))
    assert info is not None
    assert info["remote"] == "https://git.example.test/team/x.git"
    assert "s3cret" not in json.dumps(info)


def test_a_file_or_subdirectory_finds_its_repository(repo: Path) -> None:
    (repo / "src").mkdir()
    assert git_info(str(repo / "src"))["root"] == str(repo)  # type: ignore[index]
    assert git_info(str(repo / "train.py"))["root"] == str(repo)  # type: ignore[index]


def test_the_working_directory_is_the_default(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    assert git_info()["root"] == str(repo)  # type: ignore[index]


def test_a_repository_without_commits(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    info = git_info(str(path))
    assert info is not None
    assert info["sha"] is None and info["message"] is None and info["commit_time"] is None
    assert info["branch"] == "main"
    assert info["dirty"] is False


def test_none_outside_a_repository_or_without_git(
    tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert git_info(str(plain)) is None
    assert git_info(str(tmp_path / "does-not-exist")) is None
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    assert git_info(str(repo)) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:token@host/x", "https://host/x"),
        ("https://ghp_token@github.com/o/r.git", "https://github.com/o/r.git"),
        ("http://u:p@host:8080/a?b=c#d", "http://host:8080/a?b=c#d"),
        ("https://u:p%40ss@host/x", "https://host/x"),
        ("ssh://git:password@host/x.git", "ssh://host/x.git"),
        ("ssh://git@host/x.git", "ssh://git@host/x.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("https://github.com/o/r.git", "https://github.com/o/r.git"),
        ("/srv/git/r.git", "/srv/git/r.git"),
    ],
)
def test_strip_credentials(url: str, expected: str) -> None:
    assert strip_credentials(url) == expected


DETAILS_SCRIPT = """
import json, sys, time
started = time.perf_counter()
from jupyter_tracker.client.capture import run_details
details = run_details()
elapsed = time.perf_counter() - started
heavy = [m for m in ("pandas", "sklearn", "torch", "tensorflow", "jax", "matplotlib")
         if m in sys.modules]
json.dump({"details": details, "elapsed": elapsed, "heavy": heavy}, sys.stdout)
"""


def test_run_details_in_a_script(repo: Path) -> None:
    script = repo / "details.py"
    script.write_text(DETAILS_SCRIPT)
    env = {**os.environ, "JPY_SESSION_NAME": NOTEBOOK}  # inherited, e.g. from a notebook's !cmd
    proc = subprocess.run(
        [sys.executable, str(script), "--lr", "0.1"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    details: dict[str, Any] = out["details"]
    assert set(details) == {
        *("hostname", "user", "pid", "python", "platform", "executable", "argv", "cwd"),
        *("packages", "kernel_id", "git"),
    }
    assert isinstance(details["hostname"], str) and details["hostname"]
    assert isinstance(details["user"], str)
    assert isinstance(details["pid"], int) and details["pid"] != os.getpid()
    assert details["python"] == ".".join(map(str, sys.version_info[:3]))
    assert isinstance(details["platform"], str) and details["platform"]
    assert details["executable"] == sys.executable
    assert details["argv"] == [str(script), "--lr", "0.1"]
    assert details["cwd"] == str(repo)
    assert details["kernel_id"] is None
    assert details["git"]["root"] == str(repo)
    packages = details["packages"]
    assert packages["jupyter_tracker"]
    assert all(isinstance(v, str) for v in packages.values())
    assert set(packages) <= {
        *("numpy", "pandas", "scikit-learn", "torch", "tensorflow", "jax", "keras"),
        *("lightgbm", "xgboost", "matplotlib", "jupyter_tracker"),
    }
    assert out["heavy"] == []  # versions come from metadata, nothing was imported
    assert out["elapsed"] < 1.0  # typically 10-20 ms; generous for a loaded machine


def test_run_details_never_raises_from_a_deleted_directory(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    code = (
        "import json, os\n"
        "from jupyter_tracker.client.capture import run_details, git_info\n"
        f"os.chdir({str(gone)!r}); os.rmdir({str(gone)!r})\n"
        "d = run_details()\n"
        "print(json.dumps([d['cwd'], d['git'], git_info()]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [None, None, None]


def test_notebook_path_is_none_outside_a_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JPY_SESSION_NAME", NOTEBOOK)
    assert notebook_path() is None
    assert kernel_id() is None
    assert running_cell() == (None, None)
    assert kernel_history() == []


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, BlockingKernelClient]]:
    """A kernel started the way jupyter_server starts one for a notebook session."""
    ident = str(uuid.uuid4())
    runtime = tmp_path_factory.mktemp("runtime")
    manager = KernelManager(
        kernel_name="python3", connection_file=str(runtime / f"kernel-{ident}.json")
    )
    manager.start_kernel(env={**os.environ, "JPY_SESSION_NAME": NOTEBOOK})
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield ident, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def in_kernel_json(client: BlockingKernelClient, expression: str) -> Any:
    out: list[str] = []

    def hook(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
            out.append(msg["content"]["text"])

    code = f"import json as _json\nprint(_json.dumps({expression}))"
    reply = client.execute_interactive(code, output_hook=hook, timeout=60)
    assert reply["content"]["status"] == "ok", reply["content"]
    return json.loads("".join(out))


def test_in_a_kernel_notebook_path_and_kernel_id(kernel: tuple[str, BlockingKernelClient]) -> None:
    ident, client = kernel
    client.execute_interactive("from jupyter_tracker.client.capture import *", timeout=60)
    seen = in_kernel_json(
        client, "[notebook_path(), run_details()['kernel_id'], in_kernel(), source_files()]"
    )
    assert seen == [NOTEBOOK, ident, True, []]  # no ipykernel_launcher.py among the sources


def test_in_a_kernel_the_session_variable_wins(kernel: tuple[str, BlockingKernelClient]) -> None:
    _, client = kernel
    client.execute_interactive(
        "from jupyter_tracker.client.capture import notebook_path\n"
        "__session__ = '/elsewhere/renamed.ipynb'",
        timeout=60,
    )
    try:
        assert in_kernel_json(client, "notebook_path()") == "/elsewhere/renamed.ipynb"
    finally:
        client.execute_interactive(f"__session__ = {NOTEBOOK!r}", timeout=60)


def execute_as_cell(client: BlockingKernelClient, code: str, cell_id: str) -> tuple[int, Any]:
    """Run ``code`` as JupyterLab runs cell ``cell_id``; its execution count and the JSON it
    printed."""
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {}}
    request = client.session.msg("execute_request", content, metadata={"cellId": cell_id})
    client.shell_channel.send(request)
    out: list[str] = []
    while True:
        msg = client.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != request["header"]["msg_id"]:
            continue
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
            out.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = client.get_shell_msg(timeout=60)
    assert reply["content"]["status"] == "ok", reply["content"]
    return reply["content"]["execution_count"], json.loads("".join(out))


def test_in_a_kernel_the_running_cell_is_the_requests_cell_id_and_its_count(
    kernel: tuple[str, BlockingKernelClient],
) -> None:
    _, client = kernel
    code = (
        "import json\n"
        "from jupyter_tracker.client.capture import running_cell\n"
        "print(json.dumps(running_cell()))"
    )
    count, seen = execute_as_cell(client, code, "cell-7")
    # The count the cell shows ([n]), not IPython's next one
    assert seen == ["cell-7", count]
    # Without a cell id (a console, say), and with one the tracker could not store
    count, seen = execute_as_cell(client, code, "")
    assert seen == [None, count]
    count, seen = execute_as_cell(client, code, "x" * 256)
    assert seen == [None, count]


def test_in_a_kernel_the_history_is_the_last_500_entries_without_huge_ones(
    kernel: tuple[str, BlockingKernelClient],
) -> None:
    # Given a kernel that ran 600 cells, then one of over 100,000 characters, then one more
    _, client = kernel
    code = (
        "import json\n"
        "from jupyter_tracker.client.capture import kernel_history\n"
        "ip = get_ipython()\n"
        "for i in range(600):\n"
        "    ip.run_cell(f'v = {i}', store_history=True)\n"
        "ip.run_cell('big = ' + repr('a' * 100_000), store_history=True)\n"
        "ip.run_cell('small = 1', store_history=True)\n"
        "history = kernel_history()\n"
        "print(json.dumps([len(ip.history_manager.input_hist_raw), history]))"
    )
    _, (size, history) = execute_as_cell(client, code, "history")
    # Then the history holds In[size - 500] to In[size - 1], but the huge one
    last = size - 1
    assert [count for count, _ in history] == [*range(last - 499, last - 1), last]
    assert history[-3:] == [[last - 3, "v = 598"], [last - 2, "v = 599"], [last, "small = 1"]]
