"""source_files and relative_source_path on real directory trees, scripts and git checkouts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_tracker.client.capture import relative_source_path, source_files
from jupyter_tracker.client.capture.environment import MAX_SOURCE_FILE_BYTES, MAX_SOURCE_FILES


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory, made the working directory, with this process's argv[0] not a
    script (as in a notebook)."""
    root = tmp_path / "project"
    for name in ("a.py", "pkg/b.py", "pkg/sub/c.py", "data.csv", ".hidden/x.py", "pkg/.d.py"):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {name}\n")
    (root / "dir.py").mkdir()  # matches *.py but is no file
    (root / "link.py").symlink_to(root / "a.py")  # same file twice
    with open(root / "big.py", "wb") as f:  # sparse: over the cap without writing 10 MB
        f.truncate(MAX_SOURCE_FILE_BYTES + 1)
    monkeypatch.chdir(root)
    monkeypatch.setattr(sys, "argv", ["not-a-script"])
    return root


def names(paths: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def test_a_glob_in_the_working_directory(project: Path) -> None:
    found = source_files(["*.py"])
    assert all(p.is_absolute() for p in found)
    # dir.py is a directory, link.py the same file as a.py, big.py over the size cap
    assert names(found, project) == ["a.py"]


def test_double_star_recurses_but_skips_hidden_names(project: Path) -> None:
    found = source_files(["**/*.py"])
    assert sorted(names(found, project)) == ["a.py", "pkg/b.py", "pkg/sub/c.py"]


def test_several_patterns_are_deduplicated_in_order(project: Path) -> None:
    found = source_files(["pkg/*.py", "**/*.py", "*.csv", "pkg/b.py", "missing/*.py"])
    listed = names(found, project)
    assert listed[0] == "pkg/b.py"
    assert sorted(listed) == ["a.py", "data.csv", "pkg/b.py", "pkg/sub/c.py"]
    assert source_files([".hidden/*.py"]) == [project / ".hidden" / "x.py"]


def test_absolute_patterns_and_no_patterns(project: Path) -> None:
    assert source_files([str(project / "pkg" / "sub" / "*.py")]) == [project / "pkg/sub/c.py"]
    assert source_files(None) == []
    assert source_files([]) == []


def test_at_most_the_cap_of_files(project: Path) -> None:
    many = project / "many"
    many.mkdir()
    for i in range(MAX_SOURCE_FILES + 5):
        (many / f"m{i:04}.py").write_text("")
    found = source_files(["many/*.py", "a.py"])
    assert len(found) == MAX_SOURCE_FILES
    assert len(set(found)) == MAX_SOURCE_FILES


def test_the_running_script_comes_first(tmp_path: Path) -> None:
    # Given a script in a project, run as a plain process from the project directory
    root = tmp_path / "work"
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "model.py").write_text("")
    script = root / "train.py"
    script.write_text(
        "import json\n"
        "from jupyter_tracker.client.capture import source_files, relative_source_path\n"
        "found = source_files(['lib/*.py', 'train.py'])\n"
        "print(json.dumps([relative_source_path(p) for p in found]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "train.py"], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ["train.py", "lib/model.py"]


@pytest.mark.parametrize("argv0", ["-c", "", "missing.py", "data.csv", "dir.py"])
def test_argv0_that_is_no_python_file_is_ignored(
    project: Path, monkeypatch: pytest.MonkeyPatch, argv0: str
) -> None:
    monkeypatch.setattr(sys, "argv", [argv0])
    assert source_files([]) == []


def test_relative_names_under_the_working_directory(project: Path) -> None:
    assert relative_source_path(project / "pkg" / "sub" / "c.py") == "pkg/sub/c.py"
    assert relative_source_path(Path("pkg/b.py")) == "pkg/b.py"
    assert relative_source_path(project / "pkg" / ".." / "a.py") == "a.py"


def test_relative_names_from_the_git_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a checkout, with the working directory in a subdirectory of it
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    (repo / "src").mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=30)
    (repo / "src" / "model.py").write_text("")
    monkeypatch.chdir(repo / "notebooks")
    # Then files are named from the root of the checkout, never with ".."
    assert relative_source_path(repo / "src" / "model.py") == "src/model.py"
    assert relative_source_path(Path("../src/model.py")) == "src/model.py"


def test_files_outside_get_their_name_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    outside = tmp_path / "elsewhere" / "util.py"
    outside.parent.mkdir()
    outside.write_text("")
    monkeypatch.chdir(work)
    assert relative_source_path(outside) == "util.py"
    assert relative_source_path(Path("../elsewhere/util.py")) == "util.py"


def test_names_are_safe_posix_paths(project: Path) -> None:
    for path in source_files(["**/*.py", "*.csv"]):
        name = relative_source_path(path)
        assert not name.startswith("/")
        assert ".." not in name.split("/")
        assert "\\" not in name
    assert relative_source_path(Path("/")) not in ("", ".", "..")
    assert json.dumps(relative_source_path(Path(os.sep)))
