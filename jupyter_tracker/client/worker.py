"""The background thread: drains buffers into the journal, sends it, and never raises."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .buffers import Buffers
from .http import ApiClient, ApiError, TransportError
from .journal import BATCH, FILE, Journal, Record

log = logging.getLogger("jupyter_tracker.client")

DRAIN_INTERVAL = 0.1
FSYNC_INTERVAL = 1.0
HEARTBEAT_INTERVAL = 10.0
MAX_BACKOFF = 30.0


@dataclass
class Delivery:
    """What a flush found: how many records are still unsent, and why."""

    pending: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.pending == 0


class RunLink:
    """The server-side run a journal belongs to: created once, by its client key."""

    def __init__(self, journal: Journal, api: ApiClient | None) -> None:
        self.journal = journal
        self.api = api
        meta = journal.read_meta()
        self.run_id: str | None = meta.get("run_id")
        self.project: str | None = meta.get("project")

    def ensure(self) -> str:
        """The run id, creating the run first (idempotently) if it is not known yet."""
        if self.run_id is not None:
            return self.run_id
        if self.api is None:
            raise TransportError("offline")
        meta = self.journal.read_meta()
        created = self.api.json("POST", self.api.path("runs"), meta["create"])
        self.run_id = str(created["id"])
        self.journal.write_meta({**meta, "run_id": self.run_id})
        return self.run_id


def send_record(api: ApiClient, run_id: str, record: Record) -> None:
    """Deliver one journal record; raises TransportError or ApiError."""
    if record.kind == BATCH:
        api.request("POST", api.path("runs", run_id, "batches"), record.payload)
        return
    info = record.file_info()
    if info["kind"] == "checkpoint":
        # A notebook, or an envelope {"notebook": ..., "history": ...}; journals written before
        # origin and the cell were recorded hold a plain notebook and none of these keys.
        with Path(info["source"]).open("rb") as f:
            notebook = f.read()
        api.request(
            "POST",
            api.path(
                "notebooks",
                "checkpoints",
                project=info.get("project"),
                path=info["path"],
                run_id=run_id,
                description="saved with the run",
                origin=info.get("origin"),
                cell_id=info.get("cell_id"),
                execution_count=info.get("execution_count"),
            ),
            notebook,
        )
        return
    segment = "artifacts" if info["kind"] == "artifact" else "source-files"
    with Path(info["source"]).open("rb") as f:
        api.request(
            "PUT",
            api.path("runs", run_id, segment, "content", path=info["path"]),
            f,
            "application/octet-stream",
        )


DeferredFiles = Callable[[Path], list[dict[str, Any]]]
"""Given the journal folder, file records to journal (each a dict with ``kind``, ``path`` and
``source``, plus what ``send_record`` reads for its kind)."""


class Worker(threading.Thread):
    """Every ``DRAIN_INTERVAL``: buffers → journal → server, in sequence order."""

    def __init__(self, buffers: Buffers, journal: Journal, link: RunLink) -> None:
        super().__init__(name="jupyter-tracker-worker", daemon=True)
        self.buffers = buffers
        self.journal = journal
        self.link = link
        self.unsent: deque[Record] = deque(journal.pending())
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._cond = threading.Condition()
        self._requested = 0
        self._done = 0
        self._last_fsync = time.monotonic()
        self._last_sent = time.monotonic()
        self._retry_at = 0.0
        self._failures = 0
        self.last_error: str | None = None
        self.refused = 0
        self.last_refusal = ""
        self.stuck = False
        # The journal is written by this thread, and by stop() while this thread waits on
        # the server; never held across a request.
        self._journal_lock = threading.Lock()
        self._closed = False
        self._deferred: list[tuple[float, DeferredFiles]] = []
        self._deferred_lock = threading.Lock()

    # called from the user's thread
    def defer(self, delay: float, make: DeferredFiles) -> None:
        """Journal (and send) the files ``make`` describes ``delay`` seconds from now, or at the
        next ``flush()`` or ``stop()`` if that comes first. ``make`` runs once, on this thread
        (or on the one calling ``stop()`` if this thread is stuck in a request), never on the
        caller's; an exception from it drops its files."""
        with self._deferred_lock:
            self._deferred.append((time.monotonic() + delay, make))

    def flush(self, timeout: float) -> Delivery:
        """Wake the worker and wait until all logged so far is on the server, or timeout."""
        with self._cond:
            self._requested += 1
            ticket = self._requested
        self._retry_at = 0.0
        self._wake.set()
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._done < ticket and self.is_alive():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.05))
            pending = len(self.unsent)
            error = self.last_error
            if pending and error is None:
                error = f"no answer from the server within {timeout:g} s"
            return Delivery(pending, error)

    def stop(self, timeout: float) -> Delivery:
        """Flush, then end the thread; returns within ``timeout`` even if the server hangs,
        with everything logged in the journal by then."""
        deadline = time.monotonic() + timeout
        delivery = self.flush(timeout)
        self._stopping.set()
        self._wake.set()
        self.join(timeout=max(0.0, deadline - time.monotonic()))
        if not delivery.ok and self.is_alive():
            # Still inside a request: journal what the buffers hold from here, so that the
            # process may end now and 'jupyter tracker sync' still finds all of it.
            with self._journal_lock:
                if not self._closed:
                    self._journal_buffers(heartbeat=False, flushing=True)
                    self.journal.sync()
            delivery = Delivery(len(self.unsent), delivery.error)
        return delivery

    # the thread
    def run(self) -> None:
        while True:
            self._wake.wait(DRAIN_INTERVAL)
            self._wake.clear()
            self._guarded(self._cycle)
            if self._stopping.is_set():
                break
        with self._journal_lock:
            self._closed = True
            self._guarded(self.journal.close)
        if self.link.api is not None:
            # This thread's keep-alive connection: nothing else can close it.
            self._guarded(self.link.api.close)

    def _guarded(self, step: Callable[[], Any]) -> None:
        try:
            step()
        except Exception as e:  # never let anything out of this thread
            self.last_error = f"{type(e).__name__}: {e}"
            log.debug("tracker worker error", exc_info=True)

    def _cycle(self) -> None:
        with self._cond:
            ticket = self._requested
        now = time.monotonic()
        # A heartbeat-only batch is due when nothing else is on its way: every batch counts as
        # a heartbeat, and while the server does not answer one more would only pile up.
        heartbeat_due = (
            self.link.api is not None
            and not self.unsent
            and now - self._last_sent > HEARTBEAT_INTERVAL
        )
        flushing = ticket > self._done or self._stopping.is_set()
        with self._journal_lock:
            self._journal_buffers(heartbeat_due, flushing)
            if ticket > self._done or now - self._last_fsync >= FSYNC_INTERVAL:
                self.journal.sync()
                self._last_fsync = now
        if self.unsent and now >= self._retry_at and not self.stuck:
            self._send_all()
        if not self.unsent or self.stuck or self.link.api is None:
            with self._cond:
                self._done = max(self._done, ticket)
                self._cond.notify_all()

    def _journal_buffers(self, heartbeat: bool, flushing: bool = False) -> None:
        """Move what the buffers hold, and the deferred files that are due (all of them when
        ``flushing``), into the journal and the send queue (lock held)."""
        # Deferred files first: at stop() they go before the batch that ends the run.
        for make in self._due(flushing):
            try:
                files = make(self.journal.folder)
            except Exception:
                log.debug("a deferred file could not be prepared", exc_info=True)
                continue
            for info in files:
                self._journal_file(info)
        drained = self.buffers.drain()
        if drained.body or heartbeat:
            body = {**drained.body, "heartbeat": True}
            seq = self.journal.last_seq + 1
            payload = json.dumps({**body, "seq": seq}, separators=(",", ":")).encode()
            self.journal.append(BATCH, payload)
            self.unsent.append(Record(seq, BATCH, payload))
        for info in drained.files:
            self._journal_file(info)

    def _journal_file(self, info: dict[str, Any]) -> None:
        if info["kind"] == "checkpoint":
            info["project"] = self.link.project
        payload = json.dumps(info).encode()
        seq = self.journal.append(FILE, payload)
        self.unsent.append(Record(seq, FILE, payload))

    def _due(self, everything: bool) -> list[DeferredFiles]:
        now = time.monotonic()
        with self._deferred_lock:
            due = [make for at, make in self._deferred if everything or at <= now]
            self._deferred = [item for item in self._deferred if item[1] not in due]
        return due

    def _send_all(self) -> None:
        try:
            run_id = self.link.ensure()
            while self.unsent:
                record = self.unsent[0]
                try:
                    send_record(self.link.api, run_id, record)  # type: ignore[arg-type]
                except ApiError as e:
                    if e.status in (401, 403, 404):
                        raise
                    # The server refuses this record for good: keep going without it.
                    log.warning("jupyter_tracker: a batch was refused: %s", e.message)
                    self.refused += 1
                    self.last_refusal = e.message
                self.unsent.popleft()
                with self._journal_lock:
                    self.journal.ack(record.seq)
                self._last_sent = time.monotonic()
            self._failures = 0
            # A refusal stays visible: flush() and stop() report it after delivery too.
            self.last_error = (
                f"{self.refused} batch(es) refused by the server, last: {self.last_refusal}"
                if self.refused
                else None
            )
        except TransportError as e:
            self._failures += 1
            backoff = min(MAX_BACKOFF, 0.25 * 2 ** min(self._failures, 10))
            self._retry_at = time.monotonic() + backoff * random.uniform(0.5, 1.5)
            self.last_error = str(e)
        except ApiError as e:
            # No access to the run (token revoked, say): keep the journal for a later sync.
            self.stuck = True
            self.last_error = e.message
            log.warning(
                "jupyter_tracker: stopped sending (%s); 'jupyter tracker sync'"
                " can upload the journal later",
                e.message,
            )
