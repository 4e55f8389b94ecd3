"""The database fixtures: each test gets a working, empty database of its own on the chosen
backend (``--db=sqlite`` or ``--db=postgresql``)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import postgres_server
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


def _table_names(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_db_url_matches_the_chosen_backend(db_url: str, db_backend: str) -> None:
    # Given the session's backend, When a test asks for a database, Then it is on that backend
    url = make_url(db_url)
    assert url.get_backend_name() == db_backend
    if db_backend == "postgresql":
        assert url.drivername == "postgresql+psycopg"


def test_db_url_form_on_the_throwaway_server(db_url: str, db_backend: str) -> None:
    if db_backend != "postgresql":
        pytest.skip("PostgreSQL only")
    if os.environ.get(postgres_server.PG_URL_ENV):
        pytest.skip(f"${postgres_server.PG_URL_ENV} names an existing server")
    assert re.fullmatch(r"postgresql\+psycopg://postgres@127\.0\.0\.1:\d+/jt_\w+", db_url)


def test_db_url_form_on_sqlite(db_url: str, db_backend: str, tmp_path: Path) -> None:
    if db_backend != "sqlite":
        pytest.skip("SQLite only")
    assert db_url == f"sqlite:///{tmp_path}/tracker.db"


def test_database_is_on_postgresql_when_asked(engine: Engine, db_backend: str) -> None:
    with engine.connect() as conn:
        if db_backend == "postgresql":
            version = conn.execute(sa.text("SELECT version()")).scalar_one()
            assert version.startswith("PostgreSQL ")
        else:
            version = conn.execute(sa.text("SELECT sqlite_version()")).scalar_one()
            assert re.fullmatch(r"\d+\.\d+\.\d+", version)


@pytest.mark.parametrize("turn", ["first", "second"])
def test_each_test_gets_an_empty_database(engine: Engine, turn: str) -> None:
    # Given a new test's database, Then it has no tables, even though the other turn of this
    # test made one in its own database
    assert sa.inspect(engine).get_table_names() == []
    # When this test writes to it, Then it works
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE marker (id INTEGER PRIMARY KEY, turn VARCHAR(10))"))
        conn.execute(sa.text("INSERT INTO marker (id, turn) VALUES (1, :turn)"), {"turn": turn})
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT turn FROM marker")).scalar_one() == turn


def test_a_second_database_does_not_see_the_first(
    db_url: str, make_db_url: Callable[[], str]
) -> None:
    # Given a table in this test's database
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE only_here (id INTEGER PRIMARY KEY)"))
    finally:
        engine.dispose()
    # When the test asks for another database
    other = make_db_url()
    # Then it is a different, empty one
    assert other != db_url
    assert _table_names(other) == []
    assert _table_names(db_url) == ["only_here"]


def test_database_names_are_unique_and_valid(
    db_backend: str, make_db_url: Callable[[], str]
) -> None:
    if db_backend != "postgresql":
        pytest.skip("PostgreSQL only")
    names = {make_url(make_db_url()).database for _ in range(3)}
    assert len(names) == 3
    for name in names:
        assert name is not None
        assert len(name) <= 63
        assert re.fullmatch(r"[a-z0-9_]+", name)
