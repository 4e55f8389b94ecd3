"""Describe where a run executes: host, interpreter, packages, git state, notebook, sources.

Every public function here returns a best-effort answer and never raises.
"""

from __future__ import annotations

import contextlib
import getpass
import glob
import importlib.metadata
import itertools
import logging
import os
import platform
import re
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

TRACKED_PACKAGES = (
    "numpy",
    "pandas",
    "scikit-learn",
    "torch",
    "tensorflow",
    "jax",
    "keras",
    "lightgbm",
    "xgboost",
    "matplotlib",
    "jupyter_tracker",
)
"""Distributions whose versions ``run_details()`` reports (when installed)."""
GIT_TIMEOUT = 2.0  # seconds git_info() waits for git in all
MAX_SOURCE_FILES = 1000  # source_files() returns at most this many files,
MAX_SOURCE_FILE_BYTES = 10 * 1024 * 1024  # skips files larger than this,
MAX_GLOB_ENTRIES = 100_000  # and stops walking the patterns after this many matches


def _safe(fn: Callable[[], T], default: T) -> T:
    try:
        return fn()
    except Exception:
        log.debug("environment probe %s failed", getattr(fn, "__name__", fn), exc_info=True)
        return default


def in_kernel() -> bool:
    """Whether this process is a running ipykernel (checked without importing ipykernel)."""
    app_module = sys.modules.get("ipykernel.kernelapp")
    return app_module is not None and bool(_safe(app_module.IPKernelApp.initialized, False))


def run_details() -> dict[str, Any]:
    """Host, user, process, interpreter, package versions, kernel id and git state of this run."""
    return {
        "hostname": _safe(socket.gethostname, None),
        "user": _safe(getpass.getuser, None),
        "pid": os.getpid(),
        "python": platform.python_version(),
        "platform": _safe(platform.platform, sys.platform),
        "executable": sys.executable,
        "argv": _safe(lambda: [str(a) for a in sys.argv], list[str]()),
        "cwd": _safe(os.getcwd, None),
        "packages": _safe(package_versions, dict[str, str]()),
        "kernel_id": _safe(kernel_id, None),
        "git": _safe(git_info, None),
    }


def package_versions(names: Sequence[str] = TRACKED_PACKAGES) -> dict[str, str]:
    """Installed versions of ``names``, from their metadata (the packages are not imported)."""
    versions: dict[str, str] = {}
    for name in names:
        with contextlib.suppress(Exception):
            versions[name] = importlib.metadata.version(name)
    return versions


def kernel_id() -> str | None:
    """The id of the Jupyter kernel this process is, from its connection file name."""
    ipykernel = sys.modules.get("ipykernel")
    if ipykernel is None or not in_kernel():
        return None
    name = os.path.basename(str(ipykernel.get_connection_file()))
    match = re.fullmatch(r"kernel-(.+)\.json", name)
    return match.group(1) if match else None


def notebook_path() -> str | None:
    """The notebook this kernel runs, when Jupyter told the kernel; else ``None``.

    jupyter_server starts kernels for sessions with ``JPY_SESSION_NAME`` set to the session's
    path (the notebook's file path); ipykernel copies it to ``__session__`` in the user
    namespace (VS Code sets ``__vsc_ipynb_file__``). This is the name at kernel start: a later
    rename is not seen. Outside a kernel (e.g. a script run with ``!python`` from a notebook,
    which inherits the variable) this is ``None``.
    """
    if not in_kernel():
        return None
    user_ns: dict[str, Any] = _safe(_user_namespace, {})
    for name in ("__session__", "__vsc_ipynb_file__"):
        value = user_ns.get(name)
        if isinstance(value, str) and value:
            return value
    return os.environ.get("JPY_SESSION_NAME") or None


def _user_namespace() -> dict[str, Any]:
    shell = _shell()
    return shell.user_ns if shell is not None else {}


def _shell() -> Any:
    """The IPython shell of this process, or ``None`` (IPython is not imported here)."""
    module = sys.modules.get("IPython.core.interactiveshell")
    if module is None or not module.InteractiveShell.initialized():
        return None
    return module.InteractiveShell.instance()


MAX_CELL_ID = 255  # what the tracker stores of a cell id


