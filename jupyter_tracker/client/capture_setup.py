"""What a new experiment records by itself: environment, git, sources, streams, hardware,
and a failed state on an uncaught exception. Each part can be turned off."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import traceback as tb
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import validate
from .capture import environment
from .capture.hardware import HardwareMonitor
from .capture.streams import StreamCapture
from .reading import MONITORING_PREFIX

if TYPE_CHECKING:
    from .experiment import Experiment

log = logging.getLogger("jupyter_tracker.client")
HARDWARE_INTERVAL = 5.0
RUN_MIMETYPE = "application/vnd.jupyter.tracker.run+json"
DISK_CHECKPOINT_DELAY = 5.0  # seconds the frontend has to send the editor's copy first
EMPTY_NOTEBOOK: dict[str, Any] = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


class _LineLogger:
    """Collects written text into lines and logs each whole line as a text point."""

    def __init__(self, experiment: Experiment) -> None:
        self.experiment = experiment
        self.partial: dict[str, str] = {}

    def __call__(self, channel: str, text: str) -> None:
        pending = self.partial.get(channel, "") + text
        *lines, rest = pending.split("\n")
        self.partial[channel] = rest[-100_000:]
        for line in lines:
            self._log(channel, line)

    def _log(self, channel: str, line: str) -> None:
        try:
            self.experiment.log_text(channel, validate.safe_text(line))
        except Exception:
            log.debug("could not log a line of %s", channel, exc_info=True)

    def finish(self) -> None:
        for channel, rest in self.partial.items():
            if rest:
                self._log(channel, rest)
        self.partial.clear()


class Capture:
    """Built from ``create_experiment``'s switches; describes the run, then starts recorders."""

    def __init__(
        self,
        *,
        upload_source_files: Sequence[str] | str | None,
        upload_stdout: bool,
        upload_stderr: bool,
        send_hardware_metrics: bool,
        handle_uncaught_exceptions: bool,
        git_info: Any,
        hostname: str | None,
        notebook_path: str | None,
    ) -> None:
        if isinstance(upload_source_files, str):
            upload_source_files = [upload_source_files]
        self.source_patterns = upload_source_files
        self.streams = [
            name for name, on in (("stdout", upload_stdout), ("stderr", upload_stderr)) if on
        ]
        self.hardware = send_hardware_metrics
        self.exceptions = handle_uncaught_exceptions
        self.git_info = git_info
        self.hostname = hostname
        self.notebook = notebook_path
        self.notebook_name: str | None = None
        self.cell_id: str | None = None
        self.execution_count: int | None = None
        self.history: list[tuple[int, str]] = []

    def describe(self, body: dict[str, Any]) -> None:
        """Host, Python, packages, command line, git and notebook into the run's details."""
        details = environment.run_details()
        if self.hostname:
            details["hostname"] = self.hostname
        if self.git_info is False:
            details.pop("git", None)
        elif isinstance(self.git_info, dict):
            details["git"] = self.git_info
        elif self.git_info is not None:
            details["git"] = {k: str(v) for k, v in vars(self.git_info).items()}
        self._describe_notebook(body)
        kernel = details.get("kernel_id")
        if kernel:
            body["kernel_id"] = kernel
        body["details"] = details

    def _describe_notebook(self, body: dict[str, Any]) -> None:
        """The notebook's path relative to the Jupyter root and the cell running now."""
        try:
            notebook = self.notebook or _session_notebook()
            self.notebook = notebook
            if not notebook:
                return
            self.notebook_name = notebook_name(Path(notebook))
        except Exception:
            log.debug("could not name the notebook", exc_info=True)
            return
        body["notebook_path"] = self.notebook_name
        self.cell_id, self.execution_count = environment.running_cell()
        if self.cell_id is not None:
            body["notebook_cell_id"] = self.cell_id
        if self.execution_count is not None:
            body["notebook_execution_count"] = self.execution_count
        # What ran up to the cell creating the run (its own code is In[its count] by now);
        # cells run later are no part of what this run ran.
        self.history = environment.kernel_history()

    def start(self, experiment: Experiment) -> None:
        self._upload_sources(experiment)
        if self.notebook_name:
            self._announce(experiment)
            self._save_notebook_later(experiment)
        if self.streams:
            lines = _LineLogger(experiment)
            wanted = set(self.streams)
            capture = StreamCapture(lambda ch, text: lines(ch, text) if ch in wanted else None)
            capture.start()
            # Hooks run last-in first: stop capturing, then log what is left of a line.
            experiment._stop_hooks.append(lines.finish)
            experiment._stop_hooks.append(capture.stop)
        if self.hardware:
            monitor = HardwareMonitor(HARDWARE_INTERVAL, _sample_logger(experiment))
            monitor.start()
            experiment._stop_hooks.append(monitor.stop)
        if self.exceptions and not environment.in_kernel():
            _install_excepthook(experiment)

    def _upload_sources(self, experiment: Experiment) -> None:
        try:
            for path in environment.source_files(self.source_patterns):
                experiment._upload(str(path), environment.relative_source_path(path), "source")
        except Exception:
            log.debug("could not collect source files", exc_info=True)

    def _announce(self, experiment: Experiment) -> None:
        """Tell the frontend showing this notebook that the cell running now started a run:
        a display message on the cell's output (so it must be sent from the thread running the
        cell, which carries the cell's request as parent). JupyterLab's extension answers by
        saving the notebook as it is in the editor, linked to the run."""
        worker = experiment._worker
        run_id = worker.link.run_id if worker is not None else None
        if run_id is None or not environment.in_kernel():
            return  # the run is not on the server yet: the saved file will have to do
        try:
            from IPython.display import publish_display_data

            project = experiment.project.name
            data = {
                "run_id": run_id,
                "project": project,
                "path": self.notebook_name,
                "cell_id": self.cell_id,
                "execution_count": self.execution_count,
                "url": experiment.project.settings.url,
            }
            text = f"Run {run_id} started in project {project}"
            publish_display_data({RUN_MIMETYPE: data, "text/plain": text})  # type: ignore[no-untyped-call]
        except Exception:
            log.debug("could not announce the run to the frontend", exc_info=True)

    def _save_notebook_later(self, experiment: Experiment) -> None:
        """Save the notebook as the tracker's next checkpoint, linked to the run, from what
        is on disk: the saved file plus the code the kernel ran (which the tracker appends as
        cells when the file lacks it, so the checkpoint holds the cell that started the run).

        The frontend's copy of the live editor is the better one; this is the fallback where
        no frontend answers (nbclient, papermill, a console). It is sent ``DISK_CHECKPOINT_DELAY``
        after the run starts, or at ``flush()``/``stop()`` if sooner, and the tracker keeps the
        editor's if that came first. The file is read then, on the worker thread."""
        worker = experiment._worker
        name = self.notebook_name
        if worker is None or name is None:
            return
        places = _saved_places(Path(self.notebook or name))
        history = [list(entry) for entry in self.history]
        query = {
            "origin": "disk",
            "cell_id": self.cell_id,
            "execution_count": self.execution_count,
        }

        def make(folder: Path) -> list[dict[str, Any]]:
            saved = next((p for p in places if p.is_file()), None)
            notebook = _read_notebook(saved) if saved is not None else None
            envelope = {"notebook": notebook or dict(EMPTY_NOTEBOOK), "history": history}
            # Kept in the journal folder until sent, so 'jupyter tracker sync' can send it.
            target = folder / "files" / f"checkpoint-{time.time_ns()}.json"
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(json.dumps(envelope).encode("ascii"))
            return [{"kind": "checkpoint", "path": name, "source": str(target), **query}]

        worker.defer(DISK_CHECKPOINT_DELAY, make)


