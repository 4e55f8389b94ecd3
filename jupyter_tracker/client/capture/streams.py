"""Tee ``sys.stdout`` and ``sys.stderr`` into a callback without changing what the user sees.

The wrappers pass every call through to the stream they replaced, so output still reaches the
terminal or, in a kernel, ipykernel's ``OutStream`` (and from there the frontend). Only text
written through ``sys.stdout``/``sys.stderr`` is seen: writes to ``.buffer``, to the file
descriptors or from subprocesses are not.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any, Literal, TextIO

__all__ = ["StreamCapture"]

log = logging.getLogger(__name__)

StreamName = Literal["stdout", "stderr"]
_NAMES: tuple[StreamName, ...] = ("stdout", "stderr")


class _Tee:
    """Stands in for one ``sys`` stream: writes go to the original first, then to the capture.

    Attributes not found on the wrapper are looked up on the original, so ``flush``, ``isatty``,
    ``fileno``, ``encoding`` and ipykernel's ``set_parent`` behave exactly as before. Attributes
    set on the wrapper stay on it: IPython patches ``sys.stdout.write`` around each cell, and
    that patch must wrap this ``write``, not the original's.
    """

    _OWN = frozenset({"_active", "_capture", "_name", "_original"})

    def __init__(self, capture: StreamCapture, name: StreamName, original: TextIO) -> None:
        self._capture = capture
        self._name = name
        self._original: Any = original  # a TextIO, possibly another _Tee
        self._active = True

    def write(self, text: str) -> int:
        result: int = self._original.write(text)
        if self._active and isinstance(text, str) and text:
            self._capture._emit(self._name, text)
        return result

    def writelines(self, lines: Iterable[str]) -> None:
        lines = list(lines)
        self._original.writelines(lines)
        if self._active:
            text = "".join(line for line in lines if isinstance(line, str))
            if text:
                self._capture._emit(self._name, text)

    def __getattr__(self, name: str) -> Any:
        # Only called for names not found on the wrapper itself.
        if name in _Tee._OWN:
            raise AttributeError(name)  # not yet set (copy, pickle): don't recurse
        return getattr(self._original, name)

    def __repr__(self) -> str:
        return f"<jupyter_tracker tee of {self._original!r}>"


class StreamCapture:
    """Copy text written to ``sys.stdout``/``sys.stderr`` to ``on_text(stream_name, text)``.

    ``on_text`` receives the text exactly as written (no line buffering), on the writing thread,
    so it should be cheap (e.g. put on a queue). Output it produces itself (printing, logging to
    stderr) is not captured again, and exceptions it raises are logged at debug level and never
    reach the writer (``KeyboardInterrupt`` and other non-``Exception`` errors still propagate).

    ``start()`` and ``stop()`` are idempotent. ``stop()`` puts back the original streams only if
    ``sys.stdout``/``sys.stderr`` are still this capture's wrappers; if something replaced them
    in the meantime that replacement is left alone, and a wrapper of ours that it still holds
    becomes a plain pass-through.
    """

    def __init__(self, on_text: Callable[[str, str], None]) -> None:
        self._on_text = on_text
        self._lock = threading.Lock()
        self._tees: dict[StreamName, _Tee] = {}
        self._local = threading.local()

    @property
    def active(self) -> bool:
        """Whether the capture is started."""
        return bool(self._tees)

    def start(self) -> None:
        """Install the wrappers; does nothing if already started. Never raises."""
        try:
            with self._lock:
                if self._tees:
                    return
                for name in _NAMES:
                    original = getattr(sys, name, None)
                    if original is None:
                        continue
                    tee = _Tee(self, name, original)
                    setattr(sys, name, tee)
                    self._tees[name] = tee
        except Exception:
            log.debug("could not start capturing output", exc_info=True)

    def stop(self) -> None:
        """Remove the wrappers; does nothing if not started. Never raises."""
        try:
            with self._lock:
                tees, self._tees = self._tees, {}
                for name, tee in tees.items():
                    tee._active = False
                    _unlink(name, tee)
        except Exception:
            log.debug("could not stop capturing output", exc_info=True)

    def _emit(self, name: StreamName, text: str) -> None:
        local = self._local
        if getattr(local, "busy", False):
            return  # on_text (or something it called) wrote to the streams
        local.busy = True
        try:
            self._on_text(name, text)
        except Exception:
            with contextlib.suppress(Exception):
                log.debug("output callback failed", exc_info=True)
        finally:
            local.busy = False


def _unlink(name: StreamName, tee: _Tee) -> None:
    """Take ``tee`` out of ``sys.<name>``: restore its original if it is on top, or splice it out
    of a chain of our own wrappers; otherwise leave it (inactive) where it is."""
    current = getattr(sys, name, None)
    if current is tee:
        setattr(sys, name, _skip_inactive(tee._original))
        return
    while isinstance(current, _Tee):
        if current._original is tee:
            current._original = _skip_inactive(tee._original)
            return
        current = current._original


def _skip_inactive(stream: Any) -> Any:
    while isinstance(stream, _Tee) and not stream._active:
        stream = stream._original
    return stream