def running_cell() -> tuple[str | None, int | None]:
    """The notebook cell this kernel is running now: its id and execution count.

    The id is the ``cellId`` JupyterLab (and nbclient) put into the execute request's metadata;
    the count is the one the cell shows (``[7]``), the index of its code in ``In``. IPython 9
    counts ``get_ipython().execution_count`` up *before* a cell runs, so that is one more than
    the running cell's; the running cell's own result holds the right one. ``(None, None)``
    outside a kernel, and each is ``None`` when not known (e.g. no cell is running, as in a
    thread that outlived its cell).
    """
    if not in_kernel():
        return None, None
    shell = _safe(_shell, None)
    if shell is None:
        return None, None
    return _safe(lambda: _cell_id(shell), None), _safe(lambda: _execution_count(shell), None)


def _cell_id(shell: Any) -> str | None:
    cell = shell.kernel.get_parent()["metadata"].get("cellId")
    return cell if isinstance(cell, str) and 0 < len(cell) <= MAX_CELL_ID else None


def _execution_count(shell: Any) -> int | None:
    result = shell.displayhook.exec_result  # set while a cell runs, else None
    count = getattr(result, "execution_count", None)
    return count if isinstance(count, int) and count >= 0 else None


MAX_HISTORY_ENTRIES = 500
MAX_HISTORY_SOURCE = 100_000


def kernel_history() -> list[tuple[int, str]]:
    """What this kernel ran in this session, as ``(execution_count, source)`` pairs, oldest
    first: IPython's raw input history (``In``, as typed, magics included).

    Bounded so that a long session costs little to copy and send: the last
    ``MAX_HISTORY_ENTRIES`` (500) entries only, and an entry whose source is longer than
    ``MAX_HISTORY_SOURCE`` (100,000 characters) is left out rather than cut: a cut source
    would match no cell, and the tracker would read it as code edited after it ran. Empty
    entries are left out. ``[]`` outside IPython. Cheap: the strings are shared, not copied.
    """
    shell = _safe(_shell, None)
    if shell is None:
        return []
    # In[0] is always empty; In[n] is the code that ran as [n].
    raw: list[Any] = _safe(lambda: shell.history_manager.input_hist_raw, [])
    start = max(1, len(raw) - MAX_HISTORY_ENTRIES)
    tail = raw[start:]
    return [
        (count, source)
        for count, source in enumerate(tail, start)
        if isinstance(source, str) and source.strip() and len(source) <= MAX_HISTORY_SOURCE
    ]


def git_info(path: str | None = None) -> dict[str, Any] | None:
    """The git state of the repository holding ``path`` (default: the working directory).

    Keys: ``root``, ``sha``, ``branch`` (``None`` when detached), ``dirty`` (uncommitted
    changes to tracked files; ``None`` if git did not answer in time), ``remote`` (``origin``'s
    URL without credentials), ``message`` (first line), ``author``, ``author_email`` and
    ``commit_time`` (ISO 8601); commit fields are ``None`` before the first commit. ``None``
    outside a repository, without git, or if git does not answer within ``GIT_TIMEOUT``.
    """
    try:
        return _git_info(path)
    except Exception:
        log.debug("could not read git state", exc_info=True)
        return None


_GIT_COMMANDS = {
    "root": ["rev-parse", "--show-toplevel"],
    "log": ["log", "-1", "--no-show-signature", "--format=%H%x00%an%x00%ae%x00%cI%x00%B"],
    "branch": ["symbolic-ref", "--quiet", "--short", "HEAD"],
    "status": ["status", "--porcelain", "--untracked-files=no", "--ignore-submodules"],
    "remote": ["remote", "get-url", "origin"],
}