def _session_notebook() -> str | None:
    """The notebook this kernel was started for, if it is one. A JupyterLab console's session
    is named like a file too ("Console 1"), but no such file exists: a name is taken when it
    ends with ``.ipynb`` (saved or not yet) or names a file (a Jupytext notebook, say)."""
    path = environment.notebook_path()
    if path is None:
        return None
    try:
        return path if path.endswith(".ipynb") or Path(path).is_file() else None
    except OSError:
        return None


def _saved_places(path: Path) -> list[Path]:
    """Where the notebook may be saved, as absolute paths, first choice first: the path as
    given (a relative one from the working directory), under the Jupyter root, or in the
    working directory (a kernel works in its notebook's folder)."""
    cwd = Path.cwd()
    places = [cwd / path]
    root = os.environ.get("JUPYTER_TRACKER_ROOT_DIR")
    if root and not path.is_absolute():
        places.append(Path(root) / path)
    places.append(cwd / path.name)
    return places


def _read_notebook(path: Path) -> dict[str, Any] | None:
    """The saved notebook's JSON; ``None`` if it is gone or is no notebook (then the kernel's
    history alone becomes the checkpoint)."""
    try:
        notebook = json.loads(path.read_bytes())
    except (OSError, ValueError):
        log.debug("could not read the notebook %s", path, exc_info=True)
        return None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return None
    return notebook


def notebook_name(path: Path) -> str:
    """The notebook's path as Jupyter's contents API names it: relative to the server's root
    (which the server tells its kernels), else just the file name."""
    if not path.is_absolute():
        return path.as_posix()
    root = os.environ.get("JUPYTER_TRACKER_ROOT_DIR")
    if root:
        try:
            return path.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    return path.name


def _sample_logger(experiment: Experiment) -> Callable[[dict[str, float], float], None]:
    def on_sample(values: dict[str, float], at: float) -> None:
        for key, value in values.items():
            experiment.log_metric(MONITORING_PREFIX + key, value, timestamp=at)

    return on_sample


_hook_lock = threading.Lock()


def _install_excepthook(experiment: Experiment) -> None:
    """An uncaught exception in a script marks its running experiments failed."""
    with _hook_lock:
        previous = sys.excepthook

        def hook(
            exc_type: type[BaseException], exc: BaseException, trace: TracebackType | None
        ) -> None:
            try:
                if not experiment._stopped and not issubclass(exc_type, KeyboardInterrupt):
                    experiment.stop("".join(tb.format_exception(exc_type, exc, trace)), 10.0)
                elif not experiment._stopped:
                    experiment._finish("aborted", None, 10.0)
            except Exception:
                log.debug("could not mark the run failed", exc_info=True)
            previous(exc_type, exc, trace)

        sys.excepthook = hook
