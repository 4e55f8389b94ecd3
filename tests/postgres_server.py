"""A throwaway PostgreSQL server for a test session.

``start()`` gives a server whose ``create_database()`` hands out fresh, empty databases as
SQLAlchemy URLs (``postgresql+psycopg://USER@127.0.0.1:PORT/DBNAME``). Without configuration it
runs its own cluster: ``initdb`` into a new temporary directory (in /dev/shm when that has room;
trust authentication, no fsync), ``postgres`` listening on 127.0.0.1 on a free port and on a unix
socket inside that directory. ``close()`` stops the server and deletes the directory; a small
watchdog process does the same if the test process dies without calling it.

If ``JUPYTER_TRACKER_TEST_PG_URL`` is set to the admin URL of an existing server (a role that may
create databases), that server is used instead; the databases made there are dropped on close.

PostgreSQL refuses to run as root, so as root the cluster runs as the ``postgres`` OS user (or
``nobody`` where there is none).

Run as a script, the module prints where it found the PostgreSQL binaries, or exits with 1 and
says how to install them.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

PG_URL_ENV = "JUPYTER_TRACKER_TEST_PG_URL"
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, postgres) not found in /usr/lib/postgresql/*/bin "
    "or `pg_config --bindir`. Install them with `apt-get install -y postgresql`, "
    f"or set {PG_URL_ENV} to the admin URL of an existing server."
)
STARTUP_TIMEOUT = 60.0
SHUTDOWN_TIMEOUT = 30.0
SUPERUSER = "postgres"

# Run beside the tests in a process of its own: it waits for end-of-file on stdin, which comes when
# the owner closes the pipe (close() has then cleaned up already) or dies in a way that skips
# close() (SIGTERM, SIGKILL). Then it stops the cluster left behind and deletes its directory.
_WATCHDOG = """
import os, shutil, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
base = sys.argv[1]
data = os.path.join(base, "data")
sys.stdin.buffer.read()
try:
    with open(os.path.join(data, "postmaster.pid")) as f:
        pid = int(f.readline())
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        ours = data.encode() in f.read()
except (OSError, ValueError):
    pid, ours = 0, False
if ours:
    os.kill(pid, signal.SIGQUIT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
        time.sleep(0.1)
shutil.rmtree(base, ignore_errors=True)
"""


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries, or the server would not start."""


def find_bindir() -> Path | None:
    """The directory holding ``initdb`` and ``postgres``, newest major version first."""
    candidates: list[Path] = []
    versioned = glob.glob("/usr/lib/postgresql/*/bin")
    versioned.sort(key=lambda p: _version_key(Path(p).parent.name), reverse=True)
    candidates.extend(Path(p) for p in versioned)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            candidates.append(Path(out.stdout.strip()))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "postgres").is_file():
            return bindir
    return None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name)) or (0,)


def _conninfo(url: URL, database: str | None = None) -> str:
    """libpq connection string for ``url`` (any postgresql driver), optionally another database."""
    params: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": database if database is not None else (url.database or "postgres"),
    }
    for key, value in url.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    return psycopg.conninfo.make_conninfo(
        **{key: value for key, value in params.items() if value is not None}
    )


