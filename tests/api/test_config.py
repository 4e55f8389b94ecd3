"""The Configure dialog's settings (``/config``): checked at once, saved owner-only, and, when
they name another tracker, the browser's calls forwarded there with the configured token."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from api_client import Api, assert_error, assert_ok

from jupyter_tracker.client.config import ENV_PROJECT, ENV_TOKEN, ENV_URL, config_file
from jupyter_tracker.server.app import EXPORT_MARKER

BOGUS = "jtt_" + "x" * 43
NOTEBOOK = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Remote:
    """A standalone tracker in its own process, with its own database and blobs."""

    url: str
    token: str
    log: Path

    def call(
        self, method: str, route: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        """A request straight to the remote tracker, not through Jupyter."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}/jupyter-tracker/api/v1{route}",
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {token or self.token}",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status, json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")


def tracker_cli(db_url: str, blob_dir: Path, *args: str) -> list[str]:
    command = [sys.executable, "-m", "jupyter_tracker.cli", "--db-url", db_url]
    return [*command, "--blob-dir", str(blob_dir), *args]


@pytest.fixture
def remote(make_db_url: Callable[[], str], tmp_path: Path) -> Iterator[Remote]:
    """``jupyter tracker serve`` on a free port, and an unscoped token of its user ``remote``."""
    db_url, blobs, port = make_db_url(), tmp_path / "remote-blobs", free_port()
    created = subprocess.run(
        tracker_cli(db_url, blobs, "token", "create", "--all-projects", "--user", "remote"),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    token = created.stdout.strip()
    log = tmp_path / "remote.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            tracker_cli(db_url, blobs, "serve", "--port", str(port)),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the remote tracker did not start"
            time.sleep(0.1)
    yield Remote(f"http://127.0.0.1:{port}", token, log)
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def kernel_environment(monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    """The tracker variables of this process, put back after the test (the server changes
    them for the kernels it starts)."""
    saved: dict[str, str | None] = {}
    for name in (ENV_URL, ENV_TOKEN, ENV_PROJECT, EXPORT_MARKER, "JUPYTER_TRACKER_ROOT_DIR"):
        saved[name] = os.environ.get(name)
        monkeypatch.setenv(name, saved[name] or "")
        if saved[name] is None:
            monkeypatch.delenv(name)
    return saved


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def server_log(jp_serverapp: Any) -> Iterator[LogCapture]:
    """Every log line of the test server: its own logger, tornado's, and the root logger."""
    capture = LogCapture()
    loggers = [
        jp_serverapp.log,
        logging.getLogger(),
        logging.getLogger("tornado.access"),
        logging.getLogger("tornado.application"),
        logging.getLogger("tornado.general"),
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(capture)
        logger.setLevel(logging.DEBUG)
    yield capture
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(capture)
        logger.setLevel(level)


async def put_config(api: Api, **body: Any) -> Any:
    return await api.request("PUT", "/config", body)


def settings_bytes() -> bytes | None:
    path = config_file()
    return path.read_bytes() if path.exists() else None


async def test_the_settings_file_is_in_this_tests_jupyter_config_dir(
    api: Api, jp_config_dir: Path
) -> None:
    # pytest-jupyter points JUPYTER_CONFIG_DIR at a directory of this test alone
    assert config_file() == Path(jp_config_dir) / "jupyter_tracker_client.json"


async def test_get_shows_this_server_by_default(api: Api, kernel_environment: Any) -> None:
    # Given no settings file
    assert not config_file().exists()
    # When the settings are read
    settings = assert_ok(await api.get("/config"))
    # Then they name this server, the default project and the local user, with no token
    local = assert_ok(await api.get("/me"))["user"]
    assert settings == {
        "url": "",
        "project": "sandbox",
        "api_token_set": False,
        "api_token_hint": None,
        "remote": False,
        "user": local,
    }


async def test_a_good_token_is_saved_owner_only_and_never_shown(
    api: Api, kernel_environment: Any
) -> None:
    # Given a token of this server
    _, secret = await api.make_token(name="lab")
    # When it is saved with an empty URL
    reply = await put_config(api, url="", api_token=secret, project="sandbox")
    saved = assert_ok(reply)
    # Then the file holds it, readable by its owner only
    path = config_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"url": "", "api_token": secret, "project": "sandbox"}
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
    # And neither the reply nor a later read shows more than a hint of the token
    assert secret not in reply.body.decode()
    hint = "jtt_…" + secret[-4:]
    assert saved["api_token_set"] is True and saved["api_token_hint"] == hint
    got = await api.get("/config")
    assert secret not in got.body.decode()
    assert assert_ok(got) == saved
    # When the settings are saved again with api_token null, the token is kept
    assert_ok(await put_config(api, url="", api_token=None, project="sandbox"))
    assert json.loads(path.read_text())["api_token"] == secret
    # And an empty api_token clears it
    cleared = assert_ok(await put_config(api, url="", api_token="", project="sandbox"))
    assert cleared["api_token_set"] is False and cleared["api_token_hint"] is None
    assert json.loads(path.read_text())["api_token"] == ""


async def test_a_refused_token_names_the_field_and_changes_nothing(
    api: Api, kernel_environment: Any
) -> None:
    # Given saved settings
    _, secret = await api.make_token()
    assert_ok(await put_config(api, url="", api_token=secret, project="sandbox"))
    before = settings_bytes()
    token, revoked = await api.make_token(name="revoked")
    await api.revoke(token["id"])
    for bad in (BOGUS, revoked):
        # When a made-up or revoked token is saved
        reply = await put_config(api, url="", api_token=bad, project="sandbox")
        # Then it is refused, naming the field and the server, and the file is unchanged
        assert_error(reply, 400, field="api_token", says="this Jupyter server")
        assert settings_bytes() == before
    # And something that is not a token at all is refused as such
    reply = await put_config(api, url="", api_token="hunter2", project="sandbox")
    assert_error(reply, 400, field="api_token", says="jtt_")
    assert settings_bytes() == before


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://tracker.example.org", "http"),
        ("tracker.example.org", "http"),
        ("http://alice:secret@tracker.example.org", "password"),
        ("http://tracker.example.org/?token=x", "query"),
        ("http://tracker.example.org/#x", "fragment"),
        ("http://tracker.example.org:99999", "not valid"),
    ],
)
async def test_malformed_urls_are_refused(
    api: Api, kernel_environment: Any, url: str, says: str
) -> None:
    reply = await put_config(api, url=url, api_token=BOGUS, project="sandbox")
    assert_error(reply, 400, field="url", says=says)
    assert settings_bytes() is None


