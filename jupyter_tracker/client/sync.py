"""``jupyter tracker sync``: upload journals that a run left behind, each record exactly once.

A run leaves a journal when it was offline, when the server was away at its end, or when its
process died. Each journal names its run by a client key, so the run is created at most once;
each record carries its sequence number, so the server applies it at most once.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .config import ENV_TOKEN, ENV_URL, data_dir
from .http import ApiClient, ApiError, TransportError
from .journal import Journal, JournalLocked, journal_root
from .worker import RunLink, send_record


@dataclass
class SyncReport:
    synced: int = 0
    records: int = 0
    in_use: int = 0
    failed: int = 0


def _bar(done: int, total: int, label: str, out: TextIO) -> None:
    width = 30
    filled = width if total == 0 else width * done // total
    out.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    out.flush()


def sync_journal(journal: Journal, api: ApiClient, out: TextIO) -> int:
    """Send every unacknowledged record of one journal; returns how many were sent."""
    link = RunLink(journal, api)
    run_id = link.ensure()
    records = journal.pending()
    _bar(0, len(records), run_id, out)
    for i, record in enumerate(records, 1):
        try:
            send_record(api, run_id, record)
        except ApiError as e:
            if e.status in (401, 403, 404):
                raise
            out.write(f"\n{run_id}: record {record.seq} refused ({e.message}); skipped\n")
        journal.ack(record.seq)
        _bar(i, len(records), run_id, out)
    out.write("\n")
    return len(records)


def sync_all(
    url: str | None,
    api_token: str | None,
    root: Path | None = None,
    out: TextIO = sys.stderr,
) -> SyncReport:
    """Sync every journal under ``root`` (the Jupyter data directory's by default)."""
    import os

    root = root or journal_root(data_dir())
    report = SyncReport()
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    for folder in folders:
        try:
            journal = Journal(folder)
        except JournalLocked:
            report.in_use += 1
            continue
        try:
            meta = journal.read_meta()
            target = url or meta.get("url") or os.environ.get(ENV_URL)
            if not target:
                out.write(f"{folder.name}: no tracker URL; pass --url or set {ENV_URL}\n")
                report.failed += 1
                continue
            token = api_token or os.environ.get(ENV_TOKEN)
            api = ApiClient(target, token)
            report.records += sync_journal(journal, api, out)
            report.synced += 1
        except (TransportError, ApiError) as e:
            out.write(f"\n{folder.name}: {e}\n")
            report.failed += 1
            journal.close()
            continue
        journal.close()
        shutil.rmtree(folder, ignore_errors=True)
    return report
