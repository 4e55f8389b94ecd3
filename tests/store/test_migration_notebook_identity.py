"""Migration 0004 (notebook ids, checkpoint origin and warnings, the cell that started a run):
checkpoints stored before it read back as uploads without warnings, and keep their numbering."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from jupyter_tracker.store.blobs import LocalBlobStore
from jupyter_tracker.store.engine import make_engines
from jupyter_tracker.store.entities import Principal, User
from jupyter_tracker.store.inputs import NewCheckpoint
from jupyter_tracker.store.migrate import alembic_config, current_revision
from jupyter_tracker.store.sql import SqlTrackerStore

NOTEBOOK_ID = "1b4e28ba-2fa1-4d2e-883f-0016d3cca427"
LOCAL = Principal(User(0, "me"), projects=None, via_token=False)


def migrate_to(engine: Engine, revision: str, *, down: bool = False) -> None:
    with engine.connect() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)
        conn.commit()


@pytest.fixture
def engine_at_0003(db_url: str) -> Iterator[Engine]:
    """A database at 0003 with a notebook, its checkpoint and a run linked to it."""
    engine = make_engines(db_url).writer
    migrate_to(engine, "0003")
    now = "2026-01-02 03:04:05"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO projects (name, key, description, created_at, last_run_number)"
                f" VALUES ('sandbox', 'SAN', '', '{now}', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO notebooks (project_id, path, created_at, last_number)"
                f" VALUES (1, 'work/a.ipynb', '{now}', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO checkpoints (notebook_id, number, sha256, size, description, author,"
                f" run_label, created_at) VALUES (1, 1, '{'a' * 64}', 10, 'old', 'me', 'SAN-1',"
                f" '{now}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO runs (project_id, number, name, description, owner, state,"
                " created_at, updated_at, heartbeat_at, details, notebook_path, checkpoint_id)"
                f" VALUES (1, 1, 'r', '', 'me', 'running', '{now}', '{now}', '{now}', '{{}}',"
                " 'work/a.ipynb', 1)"
            )
        )
    yield engine
    engine.dispose()


def test_checkpoints_from_before_read_back_as_uploads(
    engine_at_0003: Engine, db_url: str, tmp_path: Path
) -> None:
    # Given a database at 0003 with a checkpoint linked to a run
    # When the store opens it (and so upgrades it)
    store = SqlTrackerStore(db_url, LocalBlobStore(tmp_path / "blobs"))
    try:
        # Then the checkpoint is an upload without warnings or id, and keeps its run
        (old,) = store.list_checkpoints(LOCAL, "sandbox", "work/a.ipynb")
        assert (old.number, old.origin, old.warnings, old.notebook_id) == (1, "upload", (), None)
        assert (old.run_id, old.runs, old.description) == ("SAN-1", ("SAN-1",), "old")
        run = store.get_run(LOCAL, "SAN-1")
        assert run.checkpoint is not None and run.checkpoint.origin == "upload"
        assert (run.notebook_cell_id, run.notebook_execution_count) == (None, None)
        # And the notebook takes the id it is next saved with, and keeps counting
        new = NewCheckpoint("sandbox", "work/a.ipynb", b'{"cells": []}\n', NOTEBOOK_ID)
        saved, created = store.create_checkpoint(LOCAL, new)
        assert created and (saved.number, saved.notebook_id) == (2, NOTEBOOK_ID)
        moved = NewCheckpoint("sandbox", "b.ipynb", b'{"cells": [1]}\n', NOTEBOOK_ID)
        assert store.create_checkpoint(LOCAL, moved)[0].number == 3
    finally:
        store.close()


def test_downgrading_to_0003_keeps_the_checkpoints(engine_at_0003: Engine) -> None:
    engine = engine_at_0003
    migrate_to(engine, "head")
    migrate_to(engine, "0003", down=True)
    assert current_revision(engine) == "0003"
    assert "uid" not in {c["name"] for c in inspect(engine).get_columns("notebooks")}
    assert not {"origin", "warnings"} & {
        c["name"] for c in inspect(engine).get_columns("checkpoints")
    }
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM checkpoints")).scalar_one() == 1
        assert conn.execute(text("SELECT checkpoint_id FROM runs")).scalar_one() == 1