async def test_an_unreachable_url_is_refused(api: Api, kernel_environment: Any) -> None:
    # Given a port where nothing listens
    url = f"http://127.0.0.1:{free_port()}"
    # When settings naming it are saved
    reply = await put_config(api, url=url, api_token=BOGUS, project="sandbox")
    # Then the URL is at fault and nothing is saved
    assert_error(reply, 400, field="url", says=url)
    assert settings_bytes() is None
    # And a remote URL without any token is refused before anything is tried
    reply = await put_config(api, url=url, api_token="", project="sandbox")
    assert_error(reply, 400, field="api_token")


async def test_an_unknown_project_is_refused_unless_created(
    api: Api, kernel_environment: Any
) -> None:
    reply = await put_config(api, url="", api_token="", project="nowhere")
    assert_error(reply, 400, field="project", says="create_project")
    assert settings_bytes() is None
    assert_error(await put_config(api, url="", project="not a name!"), 400, field="project")
    saved = assert_ok(await put_config(api, url="", project="nowhere", create_project=True))
    assert saved["project"] == "nowhere"
    assert_ok(await api.get("/projects/nowhere"))
    # A token that does not cover the project is refused for it
    _, scoped = await api.make_token(["sandbox"])
    reply = await put_config(api, url="", api_token=scoped, project="nowhere")
    assert_error(reply, 400, field="project", says="does not cover")


async def test_api_tokens_may_not_read_or_change_the_settings(
    api: Api, kernel_environment: Any
) -> None:
    _, secret = await api.make_token()
    assert_error(await api.get("/config", auth=secret), 403, says="API tokens")
    reply = await api.request("PUT", "/config", {"url": "", "project": "sandbox"}, auth=secret)
    assert_error(reply, 403)
    assert settings_bytes() is None