def _git_info(path: str | None) -> dict[str, Any] | None:
    where = os.path.abspath(path if path is not None else os.getcwd())
    if os.path.isfile(where):
        where = os.path.dirname(where)
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
    # Started together, so the total cost is about that of the slowest command.
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for key, args in _GIT_COMMANDS.items():
            procs[key] = subprocess.Popen(
                ["git", *args],
                cwd=where,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
    except OSError:  # no git, or no such directory
        for proc in procs.values():
            proc.kill()
            proc.communicate()
        return None
    deadline = time.monotonic() + GIT_TIMEOUT
    out: dict[str, str | None] = {}
    for key, proc in procs.items():
        try:
            stdout, _ = proc.communicate(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, _ = proc.communicate()
        ok = proc.returncode == 0
        out[key] = stdout.decode("utf-8", "replace") if ok else None
    root = out["root"]
    if not root:
        return None
    sha = author = email = when = message = None
    if out["log"]:
        fields = out["log"].split("\x00")
        if len(fields) == 5:
            sha, author, email, when, body = fields
            message = body.strip().split("\n", 1)[0].strip()
    status, remote = out["status"], (out["remote"] or "").strip()
    return {
        "root": root.strip(),
        "sha": sha,
        "branch": (out["branch"] or "").strip() or None,
        "dirty": None if status is None else bool(status.strip()),
        "remote": strip_credentials(remote) if remote else None,
        "message": message,
        "author": author,
        "author_email": email,
        "commit_time": when,
    }


_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<rest>.*)", re.S)


def strip_credentials(url: str) -> str:
    """``url`` without user information (``https://user:token@host/x`` -> ``https://host/x``).

    A bare user name is kept only for ssh URLs (``ssh://git@host/x``), where it is no secret;
    scp-like ``git@host:x`` and local paths are returned unchanged.
    """
    match = _URL.fullmatch(url)
    if match is None or "@" not in match["authority"]:
        return url
    userinfo, host = match["authority"].rsplit("@", 1)
    scheme = match["scheme"]
    if "ssh" in scheme.lower() and ":" not in userinfo:
        return url
    return f"{scheme}://{host}{match['rest']}"


def source_files(patterns: Sequence[str] | None = None) -> list[Path]:
    """The running script and the files matching ``patterns``, as absolute paths.

    The script is ``sys.argv[0]`` when it is an existing ``.py`` file and this is not a kernel.
    Patterns are globs relative to the working directory (absolute ones are allowed; ``**``
    matches any number of directories; names starting with ``.`` match only explicitly).
    Only regular files (symbolic links to them included) are kept, each once: the script
    first, then each pattern's matches in sorted order. Caps: at most ``MAX_SOURCE_FILES``
    (1,000) files; files over ``MAX_SOURCE_FILE_BYTES`` (10 MB) are skipped; the patterns'
    walk stops after 100,000 matches in all. A single string is taken as one pattern.
    """
    found: list[Path] = []
    if isinstance(patterns, str):
        patterns = [patterns]
    try:
        cwd = os.getcwd()
        seen: set[str] = set()

        def add(candidate: str) -> bool:
            """Keep ``candidate`` if it qualifies; ``False`` once the cap is reached."""
            full = os.path.abspath(os.path.join(cwd, candidate))
            try:
                info = os.stat(full)
                real = os.path.realpath(full)
            except (OSError, ValueError):
                return True
            if not stat.S_ISREG(info.st_mode) or real in seen:
                return True
            if info.st_size > MAX_SOURCE_FILE_BYTES:
                log.debug("not uploading %s: larger than %d bytes", full, MAX_SOURCE_FILE_BYTES)
                return True
            seen.add(real)
            found.append(Path(full))
            return len(found) < MAX_SOURCE_FILES

        script = sys.argv[0] if sys.argv else ""
        if script.endswith(".py") and not in_kernel() and not add(script):
            return found
        budget = MAX_GLOB_ENTRIES
        for pattern in patterns or ():
            matches = glob.iglob(pattern, root_dir=cwd, recursive=True)
            listed = sorted(itertools.islice(matches, budget))
            budget -= len(listed)
            if not all(add(match) for match in listed) or budget <= 0:
                return found
    except Exception:
        log.debug("could not list source files", exc_info=True)
    return found


def relative_source_path(path: Path) -> str:
    """A safe relative POSIX name to store ``path`` under, never containing ``..``.

    Relative to the root of the git work tree holding the file, else to the working directory
    if the file is under it, else just the file name. Two files outside both can map to the
    same name.
    """
    try:
        full = os.path.abspath(os.fspath(path))
        for base in (_git_root(os.path.dirname(full)), _safe(os.getcwd, None)):
            for candidate in (base, os.path.realpath(base)) if base else ():
                name = _relative_under(full, candidate)
                if name:
                    return name
        name = os.path.basename(full)
        return name if name not in ("", ".", "..") else "source"
    except Exception:
        log.debug("could not name %s", path, exc_info=True)
        return "source"


def _relative_under(full: str, base: str) -> str | None:
    try:
        if os.path.commonpath([full, base]) != base:
            return None
        parts = Path(os.path.relpath(full, base)).parts
    except ValueError:  # different drives
        return None
    if not parts or any(part in ("", ".", "..") for part in parts):
        return None
    return str(PurePosixPath(*parts))


def _git_root(directory: str) -> str | None:
    """The nearest enclosing directory with a ``.git`` entry (found without running git)."""
    current = directory
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
