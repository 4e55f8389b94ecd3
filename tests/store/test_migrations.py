"""Schema migrations: an empty database upgrades to exactly the models, once, without races."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from jupyter_tracker.store.engine import make_engines
from jupyter_tracker.store.migrate import current_revision, head_revision, upgrade
from jupyter_tracker.store.models import Base


def test_upgrade_of_an_empty_database_matches_the_models(db_url: str) -> None:
    # Given an empty database
    engines = make_engines(db_url)
    assert current_revision(engines.writer) is None
    # When it is upgraded
    upgrade(engines.writer)
    # Then it is at the head revision and alembic finds no difference from the models
    assert current_revision(engines.writer) == head_revision()
    with engines.writer.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engines.dispose()
    assert diff == []


def test_upgrade_twice_is_a_no_op(db_url: str) -> None:
    engines = make_engines(db_url)
    upgrade(engines.writer)
    tables = set(inspect(engines.writer).get_table_names())
    upgrade(engines.writer)
    assert set(inspect(engines.writer).get_table_names()) == tables
    assert {"runs", "series", "series_chunks", "api_tokens"} <= tables
    engines.dispose()


def test_servers_starting_at_once_do_not_race(db_url: str) -> None:
    # Given four processes that open the same empty database at the same moment
    script = textwrap.dedent(
        f"""
        import sys, time
        from jupyter_tracker.store.blobs import LocalBlobStore
        from jupyter_tracker.store.sql import SqlTrackerStore
        start = float(sys.argv[1])
        time.sleep(max(0.0, start - time.time()))
        store = SqlTrackerStore({db_url!r}, LocalBlobStore(sys.argv[2]))
        print(store.ensure_project("sandbox").key)
        store.close()
        """
    )
    import tempfile
    import time

    with tempfile.TemporaryDirectory() as blobs:
        start = str(time.time() + 2.0)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script, start, blobs],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        results = [p.communicate(timeout=120) for p in procs]
    # Then every one of them comes up, and the schema and the default project exist once
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "SAN"
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM projects")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: object) -> None:
    engines = make_engines(f"sqlite:///{tmp_path}/x.db")
    with engines.writer.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engines.dispose()
