"""Shared helpers of the REST API tests.

``api`` sends requests to the test server under any credentials: Jupyter's own token (the
default, acting as the local user), a tracker API token (``auth="jtt_..."``) or none at all
(``auth=None``). ``browser`` logs in through Jupyter's login page like a browser and then sends
requests with the login cookie, with or without the ``_xsrf`` cookie echoed in ``X-XSRFToken``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import urllib.parse
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jupyter_server.utils import url_path_join
from tornado.httputil import HTTPHeaders

API = "jupyter-tracker/api/v1"
JUPYTER = "jupyter"
"""``auth=JUPYTER``: Jupyter's own token in the Authorization header (the local user)."""
NO_BODY_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
Params = Mapping[str, Any] | Iterable[tuple[str, Any]] | None
_MISSING: Any = object()


@dataclass
class Reply:
    code: int
    headers: HTTPHeaders
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"Reply({self.code}, {self.body[:300]!r})"


def assert_ok(reply: Reply, status: int = 200) -> Any:
    """The reply has this status and a JSON body, which is returned."""
    assert reply.code == status, f"expected {status}, got {reply!r}"
    return reply.json


def assert_error(
    reply: Reply,
    status: int | tuple[int, ...],
    *,
    field: str | None = None,
    says: str | None = None,
) -> dict[str, Any]:
    """The reply is a JSON error with this status; ``field`` and ``says`` name the problem."""
    allowed = status if isinstance(status, tuple) else (status,)
    assert reply.code in allowed, f"expected {allowed}, got {reply!r}"
    assert reply.headers.get("Content-Type", "").startswith("application/json"), reply.headers
    error = reply.json
    assert isinstance(error, dict), error
    assert isinstance(error.get("message"), str), error
    assert error["message"], error
    if field is not None:
        assert error.get("field") == field, error
        assert isinstance(error.get("reason"), str), error
    if says is not None:
        assert says.lower() in error["message"].lower(), error
    return error


def columnar(values: Any) -> dict[str, str]:
    """A float64 column in the columnar request format."""
    data = np.ascontiguousarray(np.asarray(values, dtype="<f8")).tobytes()
    return {"dtype": "<f8", "data": base64.b64encode(data).decode("ascii")}


def column_bytes(column: dict[str, str]) -> bytes:
    """The raw little-endian float64 bytes of a columnar response column."""
    assert column["dtype"] == "<f8", column
    return base64.b64decode(column["data"], validate=True)