class PostgresServer:
    """A PostgreSQL server that makes and drops test databases through an admin URL."""

    def __init__(self, admin_url: URL, description: str) -> None:
        self.admin_url = admin_url
        self.description = description
        self._prefix = f"jt_{secrets.token_hex(3)}"
        self._count = 0
        self._created: set[str] = set()
        self._released: list[str] = []
        self._admin: psycopg.Connection[Any] | None = None

    def connect_admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(_conninfo(self.admin_url), autocommit=True, connect_timeout=10)

    def _admin_connection(self) -> psycopg.Connection[Any]:
        if self._admin is None or self._admin.closed or self._admin.broken:
            self._admin = self.connect_admin()
        return self._admin

    def url_for(self, database: str) -> str:
        return self.admin_url.set(
            drivername="postgresql+psycopg", database=database
        ).render_as_string(hide_password=False)

    def create_database(self, label: str = "") -> tuple[str, str]:
        """Create a new empty database; return ``(name, sqlalchemy_url)``.

        The name is unique in this session (and across sessions sharing a server) and carries a
        sanitized ``label``, such as the test's name, to make it recognisable.
        """
        self._drop_released()
        self._count += 1
        slug = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
        name = f"{self._prefix}_{self._count:04d}_{slug}"[:63].rstrip("_")
        self._admin_connection().execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'").format(
                sql.Identifier(name)
            )
        )
        self._created.add(name)
        return name, self.url_for(name)

    def release_database(self, name: str) -> None:
        """Mark ``name`` as no longer needed; it is dropped once no client is connected to it.

        Dropping right away would wait (100 ms at a time, up to 5 s) for the backends of
        connections just closed to exit, or for ones a test leaked; so drops happen on the next
        ``create_database()`` and, whatever is still there, on ``close()``.
        """
        if name in self._created and name not in self._released:
            self._released.append(name)

    def _drop_released(self) -> None:
        if not self._released:
            return
        conn = self._admin_connection()
        busy = {
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT datname FROM pg_stat_activity WHERE datname = ANY(%s)",
                [self._released],
            )
        }
        for name in [n for n in self._released if n not in busy]:
            try:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            except psycopg.errors.ObjectInUse:
                continue
            self._released.remove(name)
            self._created.discard(name)

    def close(self) -> None:
        """Drop every database this session created, disconnecting any clients left."""
        try:
            conn = self._admin_connection()
            for name in sorted(self._created):
                with contextlib.suppress(psycopg.Error):
                    conn.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(name)
                        )
                    )
        finally:
            self._created.clear()
            self._released.clear()
            self._close_admin()

    def _close_admin(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            admin.close()


def _scratch_parent() -> str | None:
    """Where to put the cluster: /dev/shm when it is a roomy tmpfs, else the default temp dir.

    On a disk, CREATE DATABASE took 150-250 ms here (it copies and syncs the template's files);
    in memory about 10 ms, and the server starts in half a second instead of one to two.
    """
    shm = "/dev/shm"
    try:
        if os.access(shm, os.W_OK | os.X_OK) and shutil.disk_usage(shm).free >= 1 << 30:
            return shm
    except OSError:
        pass
    return None


class LocalPostgresServer(PostgresServer):
    """A cluster of our own in a temporary directory, deleted on close."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.base_dir = Path(tempfile.mkdtemp(prefix="jupyter-tracker-pg-", dir=_scratch_parent()))
        self.data_dir = self.base_dir / "data"
        self.socket_dir = self.base_dir / "run"
        self.log_file = self.base_dir / "postgres.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.startup_seconds = 0.0
        self._run_as: dict[str, Any] = {}
        self._watchdog: subprocess.Popen[bytes] | None = None
        super().__init__(URL.create("postgresql+psycopg"), f"throwaway server from {bindir}")

    def start(self) -> None:
        began = time.monotonic()
        try:
            self._watchdog = subprocess.Popen(
                [sys.executable, "-I", "-c", _WATCHDOG, str(self.base_dir)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd="/",
                start_new_session=True,
            )
            self._prepare_dirs()
            self._initdb()
            for _attempt in range(5):
                self.port = _free_port()
                if self._launch():
                    break
            else:
                raise PostgresUnavailable(
                    f"postgres did not start; last log lines:\n{self._log_tail()}"
                )
        except BaseException:
            self.close()
            raise
        atexit.register(self.close)
        self.admin_url = URL.create(
            "postgresql+psycopg",
            username=SUPERUSER,
            host="127.0.0.1",
            port=self.port,
            database="postgres",
        )
        self.description = f"throwaway server from {self.bindir} on 127.0.0.1:{self.port}"
        self.startup_seconds = time.monotonic() - began

    def _prepare_dirs(self) -> None:
        self.socket_dir.mkdir()
        if os.geteuid() != 0:
            return
        for user_name in ("postgres", "nobody"):
            try:
                entry = pwd.getpwnam(user_name)
            except KeyError:
                continue
            break
        else:
            raise PostgresUnavailable(
                "running as root, and no 'postgres' or 'nobody' user to run as"
            )
        self._run_as = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        for path in (self.base_dir, self.socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        # mkdtemp makes the directory 0700: fine for its owner, who is now the server's user.

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        env["TZ"] = "UTC"
        return env

    def _run(self, args: list[str]) -> None:
        result = subprocess.run(
            args,
            cwd=self.base_dir,
            env=self._env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
            **self._run_as,
        )
        if result.returncode != 0:
            output = result.stdout.decode(errors="replace")
            raise PostgresUnavailable(f"{args[0]} failed ({result.returncode}):\n{output}")

    def _initdb(self) -> None:
        self._run(
            [
                str(self.bindir / "initdb"),
                "--pgdata",
                str(self.data_dir),
                "--username",
                SUPERUSER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
                "--no-instructions",
            ]
        )

    def _launch(self) -> bool:
        """Start postgres on ``self.port``; False if it exited early (say, the port was taken)."""
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                [
                    str(self.bindir / "postgres"),
                    "-D",
                    str(self.data_dir),
                    "-p",
                    str(self.port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"unix_socket_directories={self.socket_dir}",
                    # Durability is worthless for a throwaway cluster; speed is not.
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                    "-c",
                    "logging_collector=off",
                ],
                cwd=self.base_dir,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Keep terminal signals (Ctrl-C) away from the server: close() stops it in order.
                start_new_session=True,
                **self._run_as,
            )
        conninfo = psycopg.conninfo.make_conninfo(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", connect_timeout=2
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                return False
            try:
                with psycopg.connect(conninfo) as conn:
                    conn.execute("SELECT 1")
                return True
            except psycopg.OperationalError:
                time.sleep(0.05)
        self._stop_process()
        raise PostgresUnavailable(
            f"postgres did not accept connections within {STARTUP_TIMEOUT:.0f} s:\n"
            f"{self._log_tail()}"
        )

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _stop_process(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # SIGINT is PostgreSQL's "fast" shutdown: disconnect clients, then exit.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def close(self) -> None:
        """Stop the server and delete its directory; databases go with it."""
        atexit.unregister(self.close)
        self._created.clear()
        self._released.clear()
        try:
            self._close_admin()
            self._stop_process()
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self._stop_watchdog()

    def _stop_watchdog(self) -> None:
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is None:
            return
        if watchdog.stdin is not None:
            watchdog.stdin.close()
        try:
            watchdog.wait(10)
        except subprocess.TimeoutExpired:
            watchdog.kill()
            watchdog.wait()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start() -> PostgresServer:
    """The server from ``JUPYTER_TRACKER_TEST_PG_URL``, or a throwaway one, started."""
    external = os.environ.get(PG_URL_ENV)
    if external:
        url = make_url(external)
        server = PostgresServer(
            url, f"existing server {url.host or 'localhost'}:{url.port or 5432}"
        )
        with server.connect_admin():
            pass
        return server
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(INSTALL_HINT)
    local = LocalPostgresServer(bindir)
    local.start()
    return local


@contextlib.contextmanager
def running() -> Iterator[PostgresServer]:
    """``start()``, then ``close()`` at the end, also on failure."""
    server = start()
    try:
        yield server
    finally:
        server.close()


def main() -> int:
    if os.environ.get(PG_URL_ENV):
        print(f"using the existing server from {PG_URL_ENV}")
        return 0
    bindir = find_bindir()
    if bindir is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 1
    print(bindir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
