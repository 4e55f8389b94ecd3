"""What a new experiment records by itself: environment, git, sources, streams, hardware,
and a failed state on an uncaught exception. Each part can be turned off."""

from __future__ import annotations

import logging
import os
import sys
import threading
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
        notebook = self.notebook or environment.notebook_path()
        self.notebook = notebook
        if notebook:
            body["notebook_path"] = notebook
        kernel = details.get("kernel_id")
        if kernel:
            body["kernel_id"] = kernel
        body["details"] = details

    def start(self, experiment: Experiment) -> None:
        self._upload_sources(experiment)
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
            if self.notebook:
                path = Path(self.notebook)
                candidates = [path, Path.cwd() / path.name]
                found = next((p for p in candidates if p.is_file()), None)
                if found is not None:
                    # Saved by the server as the notebook's next checkpoint, linked to the run.
                    name = notebook_name(path)
                    experiment._ops.append(("file", "checkpoint", name, str(found.resolve())))
        except Exception:
            log.debug("could not collect source files", exc_info=True)


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
