"""A run's on-disk journal: every batch is written here before it is sent.

One folder per run, named by the run's client key: ``meta.json`` (what the run is and where it
goes), ``records.log`` (append-only records) and ``acked`` (the highest sequence number the
server acknowledged). Records are sent in order, so everything up to ``acked`` is on the server;
the log is emptied only once every record in it is acknowledged. A writer holds an exclusive
lock on the folder, so ``jupyter tracker sync`` never touches a journal still in use.
"""

from __future__ import annotations

import fcntl
import json
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAGIC = b"JTR1"
HEADER = struct.Struct("<4sBIIQ")  # magic, kind, payload length, crc32, seq
BATCH = 1
FILE = 2
TRUNCATE_ABOVE = 4 * 1024 * 1024


@dataclass(frozen=True)
class Record:
    seq: int
    kind: int
    payload: bytes

    def file_info(self) -> dict[str, Any]:
        info: dict[str, Any] = json.loads(self.payload)
        return info


class JournalLocked(Exception):
    """Another live process is writing this journal."""


class Journal:
    """The journal folder of one run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock_file = (folder / "lock").open("a")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise JournalLocked(str(folder)) from None
        self._log = (folder / "records.log").open("ab")
        self.acked = self._read_acked()
        self.last_seq = max([self.acked, *(r.seq for r in self.records())])
        self._dirty = False

    # metadata
    @property
    def meta_path(self) -> Path:
        return self.folder / "meta.json"

    def read_meta(self) -> dict[str, Any]:
        try:
            meta: dict[str, Any] = json.loads(self.meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return meta

    def write_meta(self, meta: dict[str, Any]) -> None:
        tmp = self.folder / "meta.json.tmp"
        tmp.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(tmp, self.meta_path)

    # records
    def append(self, kind: int, payload: bytes) -> int:
        """Write one record with the next sequence number; durable after ``sync``."""
        seq = self.last_seq + 1
        header = HEADER.pack(MAGIC, kind, len(payload), zlib.crc32(payload), seq)
        self._log.write(header + payload)
        self._log.flush()  # into the OS: survives the death of this process from here on
        self.last_seq = seq
        self._dirty = True
        return seq

    def sync(self) -> None:
        """fsync what was appended: survives the machine too."""
        if self._dirty:
            os.fsync(self._log.fileno())
            self._dirty = False

    def records(self, after: int = 0) -> Iterator[Record]:
        """Complete, intact records with seq > ``after``; a torn tail is ignored."""
        try:
            data = (self.folder / "records.log").read_bytes()
        except FileNotFoundError:
            return
        pos = 0
        while pos + HEADER.size <= len(data):
            magic, kind, length, crc, seq = HEADER.unpack_from(data, pos)
            start, end = pos + HEADER.size, pos + HEADER.size + length
            if magic != MAGIC or end > len(data):
                return
            payload = data[start:end]
            if zlib.crc32(payload) != crc:
                return
            if seq > after:
                yield Record(seq, kind, payload)
            pos = end

    def pending(self) -> list[Record]:
        return list(self.records(after=self.acked))

    def ack(self, seq: int) -> None:
        """The server has everything up to ``seq``; empty the log once all of it is acked."""
        if seq <= self.acked:
            return
        self.acked = seq
        tmp = self.folder / "acked.tmp"
        tmp.write_text(str(seq), encoding="ascii")
        os.replace(tmp, self.folder / "acked")
        if self.acked >= self.last_seq and self._log.tell() > TRUNCATE_ABOVE:
            self._log.truncate(0)
            self._log.seek(0)

    def _read_acked(self) -> int:
        try:
            return int((self.folder / "acked").read_text(encoding="ascii").strip() or 0)
        except (OSError, ValueError):
            return 0

    @property
    def complete(self) -> bool:
        return self.acked >= self.last_seq

    def close(self) -> None:
        try:
            self.sync()
        finally:
            self._log.close()
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()


def journal_root(data_dir: Path) -> Path:
    return data_dir / "journal"