def png_bytes(seed: int) -> bytes:
    """A valid 1x1 PNG whose colour, and so whose bytes, depend on ``seed``."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixel = b"\x00" + bytes([seed % 256, (seed // 256) % 256, 7])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixel))
        + chunk(b"IEND", b"")
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_cookies(headers: HTTPHeaders) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for line in headers.get_list("Set-Cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(line)
        for name, morsel in jar.items():
            cookies[name] = morsel.value
    return cookies


class Api:
    """Requests to the tracker API of the test server, and shortcuts for common set-ups."""

    def __init__(
        self, client: Any, base_url: str, jupyter_token: str, blob_dir: Path, port: int
    ) -> None:
        self.client = client
        self.base_url = base_url
        self.jupyter_token = jupyter_token
        self.blob_dir = blob_dir
        self.port = port

    # raw requests

    def server_path(self, *parts: str, params: Params = None) -> str:
        path = url_path_join(self.base_url, *parts)
        query = urllib.parse.urlencode(list(_pairs(params)), doseq=True)
        return path + ("?" + query if query else "")

    def api_path(self, route: str, params: Params = None) -> str:
        return self.server_path(API, route.lstrip("/"), params=params)

    async def fetch(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: str | None = JUPYTER,
    ) -> Reply:
        """``path`` is a full server path (with the base URL and any query)."""
        all_headers = dict(headers or {})
        if auth == JUPYTER:
            all_headers.setdefault("Authorization", f"token {self.jupyter_token}")
        elif auth is not None:
            all_headers.setdefault("Authorization", f"Bearer {auth}")
        if body is None and method not in NO_BODY_METHODS:
            body = b""
        response = await self.client.fetch(
            path,
            method=method,
            body=body,
            headers=all_headers,
            raise_error=False,
            follow_redirects=False,
            allow_nonstandard_methods=True,
            request_timeout=60,
        )
        return Reply(response.code, response.headers, response.body or b"")

    async def request(
        self,
        method: str,
        route: str,
        data: Any = _MISSING,
        *,
        body: bytes | None = None,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
        auth: str | None = JUPYTER,
    ) -> Reply:
        """A request to ``route`` of the API: ``data`` is sent as JSON, ``body`` as is."""
        all_headers = dict(headers or {})
        if data is not _MISSING:
            body = json.dumps(data).encode()
            all_headers.setdefault("Content-Type", "application/json")
        return await self.fetch(
            method, self.api_path(route, params), body=body, headers=all_headers, auth=auth
        )

    async def get(self, route: str, **kwargs: Any) -> Reply:
        return await self.request("GET", route, **kwargs)

    async def post(self, route: str, data: Any = _MISSING, **kwargs: Any) -> Reply:
        return await self.request("POST", route, data, **kwargs)

    async def patch(self, route: str, data: Any = _MISSING, **kwargs: Any) -> Reply:
        return await self.request("PATCH", route, data, **kwargs)

    async def put(self, route: str, body: bytes, **kwargs: Any) -> Reply:
        return await self.request("PUT", route, body=body, **kwargs)

    async def delete(self, route: str, **kwargs: Any) -> Reply:
        return await self.request("DELETE", route, **kwargs)

    # set-ups

    async def create_run(self, *, auth: str | None = JUPYTER, **fields: Any) -> dict[str, Any]:
        run: dict[str, Any] = assert_ok(await self.post("/runs", fields, auth=auth), 201)
        return run

    async def log(self, run_id: str, *, auth: str | None = JUPYTER, **batch: Any) -> dict[str, Any]:
        """Post a batch that must be applied."""
        result: dict[str, Any] = assert_ok(
            await self.post(f"/runs/{run_id}/batches", batch, auth=auth)
        )
        assert result["applied"] is True, result
        return result

    async def create_project(self, name: str, description: str = "") -> dict[str, Any]:
        body = {"name": name, "description": description}
        project: dict[str, Any] = assert_ok(await self.post("/projects", body), 201)
        return project

    async def make_token(
        self, projects: list[str] | None = None, *, name: str = "test", auth: str | None = JUPYTER
    ) -> tuple[dict[str, Any], str]:
        """A new API token: its description and its secret."""
        body: dict[str, Any] = {"name": name}
        if projects is not None:
            body["projects"] = projects
        token = assert_ok(await self.post("/tokens", body, auth=auth), 201)
        secret = token.pop("token")
        return token, secret

    async def revoke(self, token_id: int) -> None:
        assert_ok(await self.delete(f"/tokens/{token_id}"))

    async def upload(
        self, run_id: str, path: str, data: bytes, *, kind: str = "artifacts", **kwargs: Any
    ) -> Reply:
        return await self.put(
            f"/runs/{run_id}/{kind}/content", data, params={"path": path}, **kwargs
        )

    async def points(self, run_id: str, name: str, **params: Any) -> dict[str, Any]:
        reply = await self.get(f"/runs/{run_id}/points", params={"name": name, **params})
        points: dict[str, Any] = assert_ok(reply)
        return points

    async def run(self, run_id: str) -> dict[str, Any]:
        run: dict[str, Any] = assert_ok(await self.get(f"/runs/{run_id}"))
        return run

    async def run_count(self, project: str = "sandbox") -> int:
        page = assert_ok(await self.get("/runs", params={"project": project, "limit": 1}))
        total: int = page["total"]
        return total

    def blob_files(self) -> list[str]:
        """Every committed blob under the blob directory (temporary uploads excluded)."""
        if not self.blob_dir.exists():
            return []
        return sorted(
            str(p.relative_to(self.blob_dir))
            for p in self.blob_dir.rglob("*")
            if p.is_file() and p.relative_to(self.blob_dir).parts[0] != "tmp"
        )

    def all_blob_dir_files(self) -> list[str]:
        """Every file under the blob directory, temporary uploads included."""
        if not self.blob_dir.exists():
            return []
        return sorted(str(p.relative_to(self.blob_dir)) for p in self.blob_dir.rglob("*"))

    async def snapshot(self) -> dict[str, Any]:
        """Everything stored that the API can show, read as the local user; equal snapshots
        before and after a refused request prove that it stored nothing."""
        state: dict[str, Any] = {"blobs": self.all_blob_dir_files()}
        tokens = assert_ok(await self.get("/tokens"))["tokens"]
        state["tokens"] = [{k: v for k, v in t.items() if k != "last_used_at"} for t in tokens]
        projects = assert_ok(await self.get("/projects"))["projects"]
        state["projects"] = projects
        for project in projects:
            name = project["name"]
            notebooks = assert_ok(await self.get("/notebooks", params={"project": name}))
            for notebook in notebooks["notebooks"]:
                params = {"project": name, "path": notebook["path"]}
                listing = assert_ok(await self.get("/notebooks/checkpoints", params=params))
                state[f"{name}:{notebook['path']}"] = listing["checkpoints"]
            page = assert_ok(
                await self.get("/runs", params={"project": project["name"], "limit": 1000})
            )
            for run in page["runs"]:
                state[run["id"]] = await self._run_state(run)
        return state

    async def _run_state(self, run: dict[str, Any]) -> dict[str, Any]:
        rid = run["id"]
        out: dict[str, Any] = {"run": run}
        for kind in ("artifacts", "source-files"):
            out[kind] = assert_ok(await self.get(f"/runs/{rid}/{kind}"))
        series = assert_ok(await self.get(f"/runs/{rid}/series"))["series"]
        out["series"] = series
        for s in series:
            if s["kind"] == "numeric":
                out[s["name"]] = await self.points(rid, s["name"])
            else:
                reply = await self.get(f"/runs/{rid}/entries", params={"name": s["name"]})
                out[s["name"]] = assert_ok(reply)
        return out


def _pairs(params: Params) -> Iterable[tuple[str, Any]]:
    if params is None:
        return []
    if isinstance(params, Mapping):
        return list(params.items())
    return list(params)


class Browser:
    """A client holding Jupyter's login cookie and ``_xsrf`` cookie, like a logged-in browser."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    async def login(self) -> None:
        # The login page sets the _xsrf cookie; posting the token as the password sets the
        # login cookie, exactly as the form in a browser does.
        page = await self.api.fetch("GET", self.api.server_path("login"), auth=None)
        assert page.code == 200, page
        self.cookies.update(parse_cookies(page.headers))
        assert "_xsrf" in self.cookies, page.headers
        form = urllib.parse.urlencode(
            {"password": self.api.jupyter_token, "_xsrf": self.cookies["_xsrf"]}
        ).encode()
        done = await self.api.fetch(
            "POST",
            self.api.server_path("login"),
            body=form,
            headers={
                "Cookie": self.cookie_header(),
                "Content-Type": "application/x-www-form-urlencoded",
            },
            auth=None,
        )
        assert done.code == 302, done
        before = set(self.cookies)
        self.cookies.update(parse_cookies(done.headers))
        assert set(self.cookies) - before, f"no login cookie was set: {done.headers}"

    async def request(
        self,
        method: str,
        route: str,
        data: Any = _MISSING,
        *,
        body: bytes | None = None,
        params: Params = None,
        xsrf: bool | str,
    ) -> Reply:
        """``xsrf``: echo the ``_xsrf`` cookie in ``X-XSRFToken`` (True), send this value
        instead (a string) or send none (False)."""
        headers = {"Cookie": self.cookie_header()}
        if xsrf:
            headers["X-XSRFToken"] = self.cookies["_xsrf"] if xsrf is True else xsrf
        return await self.api.request(
            method, route, data, body=body, params=params, headers=headers, auth=None
        )


@pytest.fixture
def api(jp_serverapp: Any, http_server_client: Any, jp_base_url: str, blob_dir: Path) -> Api:
    """The tracker API of a fresh server on a fresh database."""
    port = http_server_client.get_http_port()
    return Api(
        http_server_client, jp_base_url, jp_serverapp.identity_provider.token, blob_dir, port
    )


@pytest.fixture
def browser(api: Api, jp_asyncio_loop: Any) -> Browser:
    """A client logged in through Jupyter's login page, with its cookies."""
    client = Browser(api)
    jp_asyncio_loop.run_until_complete(client.login())
    return client


@pytest.fixture
def tracker_store(jp_serverapp: Any) -> Any:
    """The store of the running extension, for set-ups the API does not offer (other users)."""
    (app,) = jp_serverapp.extension_manager.extension_apps["jupyter_tracker"]
    return app.service.store


@pytest.fixture
def run_id(api: Api, jp_asyncio_loop: Any) -> str:
    """A new run in the default project."""
    run = jp_asyncio_loop.run_until_complete(api.create_run(name="fixture run"))
    rid: str = run["id"]
    return rid
