"""Who may call which route: no credentials, bad or revoked tokens, project scopes, XSRF."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from api_client import API, JUPYTER, Api, Browser, Reply, assert_error, assert_ok, b64, png_bytes
from jupyter_server.utils import url_path_join
from tornado import web

from jupyter_tracker.client.config import config_file
from jupyter_tracker.server.handlers import routes
from jupyter_tracker.server.handlers.base import TrackerHandler

BOGUS = "jtt_" + "x" * 43
# Plausible values for the path groups of the route table; a new group needs one here.
SAMPLES = {"name": "sandbox", "run_id": "SAN-1", "sha256": "ab" * 32, "token_id": "1"}
REFUSED = (401, 403)
# The id of the notebook each project of the world has checkpoints of.
NOTEBOOK_IDS = {
    "sandbox": "1b4e28ba-2fa1-4d2e-883f-0016d3cca427",
    "other": "9f0e8d7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b",
}


def fill(pattern: str) -> str:
    """A concrete path matching a route pattern: each named group replaced by a sample."""
    pattern = pattern.removesuffix("$")
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("(?P<", i):
            close = pattern.index(">", i)
            group = pattern[i + 4 : close]
            depth, j = 1, close + 1
            while depth:
                if pattern[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(pattern[j], 0)
                j += 1
            out.append(SAMPLES[group])
            i = j
        elif pattern[i] == "\\":
            out.append(pattern[i + 1])
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    path = "".join(out)
    assert re.fullmatch(pattern, path), (pattern, path)
    return path


def own_methods(handler: type) -> list[str]:
    """The HTTP methods that a tracker handler class (not Jupyter's bases) defines."""
    methods = []
    for method in handler.SUPPORTED_METHODS:  # type: ignore[attr-defined]
        owner = next(k for k in handler.__mro__ if method.lower() in vars(k))
        if owner.__module__.startswith("jupyter_tracker."):
            methods.append(method)
    return methods


def live_tracker_rules(web_app: web.Application) -> list[tuple[str, type]]:
    found: list[tuple[str, type]] = []

    def walk(router: Any) -> None:
        for rule in getattr(router, "rules", []):
            target = rule.target
            if isinstance(target, type) and issubclass(target, TrackerHandler):
                found.append((rule.matcher.regex.pattern, target))
            elif hasattr(target, "rules"):
                walk(target)

    walk(web_app.default_router)
    walk(web_app.wildcard_router)
    return found


def table() -> list[tuple[str, type]]:
    return [(pattern, handler) for pattern, handler, _ in routes("/", None)]  # type: ignore[arg-type]


async def test_every_route_refuses_requests_without_valid_credentials(
    api: Api, jp_serverapp: Any, jp_base_url: str
) -> None:
    # Given the routes the live server really serves, which are exactly the route table
    rules = live_tracker_rules(jp_serverapp.web_app)
    live = sorted(p.removesuffix("$") for p, _ in rules)
    assert live == sorted(url_path_join(jp_base_url, p) for p, _ in table())
    assert len(rules) >= 17
    token, revoked = await api.make_token(name="revoked")
    await api.revoke(token["id"])
    checked = 0
    for pattern, handler in rules:
        path = fill(pattern)
        methods = own_methods(handler)
        assert methods, handler
        for method, auth in itertools.product(methods, (None, BOGUS, revoked)):
            # When it is called with no credentials, a made-up token or a revoked one
            body = None if method in ("GET", "DELETE") else b"{}"
            reply = await api.fetch(method, path, body=body, auth=auth)
            # Then it is refused: 401/403 without credentials, 401 with a bad token
            expected = REFUSED if auth is None else 401
            assert_error(reply, expected), (method, path, auth)
            if auth is not None:
                assert reply.json["field"] == "Authorization", (method, path)
            checked += 1
    assert checked >= 3 * 20


@pytest.mark.parametrize("name", ["token", "api_token", "access_token"])
async def test_secrets_are_refused_in_the_query_string(api: Api, name: str) -> None:
    # Given a valid tracker token
    _, secret = await api.make_token()
    # When it is sent in the query string (even alongside a valid header)
    for auth in (None, secret):
        reply = await api.get("/me", params={name: secret}, auth=auth)
        # Then the request is refused, naming the parameter
        assert_error(reply, 400, field=name, says="query string")
    # And Jupyter's own token in the query string is refused by the tracker too
    reply = await api.get("/runs", params={name: api.jupyter_token}, auth=None)
    assert_error(reply, 400, field=name)


@pytest.mark.parametrize("route", ["api/contents", "api/kernels", "api/terminals", "api/me"])
async def test_a_tracker_token_never_opens_jupyters_own_apis(api: Api, route: str) -> None:
    # Given an unscoped tracker token
    _, secret = await api.make_token()
    path = api.server_path(route)
    # When Jupyter's own API is called with it
    reply = await api.fetch("GET", path, auth=secret)
    # Then Jupyter refuses it, while its own token opens the same route
    assert reply.code == 403, reply
    assert (await api.fetch("GET", path)).code == 200
    # And writes are refused too: no kernel is started
    started = await api.fetch("POST", api.server_path("api/kernels"), body=b"{}", auth=secret)
    assert started.code == 403, started
    assert assert_ok(await api.fetch("GET", api.server_path("api/kernels"))) == []


async def test_me_tells_who_is_calling(api: Api) -> None:
    # Given a scoped token and an unscoped one
    await api.create_project("other")
    _, scoped = await api.make_token(["other"])
    _, unscoped = await api.make_token()
    # When /me is asked with each credential, Then it names the user, how and the scope
    local = assert_ok(await api.get("/me"))
    assert local == {
        "user": local["user"],
        "via_token": False,
        "projects": None,
        "default_project": "sandbox",
    }
    assert local["user"]
    me = assert_ok(await api.get("/me", auth=scoped))
    assert (me["user"], me["via_token"], me["projects"]) == (local["user"], True, ["other"])
    me = assert_ok(await api.get("/me", auth=unscoped))
    assert (me["via_token"], me["projects"]) == (True, None)


# --- Every route and method under every kind of credential -----------------------------------


@dataclass(frozen=True)
class Op:
    """A request that succeeds for an authorised caller; ``{...}`` fields are filled in.

    ``scope``: ``project`` needs a token covering ``{project}``; ``any`` works with any valid
    token; ``unscoped`` is refused to every token scoped to projects; ``session`` is refused to
    every API token (Jupyter's own session only).
    """

    method: str
    route: str
    scope: str
    ok: int = 200
    data: Any = None
    body: bytes | None = None
    params: dict[str, str] = field(default_factory=dict)
    # False for a write that stores nothing (a diff of posted JSON)
    stores: bool = True

    def __str__(self) -> str:
        return f"{self.method} {self.route}"


OPS = [
    Op("GET", "/openapi.json", "any"),
    Op("GET", "/me", "any"),
    Op("GET", "/config", "session"),
    Op(
        "PUT",
        "/config",
        "session",
        data={"url": "", "api_token": None, "project": "made-{unique}", "create_project": True},
    ),
    Op("GET", "/projects", "any"),
    Op("POST", "/projects", "unscoped", 201, data={"name": "made-{unique}"}),
    Op("GET", "/projects/{project}", "project"),
    Op("GET", "/runs", "project", params={"project": "{project}"}),
    Op("POST", "/runs", "project", 201, data={"project": "{project}", "name": "r{unique}"}),
    Op("GET", "/runs/{run}", "project"),
    Op("PATCH", "/runs/{run}", "project", data={"tags": {"add": ["t{unique}"]}}),
    Op(
        "POST",
        "/runs/{run}/batches",
        "project",
        data={"metrics": [{"name": "m{unique}", "values": [1.0, 2.0]}]},
    ),
    Op("GET", "/runs/{run}/series", "project"),
    Op("GET", "/runs/{run}/points", "project", params={"name": "loss"}),
    Op("GET", "/runs/{run}/entries", "project", params={"name": "notes"}),
    Op("GET", "/runs/{run}/images/{sha}", "project"),
    Op("GET", "/runs/{run}/artifacts", "project"),
    Op(
        "PUT",
        "/runs/{run}/artifacts/content",
        "project",
        201,
        body=b"new",
        params={"path": "n{unique}"},
    ),
    Op("GET", "/runs/{run}/artifacts/content", "project", params={"path": "model.bin"}),
    Op("GET", "/runs/{run}/source-files", "project"),
    Op(
        "PUT",
        "/runs/{run}/source-files/content",
        "project",
        201,
        body=b"x",
        params={"path": "s{unique}"},
    ),
    Op("GET", "/runs/{run}/source-files/content", "project", params={"path": "train.py"}),
    Op("GET", "/notebooks", "project", params={"project": "{project}"}),
    Op(
        "GET",
        "/notebooks/checkpoints",
        "project",
        params={"project": "{project}", "path": "analysis.ipynb"},
    ),
    Op(
        "POST",
        "/notebooks/checkpoints",
        "project",
        201,
        body=b'{"cells": [], "nbformat": 4}',
        params={"project": "{project}", "path": "n{unique}.ipynb"},
    ),
    Op(
        "GET",
        "/notebooks/checkpoints/content",
        "project",
        params={"project": "{project}", "path": "analysis.ipynb", "number": "1"},
    ),
    Op(
        "GET",
        "/notebooks/checkpoints",
        "project",
        params={"project": "{project}", "notebook_id": "{notebook_id}"},
    ),
    Op(
        "GET",
        "/notebooks/diff",
        "project",
        params={"project": "{project}", "path": "analysis.ipynb", "base": "1", "remote": "1"},
    ),
    Op(
        "POST",
        "/notebooks/diff",
        "project",
        body=b'{"cells": [{"cell_type": "code", "source": "x = 1"}]}',
        params={"project": "{project}", "path": "analysis.ipynb", "base": "1"},
        stores=False,
    ),
    Op("GET", "/tokens", "any"),
    Op("POST", "/tokens", "project", 201, data={"name": "n", "projects": ["{project}"]}),
    Op("DELETE", "/tokens/{token_id}", "project"),
]
WRITES = [op for op in OPS if op.method not in ("GET", "HEAD")]


@dataclass
class World:
    """Two projects, each with one run holding every kind of data, and tokens of each scope."""

    runs: dict[str, str]
    shas: dict[str, str]
    tokens: dict[str, str]
    counter: itertools.count = field(default_factory=itertools.count)


async def build_world(api: Api) -> World:
    await api.create_project("other")
    runs, shas = {}, {}
    for i, project in enumerate(("sandbox", "other")):
        rid = (await api.create_run(project=project, name=f"{project} run"))["id"]
        image = png_bytes(i)
        await api.log(
            rid,
            metrics=[{"name": "loss", "values": [3.0, 2.0, 1.0]}],
            texts=[{"name": "notes", "values": ["hello"]}],
            images=[{"name": "samples", "data": b64(image)}],
        )
        assert_ok(await api.upload(rid, "model.bin", b"weights " + project.encode()), 201)
        assert_ok(await api.upload(rid, "train.py", b"print(1)", kind="source-files"), 201)
        runs[project] = rid
        checkpoint = await api.request(
            "POST",
            "/notebooks/checkpoints",
            body=b'{"cells": [], "nbformat": 4, "metadata": {"jupyter_tracker": {"notebook_id": "'
            + NOTEBOOK_IDS[project].encode()
            + b'"}}}',
            params={"project": project, "path": "analysis.ipynb", "run_id": rid},
        )
        assert_ok(checkpoint, 201)
        entries = assert_ok(await api.get(f"/runs/{rid}/entries", params={"name": "samples"}))
        shas[project] = entries["entries"][0]["sha256"]
    tokens = {
        "sandbox": (await api.make_token(["sandbox"]))[1],
        "other": (await api.make_token(["other"]))[1],
        "all": (await api.make_token())[1],
    }
    revoked, tokens["revoked"] = await api.make_token(name="revoked")
    await api.revoke(revoked["id"])
    return World(runs, shas, tokens)


def render(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, dict):
        return {k: render(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, values) for v in value]
    return value


async def target(api: Api, world: World, op: Op, project: str) -> dict[str, Any]:
    """Values for one attempt of ``op`` on ``project``; a fresh token scoped to ``project`` if
    it needs one to revoke."""
    values: dict[str, Any] = {
        "project": project,
        "run": world.runs[project],
        "sha": world.shas[project],
        "unique": next(world.counter),
        "notebook_id": NOTEBOOK_IDS[project],
    }
    if "{token_id}" in op.route:
        values["token_id"] = (await api.make_token([project], name="victim"))[0]["id"]
    return values


async def send(api: Api, op: Op, values: dict[str, Any], auth: str | None) -> Reply:
    data = render(op.data, values)
    return await api.request(
        op.method,
        render(op.route, values),
        **({} if data is None else {"data": data}),
        body=op.body,
        params=render(op.params, values),
        auth=auth,
    )


def test_the_operations_below_cover_every_route_and_method() -> None:
    # Given the route table, and the operations the credential tests below send
    sent = set()
    for op in OPS:
        values = {"project": "sandbox", "run": "SAN-1", "sha": "ab" * 32, "token_id": 1}
        path = url_path_join("/", API, render(op.route, values)) + "?"
        hits = [p for p, _ in table() if re.fullmatch(p.removesuffix("$"), path[:-1])]
        assert len(hits) == 1, (op, hits)
        sent.add((hits[0], op.method))
    # Then every method of every route is sent, so that a new route needs a new operation
    wanted = {(p, m) for p, handler in table() for m in own_methods(handler)}
    assert wanted == sent


@pytest.mark.parametrize("op", OPS, ids=str)
async def test_route_under_every_credential(api: Api, op: Op) -> None:
    # Given two projects with data, and tokens scoped to each, unscoped and revoked
    world = await build_world(api)
    denials: list[tuple[str | None, dict[str, Any], tuple[int, ...]]] = [
        (None, await target(api, world, op, "sandbox"), REFUSED),
        (BOGUS, await target(api, world, op, "sandbox"), (401,)),
        (world.tokens["revoked"], await target(api, world, op, "sandbox"), (401,)),
    ]
    if op.scope == "project":
        denials.append((world.tokens["other"], await target(api, world, op, "sandbox"), REFUSED))
        denials.append((world.tokens["sandbox"], await target(api, world, op, "other"), REFUSED))
    if op.scope == "unscoped":
        for name in ("sandbox", "other"):
            denials.append((world.tokens[name], await target(api, world, op, name), (403,)))
    if op.scope == "session":
        for name in ("sandbox", "other", "all"):
            denials.append((world.tokens[name], await target(api, world, op, "sandbox"), (403,)))
    before = await api.snapshot()
    settings_before = config_file().read_bytes() if config_file().exists() else None
    # When it is sent with no, bad or revoked credentials, or a token for another project
    for auth, values, codes in denials:
        reply = await send(api, op, values, auth)
        # Then it is refused with a JSON error
        assert_error(reply, codes), (auth, values)
    # And nothing was stored
    assert await api.snapshot() == before
    assert (config_file().read_bytes() if config_file().exists() else None) == settings_before
    # When it is sent by callers entitled to it
    allowed: list[tuple[str, str]] = [(JUPYTER, "sandbox")]
    if op.scope != "session":
        allowed += [(world.tokens["all"], "sandbox")]
    if op.scope == "project":
        allowed += [(world.tokens["other"], "other"), (world.tokens["sandbox"], "sandbox")]
    if op.scope == "any":
        allowed += [(world.tokens["other"], "sandbox")]
    for auth, project in allowed:
        reply = await send(api, op, await target(api, world, op, project), auth)
        # Then it succeeds
        assert reply.code == op.ok, (auth, project, reply)


@pytest.mark.parametrize("op", WRITES, ids=str)
async def test_browser_writes_need_the_xsrf_token(api: Api, browser: Browser, op: Op) -> None:
    # Given a browser logged in to Jupyter (login and _xsrf cookies), and stored data
    world = await build_world(api)
    me = assert_ok(await browser.request("GET", "/me", xsrf=False))
    assert me["via_token"] is False
    values = await target(api, world, op, "sandbox")
    before = await api.snapshot()
    # When it writes with the cookies but without the XSRF token, or with a wrong one
    data = render(op.data, values)
    kwargs: dict[str, Any] = {
        **({} if data is None else {"data": data}),
        "body": op.body,
        "params": render(op.params, values),
    }
    route = render(op.route, values)
    reply = await browser.request(op.method, route, **kwargs, xsrf=False)
    # Then it is refused and nothing is stored
    assert_error(reply, 403, says="xsrf")
    assert await api.snapshot() == before
    reply = await browser.request(op.method, route, **kwargs, xsrf="2|0a0b0c0d|" + "ab" * 16 + "|1")
    assert_error(reply, 403, says="xsrf")
    assert await api.snapshot() == before
    # When the _xsrf cookie is echoed in X-XSRFToken, as Jupyter's frontend does
    reply = await browser.request(op.method, route, **kwargs, xsrf=True)
    # Then it succeeds and changes what is stored (if it is a write that stores)
    assert reply.code == op.ok, reply
    assert (await api.snapshot() != before) == op.stores
