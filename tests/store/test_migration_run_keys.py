"""Migration 0002 (client_key and kernel_id on runs): an existing database keeps every row."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from jupyter_tracker.store.engine import make_engines
from jupyter_tracker.store.migrate import alembic_config, current_revision, upgrade

CHILD_TABLES = ("params", "properties", "tags", "series", "applied_batches", "run_files")


def migrate_to(engine: Engine, revision: str, *, down: bool = False) -> None:
    with engine.connect() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)
        conn.commit()


def counts(conn: Connection) -> dict[str, int]:
    return {
        table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
        for table in ("projects", "runs", *CHILD_TABLES)
    }


@pytest.fixture
def engine_at_0001(db_url: str) -> Iterator[Engine]:
    """A database at revision 0001 holding a run with a row in every table that refers to it."""
    engine = make_engines(db_url).writer
    migrate_to(engine, "0001")
    now = "2026-01-02 03:04:05"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO projects (name, key, description, created_at, last_run_number)"
                f" VALUES ('sandbox', 'SAN', '', '{now}', 2), ('other', 'OTH', '', '{now}', 0)"
            )
        )
        for number in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO runs (project_id, number, name, description, owner, state,"
                    " created_at, updated_at, heartbeat_at, details)"
                    f" VALUES (1, {number}, 'r', '', 'me', 'running', '{now}', '{now}', '{now}',"
                    " '{}')"
                )
            )
        conn.execute(text("INSERT INTO params (run_id, key, value) VALUES (1, 'lr', '0.1')"))
        conn.execute(text("INSERT INTO properties (run_id, key, value) VALUES (1, 'k', 'v')"))
        conn.execute(text("INSERT INTO tags (run_id, tag) VALUES (1, 't')"))
        conn.execute(
            text(
                "INSERT INTO series (run_id, name, kind, count, chunk_count, updated_at)"
                f" VALUES (1, 'loss', 'numeric', 0, 0, '{now}')"
            )
        )
        conn.execute(text("INSERT INTO applied_batches (run_id, seq) VALUES (1, 0)"))
        conn.execute(
            text(
                "INSERT INTO run_files (run_id, kind, path, size, sha256, created_at)"
                f" VALUES (1, 'artifact', 'a.txt', 1, '{'0' * 64}', '{now}')"
            )
        )
    yield engine
    engine.dispose()


def test_upgrading_a_database_with_runs_keeps_all_their_rows(engine_at_0001: Engine) -> None:
    # Given a database at 0001 with runs and rows that refer to them
    engine = engine_at_0001
    with engine.connect() as conn:
        before = counts(conn)
    assert all(before.values()), before
    # When it is upgraded to the newest schema
    upgrade(engine)
    # Then nothing was lost, and the runs have no client key and no kernel
    with engine.connect() as conn:
        assert counts(conn) == before
        rows = conn.execute(text("SELECT client_key, kernel_id FROM runs")).all()
    assert [tuple(r) for r in rows] == [(None, None), (None, None)]
    indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("runs")}
    assert indexes["ix_runs_kernel_id"]["column_names"] == ["kernel_id"]
    assert indexes["uq_runs_project_client_key"]["unique"]


def test_a_client_key_is_unique_within_a_project_only(engine_at_0001: Engine) -> None:
    # Given an upgraded database
    engine = engine_at_0001
    upgrade(engine)
    with engine.begin() as conn:
        # When runs of two projects take one key, and two runs take none
        conn.execute(text("UPDATE runs SET client_key = NULL"))
        conn.execute(
            text(
                "INSERT INTO runs (project_id, number, name, description, owner, state,"
                " created_at, updated_at, details, client_key)"
                " VALUES (2, 1, 'r', '', 'me', 'running', '2026-01-02', '2026-01-02', '{}',"
                " 'abcdefgh')"
            )
        )
        conn.execute(text("UPDATE runs SET client_key = 'abcdefgh' WHERE id = 1"))
    # Then that is allowed; but a second run of one project with that key is not
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE runs SET client_key = 'abcdefgh' WHERE id = 2"))


def test_downgrading_to_0001_keeps_all_rows_too(engine_at_0001: Engine) -> None:
    engine = engine_at_0001
    upgrade(engine)
    with engine.connect() as conn:
        before = counts(conn)
    migrate_to(engine, "0001", down=True)
    assert current_revision(engine) == "0001"
    columns = {c["name"] for c in inspect(engine).get_columns("runs")}
    assert not {"client_key", "kernel_id"} & columns
    with engine.connect() as conn:
        assert counts(conn) == before