async def test_browser_calls_go_to_the_configured_tracker(
    api: Api,
    remote: Remote,
    jp_serverapp: Any,
    kernel_environment: Any,
    server_log: LogCapture,
) -> None:
    # Given kernels that this server pointed at itself
    own_url, own_token = os.environ[ENV_URL], os.environ[ENV_TOKEN]
    assert own_url == jp_serverapp.connection_url and own_token.startswith("jtt_")
    local_runs = await api.run_count()
    # When the settings name the remote tracker with a wrong token
    reply = await put_config(api, url=remote.url, api_token=BOGUS, project="sandbox")
    # Then the token is refused, naming the remote
    assert_error(reply, 400, field="api_token", says=remote.url)
    assert settings_bytes() is None
    # And a project it lacks is refused too, unless it is created there
    reply = await put_config(api, url=remote.url, api_token=remote.token, project="team")
    assert_error(reply, 400, field="project", says=remote.url)
    # When they name it with its token and a new project
    reply = await put_config(
        api, url=remote.url + "/", api_token=remote.token, project="team", create_project=True
    )
    saved = assert_ok(reply)
    assert saved == {
        "url": remote.url,
        "project": "team",
        "api_token_set": True,
        "api_token_hint": "jtt_…" + remote.token[-4:],
        "remote": True,
        "user": "remote",
    }
    assert remote.call("GET", "/projects/team")[0] == 200
    assert json.loads(config_file().read_text())["api_token"] == remote.token
    # Then kernels started from now on log to the remote tracker
    assert os.environ[ENV_URL] == remote.url
    assert os.environ[ENV_TOKEN] == remote.token
    assert os.environ[ENV_PROJECT] == "team"

    bodies: list[bytes] = [reply.body, (await api.get("/config")).body]
    # When the browser creates and lists runs through Jupyter
    created = await api.post("/runs", {"project": "team", "name": "forwarded"})
    bodies.append(created.body)
    run = assert_ok(created, 201)
    assert created.headers["Location"] == api.api_path(f"/runs/{run['id']}")
    listing = await api.get("/runs", params={"project": "team"})
    bodies.append(listing.body)
    # Then they are the remote's runs, made by its user
    assert [r["id"] for r in assert_ok(listing)["runs"]] == [run["id"]]
    assert run["owner"] == "remote"
    status, direct = remote.call("GET", f"/runs/{run['id']}")
    assert status == 200 and direct["name"] == "forwarded"
    me = await api.get("/me")
    bodies.append(me.body)
    assert assert_ok(me)["user"] == "remote"
    # When a notebook checkpoint is uploaded through Jupyter
    uploaded = await api.request(
        "POST",
        "/notebooks/checkpoints",
        body=json.dumps(NOTEBOOK).encode(),
        params={"project": "team", "path": "work/a.ipynb", "run_id": run["id"]},
        headers={"Content-Type": "application/json"},
    )
    bodies.append(uploaded.body)
    assert uploaded.code == 201, uploaded
    # Then the remote holds it
    status, listed = remote.call("GET", "/notebooks/checkpoints?project=team&path=work/a.ipynb")
    assert status == 200 and [c["number"] for c in listed["checkpoints"]] == [1]
    # When a large artifact goes up through Jupyter and comes back
    data = os.urandom(1 << 20) * 40
    put = await api.upload(run["id"], "big.bin", data)
    bodies.append(put.body)
    assert assert_ok(put, 201)["size"] == len(data)
    got = await api.get(f"/runs/{run['id']}/artifacts/content", params={"path": "big.bin"})
    # Then the bytes, the type and the file name survive the round trip
    assert hashlib.sha256(got.body).digest() == hashlib.sha256(data).digest()
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Content-Disposition"] == 'attachment; filename="big.bin"'
    # And an error of the remote comes back as it is
    missing = await api.get("/runs/TEA-999")
    bodies.append(missing.body)
    assert_error(missing, 404, field="run_id")
    # And nothing of it was stored here
    local = await api.get("/runs", params={"project": "sandbox"}, auth=own_token)
    assert assert_ok(local)["total"] == local_runs
    assert_error(await api.get("/projects/team", auth=own_token), 404)

    # When the settings are switched back to this server
    back = assert_ok(await put_config(api, url="", api_token="", project="sandbox"))
    assert back["remote"] is False
    # Then the browser's calls are local again
    assert assert_ok(await api.get("/me"))["user"] != "remote"
    assert_error(await api.get(f"/runs/{run['id']}"), 404)
    assert await api.run_count() == local_runs
    # And kernels get this server's own URL and token back
    assert (os.environ[ENV_URL], os.environ[ENV_TOKEN]) == (own_url, own_token)
    assert os.environ[ENV_PROJECT] == "sandbox"
    # And the remote token was never in a reply nor in a log line
    for body in bodies:
        assert remote.token not in body.decode("utf-8", "replace")
    assert server_log.lines, "the server log was not captured"
    assert remote.token not in server_log.text
    assert remote.token not in remote.log.read_text()


@pytest.fixture
def gone_tracker(jp_config_dir: Path) -> str:
    """Settings saved before the server starts, naming a tracker that is not there."""
    url = f"http://127.0.0.1:{free_port()}"
    path = Path(jp_config_dir) / "jupyter_tracker_client.json"
    path.write_text(json.dumps({"url": url, "api_token": BOGUS, "project": "sandbox"}))
    return url


async def test_a_tracker_that_does_not_answer_is_a_bad_gateway(
    kernel_environment: Any, gone_tracker: str, api: Api
) -> None:
    # Given a server started with settings naming a tracker that is down
    settings = assert_ok(await api.get("/config"))
    assert settings["remote"] is True and settings["url"] == gone_tracker
    assert settings["user"] is None
    # When the browser calls the API
    for method, route in (("GET", "/runs"), ("POST", "/runs")):
        body = {} if method == "POST" else None
        reply = await api.request(method, route, **({} if body is None else {"data": body}))
        # Then it is told that tracker did not answer
        error = assert_error(reply, 502, says=f"the tracker at {gone_tracker} did not answer")
        assert error["reason"] == "bad_gateway"
        assert BOGUS not in reply.body.decode()
    reply = await api.upload("SAN-1", "a.bin", b"data")
    assert_error(reply, 502, says=gone_tracker)
    # And kernels started now are pointed at it too
    assert os.environ[ENV_URL] == gone_tracker
    # And API tokens of this server are still answered here
    assert_error(await api.get("/runs", auth=BOGUS), 401)
