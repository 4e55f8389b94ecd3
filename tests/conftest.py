"""Shared fixtures: a fresh database per test on the chosen backend, and a server with the
extension enabled on it.

Choose the backend with ``--db=sqlite`` (default) or ``--db=postgresql``, or with the environment
variable ``JUPYTER_TRACKER_TEST_DB``. On PostgreSQL the session starts a throwaway server (see
``postgres_server.py``) the first time a test asks for a database, unless
``JUPYTER_TRACKER_TEST_PG_URL`` names an existing one.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import postgres_server
import pytest
from traitlets.config import Config

pytest_plugins = ("pytest_jupyter.jupyter_server",)

DB_ENV = "JUPYTER_TRACKER_TEST_DB"
BACKENDS = ("sqlite", "postgresql")
BACKEND_KEY = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=BACKENDS,
        default=os.environ.get(DB_ENV) or "sqlite",
        help=f"database backend for the tests (default: ${DB_ENV} or sqlite)",
    )


def pytest_configure(config: pytest.Config) -> None:
    backend = config.getoption("--db")
    if backend not in BACKENDS:
        raise pytest.UsageError(f"--db / {DB_ENV}: {backend!r} is not one of {', '.join(BACKENDS)}")
    if (
        backend == "postgresql"
        and not os.environ.get(postgres_server.PG_URL_ENV)
        and postgres_server.find_bindir() is None
    ):
        raise pytest.UsageError(postgres_server.INSTALL_HINT)
    config.stash[BACKEND_KEY] = backend


def pytest_report_header(config: pytest.Config) -> str:
    backend = config.stash[BACKEND_KEY]
    if backend == "sqlite":
        return "database backend: sqlite (a new file per test)"
    if os.environ.get(postgres_server.PG_URL_ENV):
        detail = f"the existing server from ${postgres_server.PG_URL_ENV}"
    else:
        bindir = postgres_server.find_bindir()
        assert bindir is not None
        detail = f"a throwaway server, {_postgres_version(bindir)} from {bindir}"
    return f"database backend: postgresql (a new database per test on {detail})"


def _postgres_version(bindir: Path) -> str:
    try:
        out = subprocess.run(
            [str(bindir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "PostgreSQL"
    # "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> "PostgreSQL 15.18"
    words = out.stdout.split()
    return f"PostgreSQL {words[2]}" if len(words) > 2 else out.stdout.strip()


@pytest.fixture(scope="session")
def db_backend(pytestconfig: pytest.Config) -> str:
    """``"sqlite"`` or ``"postgresql"``: the backend this session tests on."""
    return pytestconfig.stash[BACKEND_KEY]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[postgres_server.PostgresServer]:
    """The session's PostgreSQL server; started on first use, stopped and removed at the end."""
    with postgres_server.running() as server:
        yield server


@pytest.fixture
def make_db_url(
    request: pytest.FixtureRequest, db_backend: str, tmp_path: Path
) -> Iterator[Callable[[], str]]:
    """A factory of further fresh, empty databases for this test, as SQLAlchemy URLs."""
    if db_backend == "sqlite":
        count = 0

        def make_sqlite() -> str:
            nonlocal count
            count += 1
            name = "tracker.db" if count == 1 else f"tracker-{count}.db"
            return f"sqlite:///{tmp_path / name}"

        yield make_sqlite
        return

    server: postgres_server.PostgresServer = request.getfixturevalue("pg_server")
    created: list[str] = []

    def make_postgresql() -> str:
        name, url = server.create_database(request.node.name)
        created.append(name)
        return url

    yield make_postgresql
    for name in created:
        server.release_database(name)


@pytest.fixture
def db_url(make_db_url: Callable[[], str]) -> str:
    """A fresh, empty database for this test: a SQLite file in ``tmp_path`` or a new database on
    the session's PostgreSQL server."""
    return make_db_url()


@pytest.fixture
def blob_dir(tmp_path: Path) -> Path:
    """Where this test's server keeps blobs (not created: the extension makes it)."""
    return tmp_path / "blobs"


@pytest.fixture
def jp_server_config(db_url: str, blob_dir: Path) -> Config:
    """Enable the extension on this test's database and blob directory."""
    return Config(
        {
            "ServerApp": {"jpserver_extensions": {"jupyter_tracker": True}},
            "TrackerExtension": {"db_url": db_url, "blob_dir": str(blob_dir)},
        }
    )
