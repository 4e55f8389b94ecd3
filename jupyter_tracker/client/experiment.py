"""An experiment (a run): the logging calls users type, each returning at once."""

from __future__ import annotations

import io
import logging
import math
import os
import shutil
import time
import traceback as tb
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from . import validate
from .buffers import Buffers, SeriesBuffer
from .images import to_image_bytes
from .reading import RunReader
from .worker import Delivery, Worker

if TYPE_CHECKING:
    from .project import Project

log = logging.getLogger("jupyter_tracker.client")
_time = time.time
_NO_STEP = -math.inf
_INF = math.inf
STOP_TIMEOUT = 30.0


class Experiment(RunReader):
    """A run being logged (or, from ``Project.get_experiments``, one to read back).

    Logging calls validate their input at once (``TypeError``/``ValueError`` naming the series)
    and then only append to in-memory buffers; a background thread journals and sends them.
    """

    def __init__(
        self,
        project: Project,
        *,
        run_id: str | None,
        client_key: str | None = None,
        worker: Worker | None = None,
        buffers: Buffers | None = None,
        journal_dir: Path | None = None,
    ) -> None:
        super().__init__(project, run_id)
        self._client_key = client_key
        self._worker = worker
        self._buffers = buffers or Buffers()
        self._numeric = self._buffers.numeric
        self._text = self._buffers.text
        self._ops = self._buffers.ops
        self._journal_dir = journal_dir
        self._stopped = worker is None
        self._stop_hooks: list[Any] = []

    @property
    def id(self) -> str:
        """The run id (``SAN-42``); ``offline-…`` until the run exists on the server."""
        if self._worker is not None and self._worker.link.run_id is not None:
            return self._worker.link.run_id
        if self._run_id is not None:
            return self._run_id
        return f"offline-{(self._client_key or '')[:12]}"

    def __repr__(self) -> str:
        return f"Experiment({self.id})"

    # numeric, text and image series
    def _series(self, table: dict[str, SeriesBuffer], log_name: Any, kind: str) -> SeriesBuffer:
        if self._stopped:
            raise RuntimeError(f"experiment {self.id} is not running; log to a new one")
        validate.name(log_name, "log_name")
        other = self._buffers.text if kind == "numeric" else self._buffers.numeric
        if log_name in other:
            raise ValueError(f"series '{log_name}' holds {other[log_name].kind} values")
        series = table[log_name] = SeriesBuffer(log_name, kind)
        return series

    def log_metric(self, log_name: str, x: Any, y: Any = None, timestamp: Any = None) -> None:
        """Log a number: ``log_metric(name, value)`` or ``log_metric(name, step, value)``."""
        # The hot path: a dict lookup, type checks and one append. After stop() the lookup
        # table is emptied, so the slow path below is what raises.
        series = self._numeric.get(log_name)
        if series is None:
            series = self._series(self._buffers.numeric, log_name, "numeric")
        if y is None:
            value = x
            last = series.last
            step = last + 1.0 if last != _NO_STEP else 0.0
        else:
            step = x
            last = series.last
            if (type(x) is not float and type(x) is not int) or not last <= x < _INF:
                step = validate.step(log_name, x, last)
            value = y
        if type(value) is not float and type(value) is not int:
            value = validate.number(log_name, "y", value)
        timestamp = _time() if timestamp is None else validate.timestamp(log_name, timestamp)
        series.steps.append(step)
        series.stamps.append(timestamp)
        series.values.append(value)
        series.last = step

    def log_metrics(self, metrics: dict[str, Any], step: Any = None) -> None:
        """Log many numbers at one step (the next step of each series when ``step`` is None)."""
        if not isinstance(metrics, dict):
            raise TypeError(f"metrics must be a dict, not {type(metrics).__name__}")
        for key, value in metrics.items():
            validate.name(key, "metric name")
            validate.number(key, "y", value)
            if step is not None:
                series = self._numeric.get(key)
                validate.step(key, step, series.last if series else _NO_STEP)
        for key, value in metrics.items():
            if step is None:
                self.log_metric(key, value)
            else:
                self.log_metric(key, step, value)

    def log_text(self, log_name: str, x: Any, y: Any = None, timestamp: Any = None) -> None:
        """Log a line of text: ``log_text(name, text)`` or ``log_text(name, step, text)``."""
        series = self._text.get(log_name)
        if series is None:
            series = self._series(self._buffers.text, log_name, "text")
        if y is None:
            step = series.last + 1.0 if series.last != _NO_STEP else 0.0
            value = validate.text(log_name, x)
        else:
            step = validate.step(log_name, x, series.last)
            value = validate.text(log_name, y)
        stamp = _time() if timestamp is None else validate.timestamp(log_name, timestamp)
        series.steps.append(step)
        series.stamps.append(stamp)
        series.values.append(value)
        series.last = step

    def log_image(
        self,
        log_name: str,
        x: Any,
        y: Any = None,
        image_name: str | None = None,
        description: str | None = None,
        timestamp: Any = None,
    ) -> None:
        """Log an image: a matplotlib Figure, a PIL image, an array or an image file path."""
        validate.name(log_name, "log_name")
        if self._stopped:
            raise RuntimeError(f"experiment {self.id} is not running; log to a new one")
        step: float | None = None
        image = x
        if y is not None:
            step = validate.step(log_name, x, _NO_STEP)
            image = y
        if image_name is not None:
            validate.string(image_name, "image_name", validate.MAX_NAME)
        if description is not None:
            validate.string(description, "description", validate.MAX_DESCRIPTION)
        data, content_type = to_image_bytes(log_name, image)
        stamp = _time() if timestamp is None else validate.timestamp(log_name, timestamp)
        self._ops.append(
            (
                "image",
                log_name,
                step,
                stamp,
                data,
                content_type,
                image_name or "",
                description or "",
            )
        )

    # files
    def log_artifact(self, artifact: Any, destination: str | None = None) -> None:
        """Upload a file, a folder (each file in it) or a binary file object."""
        self._upload(artifact, destination, "artifact")

    def _upload(self, artifact: Any, destination: str | None, kind: str) -> None:
        if self._stopped:
            raise RuntimeError(f"experiment {self.id} is not running; log to a new one")
        if destination is not None:
            validate.file_path(destination, "destination")
        if isinstance(artifact, str | os.PathLike):
            path = Path(artifact)
            if path.is_dir():
                base = destination or path.name
                for file in sorted(p for p in path.rglob("*") if p.is_file()):
                    rel = file.relative_to(path).as_posix()
                    self._ops.append(("file", kind, f"{base}/{rel}", str(file.resolve())))
                return
            if not path.is_file():
                raise ValueError(f"artifact {os.fspath(artifact)!r} is not a file or folder")
            self._ops.append(("file", kind, destination or path.name, str(path.resolve())))
            return
        if isinstance(artifact, io.IOBase | IO) or hasattr(artifact, "read"):
            if destination is None:
                raise ValueError("a file object needs a destination name")
            self._ops.append(("file", kind, destination, self._keep_copy(artifact)))
            return
        raise TypeError(
            f"artifact must be a path or a binary file object, not {type(artifact).__name__}"
        )

    def _keep_copy(self, fileobj: Any) -> str:
        """A file object's bytes, copied into the journal folder until they are uploaded."""
        assert self._journal_dir is not None
        target = self._journal_dir / "files" / f"{time.time_ns()}"
        target.parent.mkdir(exist_ok=True)
        with target.open("wb") as out:
            shutil.copyfileobj(fileobj, out)
        return str(target)

    # properties, tags, state
    def set_property(self, key: str, value: Any) -> None:
        key = validate.name(key, "property name")
        self._live_op(("set_property", key, validate.property_value(key, value)))

    def remove_property(self, key: str) -> None:
        self._live_op(("remove_property", validate.name(key, "property name")))

    def append_tag(self, tag: str, *tags: str) -> None:
        # Every tag is checked before any is added: a bad one adds none of them.
        for t in [validate.name(t, "tag") for t in (tag, *tags)]:
            self._live_op(("add_tag", t))

    def remove_tag(self, tag: str) -> None:
        self._live_op(("remove_tag", validate.name(tag, "tag")))

    def _live_op(self, op: tuple[Any, ...]) -> None:
        if self._stopped:
            raise RuntimeError(f"experiment {self.id} is not running; log to a new one")
        self._ops.append(op)

    def flush(self, timeout: float = STOP_TIMEOUT) -> Delivery:
        """Wait until everything logged so far is on the server (or ``timeout`` passes)."""
        if self._worker is None:
            return Delivery(0, None)
        return self._worker.flush(timeout)

    def stop(self, traceback: str | None = None, timeout: float = STOP_TIMEOUT) -> Delivery:
        """Mark the run succeeded (or failed, with ``traceback``) and wait for delivery."""
        if self._stopped or self._worker is None:
            return Delivery(0, None)
        state = "failed" if traceback else "succeeded"
        return self._finish(state, traceback, timeout)

    def _finish(self, state: str, traceback: str | None, timeout: float) -> Delivery:
        if traceback is not None:
            traceback = validate.safe_text(traceback)  # the server takes what is left of it
        for hook in reversed(self._stop_hooks):
            try:
                hook()
            except Exception:
                log.debug("stop hook failed", exc_info=True)
        self._ops.append(("state", state, traceback))
        self._stopped = True
        self._numeric = {}
        self._text = {}
        assert self._worker is not None
        delivery = self._worker.stop(timeout)
        self.project._forget(self)
        if delivery.ok and self._worker.journal.complete and self._journal_dir is not None:
            shutil.rmtree(self._journal_dir, ignore_errors=True)
        if not delivery.ok:
            log.warning(
                "jupyter_tracker: %d record(s) of %s are not on the server yet (%s); they are"
                " kept on disk: run 'jupyter tracker sync' to upload them",
                delivery.pending,
                self.id,
                delivery.error or "still sending",
            )
        return delivery

    def __enter__(self) -> Experiment:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.stop()
        else:
            self.stop("".join(tb.format_exception(exc_type, exc, trace)))
