"""Ending runs whose process is gone: a heartbeat reaper, and (inside Jupyter) a watcher of
kernel shutdowns and restarts."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from jupyter_events import EventLogger
from tornado.ioloop import PeriodicCallback

from .service import TrackerService

# Emitted by jupyter_server's kernel managers after each start, interrupt, shutdown and restart.
KERNEL_ACTIONS_SCHEMA = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"
# Either one ends the kernel's process, and with it every run that lived in it.
ENDING_ACTIONS = frozenset({"shutdown", "restart"})


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class HeartbeatReaper:
    """Every ``interval`` seconds, aborts running runs with no heartbeat for ``timeout`` seconds.

    A ``timeout`` of 0 (or less) disables it. Checks never overlap; a failing check is logged
    and the next one tried on time.
    """

    def __init__(
        self, service: TrackerService, timeout: float, interval: float, log: logging.Logger
    ) -> None:
        self.service = service
        self.timeout = timeout
        self.interval = interval
        self.log = log
        self._callback: PeriodicCallback | None = None
        self._check: asyncio.Task[list[str]] | None = None

    @property
    def enabled(self) -> bool:
        return self.timeout > 0

    def start(self) -> None:
        """Schedule the checks on the current IOLoop (it need not run yet)."""
        if not self.enabled or self._callback is not None:
            return
        if self.interval <= 0:
            raise ValueError("the heartbeat check interval must be positive")
        self._callback = PeriodicCallback(self._tick, self.interval * 1000)
        self._callback.start()

    def _tick(self) -> None:
        if self._check is None or self._check.done():
            self._check = asyncio.ensure_future(self.check())

    async def check(self) -> list[str]:
        """One check now: the ids of the runs it aborted."""
        cutoff = _utcnow() - dt.timedelta(seconds=self.timeout)
        try:
            aborted = await self.service.call(self.service.store.abort_stale_runs, cutoff)
        except Exception:
            self.log.exception("jupyter_tracker: the heartbeat check failed")
            return []
        if aborted:
            self.log.warning(
                "jupyter_tracker: aborted %s: no heartbeat for %g s",
                ", ".join(aborted),
                self.timeout,
            )
        return aborted

    async def stop(self) -> None:
        """Stop the checks and wait for one under way to end."""
        if self._callback is not None:
            self._callback.stop()
            self._callback = None
        if self._check is not None:
            await asyncio.wait([self._check])
            self._check = None


class KernelRunsWatcher:
    """Aborts the running runs of a kernel as soon as Jupyter shuts it down or restarts it.

    It listens to the kernel action events on the server's event bus. Only successful actions
    count; a kernel that failed to go away keeps its runs (the heartbeat reaper ends them if it
    did die after all).
    """

    def __init__(
        self, service: TrackerService, event_logger: EventLogger, log: logging.Logger
    ) -> None:
        self.service = service
        self.event_logger = event_logger
        self.log = log
        self._listening = False
        self._pending: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        if not self._listening:
            self.event_logger.add_listener(
                schema_id=KERNEL_ACTIONS_SCHEMA, listener=self._on_kernel_action
            )
            self._listening = True

    async def _on_kernel_action(
        self, logger: EventLogger, schema_id: str, data: dict[str, Any]
    ) -> None:
        action, kernel_id = data.get("action"), data.get("kernel_id")
        if action not in ENDING_ACTIONS or data.get("status") != "success":
            return
        if not isinstance(kernel_id, str) or not kernel_id:
            return
        # The event comes after the action; a restarted kernel's new process may start runs
        # of its own under the same kernel id, and those are left alone.
        at = _utcnow()
        task = asyncio.current_task()
        if task is not None:
            self._pending.add(task)
        try:
            await self.abort(kernel_id, str(action), created_before=at)
        finally:
            if task is not None:
                self._pending.discard(task)

    async def abort(
        self, kernel_id: str, why: str, created_before: dt.datetime | None = None
    ) -> list[str]:
        """Abort the running runs of ``kernel_id``; their ids."""
        try:
            aborted = await self.service.call(
                self.service.store.abort_kernel_runs, kernel_id, created_before
            )
        except Exception:
            self.log.exception("jupyter_tracker: could not end the runs of kernel %s", kernel_id)
            return []
        if aborted:
            self.log.info(
                "jupyter_tracker: aborted %s: kernel %s %s", ", ".join(aborted), kernel_id, why
            )
        return aborted

    async def stop(self, kernels_to_end: Iterable[str] = ()) -> None:
        """Stop listening, let handlers under way finish, then abort the runs of
        ``kernels_to_end``: the kernels the server is about to shut down, whose events come
        only after the store is closed."""
        if self._listening:
            self.event_logger.remove_listener(
                schema_id=KERNEL_ACTIONS_SCHEMA, listener=self._on_kernel_action
            )
            self._listening = False
        # Handlers of events emitted just before are scheduled but may not have begun.
        await asyncio.sleep(0)
        if self._pending:
            await asyncio.wait(list(self._pending))
        for kernel_id in kernels_to_end:
            await self.abort(kernel_id, "shut down with the server")
