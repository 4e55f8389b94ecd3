"""``jupyter tracker``: API tokens, database upgrades, and the standalone team server."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .store.blobs import LocalBlobStore
from .store.engine import make_engines, redact
from .store.errors import TrackerError
from .store.migrate import current_revision, head_revision, upgrade
from .store.sql import DEFAULT_PROJECT, SqlTrackerStore


def _default_data_dir() -> Path:
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "jupyter_tracker"


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "jovyan"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter tracker", description=__doc__)
    parser.add_argument(
        "--db-url",
        default=os.environ.get("JUPYTER_TRACKER_DB_URL"),
        help="SQLAlchemy database URL (default: $JUPYTER_TRACKER_DB_URL, else SQLite in the"
        " Jupyter data directory)",
    )
    parser.add_argument("--blob-dir", help="blob directory (default: beside the database)")
    commands = parser.add_subparsers(dest="command", required=True)

    token = commands.add_parser("token", help="create, list and revoke API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="create a token and print its secret")
    scope = create.add_mutually_exclusive_group(required=True)
    scope.add_argument("--project", action="append", help="a project the token covers")
    scope.add_argument("--all-projects", action="store_true", help="cover every project")
    create.add_argument("--name", default="command line", help="a label for the token")
    create.add_argument("--user", default=_default_user())
    listing = token_commands.add_parser("list", help="list a user's tokens (never secrets)")
    listing.add_argument("--user", default=_default_user())
    revoke = token_commands.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("token_id", type=int)
    revoke.add_argument("--user", default=_default_user())

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="bring the schema to the newest version")

    sync = commands.add_parser("sync", help="upload the journals of offline or cut-off runs")
    sync.add_argument("--url", help="tracker URL (default: the one each run was logging to)")
    sync.add_argument("--journal-dir", help="where the journals are (default: Jupyter's)")

    serve = commands.add_parser("serve", help="run the API as a standalone team server")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--ip", default="127.0.0.1")
    serve.add_argument(
        "--heartbeat-timeout",
        type=_seconds(allow_zero=True),
        default=120.0,
        metavar="SECONDS",
        help="mark a running run aborted after this long without a heartbeat; 0 never"
        " (default: 120)",
    )
    serve.add_argument(
        "--heartbeat-check-interval",
        type=_seconds(allow_zero=False),
        default=30.0,
        metavar="SECONDS",
        help="how often to look for such runs (default: 30)",
    )
    return parser


def _seconds(*, allow_zero: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
            least = "0 or more" if allow_zero else "more than 0"
            raise argparse.ArgumentTypeError(f"{text!r}: give {least} seconds")
        return value

    return parse


def _db_url(args: argparse.Namespace) -> str:
    if args.db_url:
        return str(args.db_url)
    path = _default_data_dir() / "tracker.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _blob_dir(args: argparse.Namespace) -> str:
    return str(args.blob_dir or _default_data_dir() / "blobs")


def _store(args: argparse.Namespace) -> SqlTrackerStore:
    return SqlTrackerStore(_db_url(args), LocalBlobStore(_blob_dir(args)))


def _token(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        if args.token_command == "create":
            scope = None if args.all_projects else tuple(args.project)
            token, secret = store.create_token(args.user, args.name, scope)
            print(secret)
            covers = "all projects" if scope is None else ", ".join(scope)
            print(f"token {token.id} for {args.user} ({covers}); shown once", file=sys.stderr)
        elif args.token_command == "list":
            for t in store.list_tokens(args.user):
                state = "revoked" if t.revoked_at else "active"
                covers = "*" if t.projects is None else ",".join(t.projects)
                print(f"{t.id}\t{t.prefix}…\t{t.name}\t{covers}\t{state}\t{t.created_at:%Y-%m-%d}")
        else:
            t = store.revoke_token(args.user, args.token_id)
            print(f"token {t.id} revoked")
    finally:
        store.close()
    return 0


def _db(args: argparse.Namespace) -> int:
    url = _db_url(args)
    engines = make_engines(url)
    try:
        before = current_revision(engines.writer)
        upgrade(engines.writer)
        print(f"{redact(url)}: schema {before or 'empty'} -> {head_revision()}")
    finally:
        engines.dispose()
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .server.service import TrackerService
    from .server.standalone import serve

    logging.basicConfig(level=logging.INFO, format="[%(asctime)s %(name)s] %(message)s")
    store = _store(args)
    store.ensure_project(DEFAULT_PROJECT)
    logging.getLogger("jupyter_tracker.serve").info("database %s", redact(_db_url(args)))
    asyncio.run(
        serve(
            TrackerService(store, local_user=None),
            args.ip,
            args.port,
            heartbeat_timeout=args.heartbeat_timeout,
            heartbeat_check_interval=args.heartbeat_check_interval,
        )
    )
    return 0


def _sync(args: argparse.Namespace) -> int:
    """Token from JUPYTER_TRACKER_API_TOKEN or the config file: never a command-line argument,
    which other users could read in the process list."""
    from .client.config import resolve
    from .client.sync import sync_all

    settings = resolve(mode="offline")
    root = Path(args.journal_dir) if args.journal_dir else None
    report = sync_all(args.url, settings.api_token, root)
    print(
        f"synced {report.synced} run(s), {report.records} record(s);"
        f" {report.in_use} in use by a running process; {report.failed} failed"
    )
    return 1 if report.failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "sync":
            return _sync(args)
        if args.command == "token":
            return _token(args)
        if args.command == "db":
            return _db(args)
        return _serve(args)
    except TrackerError as e:
        print(f"error: {e.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
