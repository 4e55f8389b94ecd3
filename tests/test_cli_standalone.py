"""The ``jupyter tracker`` command line and the standalone team server it runs."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tornado.web import RequestHandler

from jupyter_tracker.server.handlers import ROUTE_TABLE
from jupyter_tracker.store.migrate import head_revision

API = "/jupyter-tracker/api/v1"


def cli(db_url: str, blob_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter_tracker.cli",
            "--db-url",
            db_url,
            "--blob-dir",
            str(blob_dir),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def request(
    url: str, method: str = "GET", token: str | None = None, body: object = None
) -> tuple[int, dict[str, object]]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    if data is None and method in ("POST", "PUT", "PATCH"):
        data = b"{}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


@pytest.fixture
def served(db_url: str, blob_dir: Path) -> Iterator[str]:
    """A standalone server on a free port; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_tracker.cli",
            "--db-url",
            db_url,
            "--blob-dir",
            str(blob_dir),
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read() if proc.stdout else "serve exited") from None
            time.sleep(0.1)
    yield base
    proc.terminate()
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output


def test_token_create_list_revoke(db_url: str, blob_dir: Path) -> None:
    # Given a fresh database
    # When a token is created for the sandbox project
    created = cli(db_url, blob_dir, "token", "create", "--project", "sandbox", "--name", "ci")
    # Then only the secret is printed on stdout, and the listing never shows it
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert re.fullmatch(r"jtt_[A-Za-z0-9_-]{40,}", secret)
    listed = cli(db_url, blob_dir, "token", "list")
    assert listed.returncode == 0
    assert "ci" in listed.stdout and "sandbox" in listed.stdout and "active" in listed.stdout
    assert secret not in listed.stdout
    token_id = listed.stdout.split("\t", 1)[0]
    # When it is revoked, the listing says so
    assert cli(db_url, blob_dir, "token", "revoke", token_id).returncode == 0
    assert "revoked" in cli(db_url, blob_dir, "token", "list").stdout


def test_token_create_for_a_missing_project_fails_clearly(db_url: str, blob_dir: Path) -> None:
    result = cli(db_url, blob_dir, "token", "create", "--project", "nope")
    assert result.returncode == 2
    assert "no project 'nope'" in result.stderr
    assert result.stdout == ""


def test_db_upgrade_reports_the_schema(db_url: str, blob_dir: Path) -> None:
    head = head_revision()
    first = cli(db_url, blob_dir, "db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert f"schema empty -> {head}" in first.stdout
    again = cli(db_url, blob_dir, "db", "upgrade")
    assert f"schema {head} -> {head}" in again.stdout
    assert "@" not in again.stdout.split(":")[0] or "***" in again.stdout


def test_serve_requires_a_token_on_every_route(served: str, db_url: str, blob_dir: Path) -> None:
    # Given a standalone server and the route table it serves
    samples = {"name": "sandbox", "run_id": "SAN-1", "sha256": "0" * 64, "token_id": "1"}
    # When every method of every route is called without a token
    checked = 0
    for template, handler, _ in ROUTE_TABLE:
        path = API + template.format(**samples)
        for method in ("get", "post", "put", "patch", "delete"):
            if getattr(handler, method) is getattr(RequestHandler, method):
                continue
            status, body = request(served + path, method.upper())
            # Then each is refused before doing anything
            assert status in (401, 403), (method, path, status, body)
            checked += 1
    assert checked >= 20


def test_serve_accepts_tokens_and_nothing_else(served: str, db_url: str, blob_dir: Path) -> None:
    secret = cli(db_url, blob_dir, "token", "create", "--project", "sandbox").stdout.strip()
    # A run created with the token is listed with it
    status, run = request(served + API + "/runs", "POST", secret, {"name": "team run"})
    assert run["id"] == "SAN-1"
    assert status == 201
    status, page = request(served + API + "/runs?project=sandbox", token=secret)
    assert status == 200 and [r["name"] for r in page["runs"]] == ["team run"]  # type: ignore[index]
    # A wrong token is told so; Jupyter's own APIs do not exist here at all
    status, body = request(served + API + "/runs", token="jtt_wrong")
    assert status == 401 and body["reason"] == "unauthenticated"
    for path in ("/api/kernels", "/api/contents", "/api/terminals", "/lab"):
        assert request(served + path, token=secret)[0] == 404
    # A token in the query string is refused, even a valid one
    status, body = request(served + API + f"/runs?token={secret}")
    assert status == 400 and body["field"] == "token"
    # A revoked token stops working at once
    token_id = cli(db_url, blob_dir, "token", "list").stdout.split("\t", 1)[0]
    cli(db_url, blob_dir, "token", "revoke", token_id)
    assert request(served + API + "/runs", token=secret)[0] == 401


def test_console_script_is_declared() -> None:
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert 'jupyter-tracker = "jupyter_tracker.cli:main"' in pyproject
    assert os.path.exists(Path(__file__).parent.parent / "jupyter_tracker" / "cli.py")
