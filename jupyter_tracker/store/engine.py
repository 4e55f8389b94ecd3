"""Database engines: SQLite tuned for one writer and many readers, or PostgreSQL by URL."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Engines:
    """A writer and a reader engine; on PostgreSQL they are the same engine."""

    writer: Engine
    reader: Engine

    @property
    def is_sqlite(self) -> bool:
        return self.writer.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=4,
        max_overflow=4,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Take transaction control from pysqlite so that BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def make_engines(url: str) -> Engines:
    """Engines for ``url``. SQLite writes run in ``BEGIN IMMEDIATE`` transactions."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return Engines(
            writer=_sqlite_engine(url, immediate=True),
            reader=_sqlite_engine(url, immediate=False),
        )
    engine = create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)
    return Engines(writer=engine, reader=engine)


def redact(url: str) -> str:
    """The URL with its password hidden, fit for logs."""
    return make_url(url).render_as_string(hide_password=True)
