"""The OpenAPI document: valid OpenAPI 3.1, in step with the route table, served as it is on
disk, and describing what the server really answers."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from jupyter_server.utils import url_path_join
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from tornado.httpclient import HTTPResponse

import jupyter_tracker.server
from jupyter_tracker.server.handlers import API_PREFIX, routes

DOCUMENT = Path(jupyter_tracker.server.__file__).parent / "openapi.json"
HTTP_METHODS = ("get", "head", "post", "put", "patch", "delete", "options", "trace")
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
# Outside named groups a route is literal text; an unescaped "." (as in "/openapi.json") is
# taken as the literal dot it is meant to be.
REGEX_SYNTAX = set("^$*+?{}[]()|")
# Open to Jupyter's own session only: every API token is refused there (403).
SESSION_ONLY = {"/config"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return loaded


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """``node``, or what its local ``$ref`` points at."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


# ---------------------------------------------------------------------------------------------
# (a) a valid OpenAPI 3.1 document


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_every_component_is_used(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    for section, items in document["components"].items():
        if section == "securitySchemes":
            continue
        for name in items:
            assert f'"#/components/{section}/{name}"' in text, f"{section}/{name} is unused"


def test_every_operation_needs_a_bearer_token_or_a_jupyter_session(
    document: dict[str, Any],
) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["type"] == "http"
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["jupyterSession"]["in"] == "cookie"
    xsrf = schemes["jupyterXsrf"]
    assert (xsrf["type"], xsrf["in"], xsrf["name"]) == ("apiKey", "header", "X-XSRFToken")
    for path, method, op in operations(document):
        security = op.get("security", document["security"])
        alternatives = sorted(sorted(requirement) for requirement in security)
        session = (
            ["jupyterSession", "jupyterXsrf"] if method in WRITE_METHODS else ["jupyterSession"]
        )
        expected = [session] if path in SESSION_ONLY else sorted([["bearerAuth"], session])
        assert alternatives == expected, (path, method, security)
        assert all(scopes == [] for r in security for scopes in r.values())


def test_every_operation_documents_its_errors(document: dict[str, Any]) -> None:
    error = {"$ref": "#/components/schemas/Error"}
    for path, method, op in operations(document):
        codes = set(op["responses"])
        assert {"400", "401", "403"} <= codes, (path, method)
        if "{" in path:
            assert "404" in codes, (path, method)
        for code, response in op["responses"].items():
            response = resolve(document, response)
            if code.startswith(("4", "5")):
                assert response["content"] == {"application/json": {"schema": error}}
            else:
                assert code.startswith("2") and response.get("content"), (path, method, code)


# ---------------------------------------------------------------------------------------------
# (b) the paths and methods are those of the route table


def template_of(pattern: str) -> str:
    """A route pattern as an OpenAPI path template: each named group becomes ``{name}``; the
    rest must be literal text (escaped characters allowed)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("(?P<", i):
            close = pattern.index(">", i)
            out.append("{" + pattern[i + 4 : close] + "}")
            i = skip_group(pattern, i)
        elif pattern[i] == "\\":
            out.append(pattern[i + 1])
            i += 2
        else:
            assert pattern[i] not in REGEX_SYNTAX, f"unnamed regex syntax in {pattern!r}"
            out.append(pattern[i])
            i += 1
    return "".join(out)


def skip_group(pattern: str, start: int) -> int:
    """The index just past the group opening at ``start`` (escapes and classes skipped)."""
    depth, i, in_class = 0, start, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern.startswith("[]", i) or pattern.startswith("[^]", i):
                i += 2 if pattern[i + 1] == "]" else 3
                continue
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise AssertionError(f"unbalanced group in {pattern!r}")


def own_methods(handler: type) -> set[str]:
    """HTTP methods that the handler class defines itself (not tornado's no-op defaults or
    Jupyter's generic ones)."""
    found = set()
    for method in HTTP_METHODS:
        owner = next((k for k in handler.__mro__ if method in vars(k)), None)
        if owner is not None and owner.__module__.startswith("jupyter_tracker."):
            found.add(method)
    return found


def route_table() -> dict[str, set[str]]:
    prefix = url_path_join("/", API_PREFIX)
    table: dict[str, set[str]] = {}
    # The service is only handed to the handlers through their kwargs; none is needed here.
    for pattern, handler, _ in routes("/", cast(Any, None)):
        assert pattern.startswith(prefix + "/"), pattern
        template = template_of(pattern.removeprefix(prefix))
        assert template not in table, f"two routes for {template}"
        table[template] = own_methods(handler)
    return table


def test_template_of_route_patterns() -> None:
    assert template_of(r"/runs/(?P<run_id>[A-Z]+-[0-9]+)/points") == "/runs/{run_id}/points"
    assert template_of(r"/p/(?P<name>a(?:/[()b])?)/x\.y") == "/p/{name}/x.y"
    assert template_of(r"/h/(?P<sha>[0-9a-f]{64})") == "/h/{sha}"
    with pytest.raises(AssertionError):
        template_of(r"/runs/(\d+)")


def test_document_has_exactly_the_routes_and_methods_of_the_server(
    document: dict[str, Any],
) -> None:
    table = route_table()
    assert all(table.values()), table
    documented: dict[str, set[str]] = {}
    for path, method, _ in operations(document):
        documented.setdefault(path, set()).add(method)
    assert sorted(documented) == sorted(table), "paths differ from the route table"
    for path, methods in table.items():
        assert documented[path] == methods, path


def test_path_parameters_match_the_route_groups(document: dict[str, Any]) -> None:
    for path, _, op in operations(document):
        params = [resolve(document, p) for p in op.get("parameters", [])]
        in_path = {p["name"] for p in params if p["in"] == "path"}
        assert in_path == {part[1:-1] for part in path.split("/") if part.startswith("{")}, path


# ---------------------------------------------------------------------------------------------
# (c) the server serves this very document


async def test_server_serves_the_document(jp_fetch: Any, document: dict[str, Any]) -> None:
    response = await jp_fetch(API_PREFIX, "openapi.json")
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert json.loads(response.body) == document


# ---------------------------------------------------------------------------------------------
# (d) real requests and responses match their schemas


class Client:
    """Requests to the API of the test server, each checked against the document: the request
    body against the operation's request schema, the status against its documented responses,
    the response body against the schema of that status and content type."""

    def __init__(self, fetch: Any, document: dict[str, Any]) -> None:
        self.fetch = fetch
        self.document = document

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        root = {**schema, "components": self.document["components"]}
        return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)

    def check(self, schema: dict[str, Any], instance: Any) -> None:
        errors = sorted(self.validator(schema).iter_errors(instance), key=str)
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])

    def schema(self, name: str) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{name}"}

    async def call(
        self,
        method: str,
        template: str,
        *,
        status: int = 200,
        path: dict[str, str] | None = None,
        params: list[tuple[str, Any]] | None = None,
        json_body: Any = None,
        check_request: bool = True,
        raw_body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> HTTPResponse:
        op = self.document["paths"][template][method]
        body = raw_body
        if json_body is not None:
            media = resolve(self.document, op["requestBody"])["content"]
            if check_request:
                self.check(media["application/json"]["schema"], json_body)
            body = json.dumps(json_body).encode()
        elif raw_body is not None:
            assert "application/octet-stream" in op["requestBody"]["content"]
        elif method in WRITE_METHODS and method != "delete":
            body = b""
        route = template.format(**(path or {}))
        response: HTTPResponse = await self.fetch(
            API_PREFIX,
            route.lstrip("/"),
            method=method.upper(),
            params=params,
            body=body,
            headers=dict(headers or {}),
            raise_error=False,
        )
        assert response.code == status, (response.code, response.body[:500])
        documented = resolve(self.document, op["responses"][str(status)])
        content_type = response.headers["Content-Type"].split(";")[0].strip()
        assert content_type in documented["content"], (template, method, content_type)
        if content_type == "application/json":
            self.check(documented["content"][content_type]["schema"], json.loads(response.body))
        for header in documented.get("headers", {}):
            assert header in response.headers, (template, method, header)
        return response

    async def json(self, method: str, template: str, **kwargs: Any) -> Any:
        return json.loads((await self.call(method, template, **kwargs)).body)


@pytest.fixture
def client(jp_fetch: Any, document: dict[str, Any]) -> Client:
    return Client(jp_fetch, document)


def columnar(values: list[float]) -> dict[str, str]:
    data = np.asarray(values, dtype="<f8").tobytes()
    return {"dtype": "<f8", "data": base64.b64encode(data).decode("ascii")}


def decode(column: dict[str, str]) -> list[float]:
    assert column["dtype"] == "<f8"
    raw = base64.b64decode(column["data"], validate=True)
    return list(struct.unpack(f"<{len(raw) // 8}d", raw))


def as_floats(values: list[Any]) -> list[float]:
    names = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
    return [names[v] if isinstance(v, str) else float(v) for v in values]


def same_floats(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b, strict=True)
    )


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x10\x20\x30"))
        + chunk(b"IEND", b"")
    )


async def test_runs_batches_and_points_match_their_schemas(client: Client) -> None:
    new_run = {
        "name": "baseline",
        "description": "first try",
        "params": {"lr": 0.01, "optimizer": "adam", "layers": 3, "dropout": None, "bn": True},
        "properties": {"git": "abc123"},
        "tags": ["baseline", "v1"],
        "details": {"host": "box", "gpus": [0, 1]},
        "notebook_path": "train.ipynb",
    }
    response = await client.call("post", "/runs", status=201, json_body=new_run)
    run = json.loads(response.body)
    run_id = run["id"]
    assert response.headers["Location"].endswith(f"/{API_PREFIX}/runs/{run_id}")
    assert run["params"] == new_run["params"]
    assert run["tags"] == ["baseline", "v1"]
    assert await client.json("get", "/runs/{run_id}", path={"run_id": run_id}) == run

    loss = [1.0, 0.5, "NaN", 0.25]
    acc = [0.1, 0.4, math.inf, 0.8]
    batch = {
        "seq": 0,
        "metrics": [
            {"name": "loss", "steps": [0, 1, 2, 3], "values": loss},
            {"name": "acc", "steps": columnar([0, 1, 2, 3]), "values": columnar(acc)},
        ],
        "texts": [{"name": "stdout", "values": ["epoch 0", "epoch 1"]}],
        "images": [{"name": "samples", "data": base64.b64encode(png()).decode(), "step": 1}],
        "params": {"seed": 7},
        "properties": {"set": {"host": "box"}, "remove": ["git"]},
        "tags": {"add": ["logged"], "remove": ["v1"]},
        "heartbeat": True,
    }
    batches = "/runs/{run_id}/batches"
    result = await client.json("post", batches, path={"run_id": run_id}, json_body=batch)
    assert result == {"run_id": run_id, "seq": 0, "applied": True, "points": 11}
    again = await client.json("post", batches, path={"run_id": run_id}, json_body=batch)
    assert again == {"run_id": run_id, "seq": 0, "applied": False, "points": 0}
    unnumbered = {"metrics": [{"name": "loss", "values": [0.2]}], "state": "succeeded"}
    result = await client.json("post", batches, path={"run_id": run_id}, json_body=unnumbered)
    assert result == {"run_id": run_id, "seq": None, "applied": True, "points": 1}

    page = await client.json(
        "get",
        "/runs",
        params=[
            ("metrics", "loss,acc"),
            ("metrics", "stdout"),
            ("sparkline", "loss"),
            ("sparkline_points", "8"),
            ("filter", "param.lr>=0.01"),
            ("filter", "metric.loss.last<0.5"),
            ("tag", "baseline"),
            ("state", "succeeded,failed"),
            ("sort", "-metric.loss.min"),
            ("limit", "10"),
        ],
    )
    assert page["total"] == 1 and page["limit"] == 10 and page["offset"] == 0
    (listed,) = page["runs"]
    assert listed["id"] == run_id and listed["state"] == "succeeded"
    assert set(listed["metrics"]) == {"loss", "acc", "stdout"}
    assert listed["metrics"]["loss"]["last"] == 0.2
    assert listed["metrics"]["acc"]["max"] == "Infinity"
    assert listed["sparkline"]["name"] == "loss"
    assert listed["properties"] == {"host": "box"}
    assert listed["tags"] == ["baseline", "logged"]

    series = await client.json("get", "/runs/{run_id}/series", path={"run_id": run_id})
    kinds = {s["name"]: s["kind"] for s in series["series"]}
    assert kinds == {"acc": "numeric", "loss": "numeric", "samples": "image", "stdout": "text"}

    points = "/runs/{run_id}/points"
    where = {"run_id": run_id}
    plain = await client.json("get", points, path=where, params=[("name", "loss")])
    assert plain["count"] == 5 and plain["steps"] == [0, 1, 2, 3, 4]
    assert plain["values"] == [*loss, 0.2]
    fast = await client.json(
        "get", points, path=where, params=[("name", "loss"), ("format", "columnar")]
    )
    assert fast["count"] == 5
    assert same_floats(decode(fast["values"]), as_floats(plain["values"]))
    assert decode(fast["timestamps"]) == plain["timestamps"]
    ranged = await client.json(
        "get",
        points,
        path=where,
        params=[("name", "acc"), ("step_min", "1"), ("step_max", "2"), ("format", "json")],
    )
    assert ranged["steps"] == [1, 2] and ranged["values"] == [0.4, "Infinity"]
    down = await client.json(
        "get", points, path=where, params=[("name", "loss"), ("downsample", "2")]
    )
    assert "timestamps" not in down and down["count"] == len(down["steps"]) <= 4
    down_fast = await client.json(
        "get",
        points,
        path=where,
        params=[("name", "loss"), ("downsample", "2"), ("format", "columnar")],
    )
    assert same_floats(decode(down_fast["steps"]), as_floats(down["steps"]))
    assert same_floats(decode(down_fast["values"]), as_floats(down["values"]))


async def test_other_responses_match_their_schemas(client: Client) -> None:
    me = await client.json("get", "/me")
    assert me["via_token"] is False and me["projects"] is None

    project = await client.json(
        "post", "/projects", status=201, json_body={"name": "team/vision", "description": "cv"}
    )
    assert project["run_count"] == 0
    projects = await client.json("get", "/projects")
    assert [p["name"] for p in projects["projects"]] == ["sandbox", "team/vision"]
    assert await client.json("get", "/projects/{name}", path={"name": "team/vision"}) == project
    await client.call("post", "/projects", status=409, json_body={"name": "team/vision"})

    run = await client.json("post", "/runs", status=201, json_body={"project": "team/vision"})
    where = {"run_id": run["id"]}
    image = png()
    await client.json(
        "post",
        "/runs/{run_id}/batches",
        path=where,
        json_body={
            "seq": 3,
            "texts": [{"name": "log", "values": ["hello"], "steps": [5]}],
            "images": [
                {
                    "name": "img",
                    "data": base64.b64encode(image).decode(),
                    "content_type": "image/png",
                    "image_name": "one",
                    "description": "a pixel",
                }
            ],
        },
    )
    texts = await client.json(
        "get", "/runs/{run_id}/entries", path=where, params=[("name", "log"), ("limit", "5")]
    )
    assert texts["entries"] == [
        {"step": 5, "timestamp": texts["entries"][0]["timestamp"], "text": "hello"}
    ]
    images = await client.json(
        "get", "/runs/{run_id}/entries", path=where, params=[("name", "img")]
    )
    (entry,) = images["entries"]
    assert entry["sha256"] == hashlib.sha256(image).hexdigest()
    await client.call(
        "get",
        "/runs/{run_id}/images/{sha256}",
        status=404,
        path={**where, "sha256": "0" * 64},
    )

    for kind in ("artifacts", "source-files"):
        content = f"/runs/{{run_id}}/{kind}/content"
        stored = await client.json(
            "put",
            content,
            status=201,
            path=where,
            params=[("path", "out/model.bin")],
            raw_body=b"\x00\x01weights",
            headers={"Content-Type": "application/octet-stream"},
        )
        assert stored["size"] == 9 and stored["path"] == "out/model.bin"
        listing = await client.json("get", f"/runs/{{run_id}}/{kind}", path=where)
        assert listing["files"] == [stored]
        download = await client.call("get", content, path=where, params=[("path", "out/model.bin")])
        assert download.body == b"\x00\x01weights"
        assert download.headers["Content-Disposition"] == 'attachment; filename="model.bin"'
        await client.call("get", content, status=404, path=where, params=[("path", "none")])

    updated = await client.json(
        "patch",
        "/runs/{run_id}",
        path=where,
        json_body={"state": "failed", "exception": "boom", "tags": {"add": ["broken"]}},
    )
    assert updated["state"] == "failed" and updated["finished_at"] is not None
    await client.call(
        "patch", "/runs/{run_id}", status=409, path=where, json_body={"state": "running"}
    )

    created = await client.json(
        "post", "/tokens", status=201, json_body={"name": "ci", "projects": ["team/vision"]}
    )
    secret = created.pop("token")
    assert secret.startswith(created["prefix"])
    tokens = await client.json("get", "/tokens")
    assert created in tokens["tokens"]
    me = await client.json("get", "/me", headers={"Authorization": f"Bearer {secret}"})
    assert me["via_token"] is True and me["projects"] == ["team/vision"]
    await client.call("get", "/runs", status=403, headers={"Authorization": f"Bearer {secret}"})
    token_id = {"token_id": str(created["id"])}
    revoked = await client.json("delete", "/tokens/{token_id}", path=token_id)
    assert revoked["revoked_at"] is not None
    await client.call("get", "/me", status=401, headers={"Authorization": f"Bearer {secret}"})


async def test_error_responses_match_the_error_schema(client: Client) -> None:
    missing = await client.json("get", "/runs/{run_id}", status=404, path={"run_id": "SAN-99"})
    assert missing["reason"] == "not_found" and missing["field"] == "run_id"
    run = await client.json("post", "/runs", status=201, json_body={})
    where = {"run_id": run["id"]}
    bad = {"metrics": [{"name": "loss", "values": [1.0], "steps": [1.0, 2.0]}]}
    # Steps and values of different lengths: valid by the schema, refused by the server.
    reply = await client.json(
        "post", "/runs/{run_id}/batches", status=400, path=where, json_body=bad
    )
    assert reply == {
        "message": reply["message"],
        "reason": "invalid",
        "field": "metrics[0].steps",
    }
    refused = await client.json("get", "/runs", status=400, params=[("filter", "loss<1")])
    assert refused["field"] == "filter"
    secret = await client.json("get", "/me", status=400, params=[("token", "x")])
    assert secret["field"] == "token"


# jupyter_server's APIHandler.finish() sets Content-Type to application/json unless told
# otherwise, so a body sent through finish() loses the type its handler set.


async def test_images_are_served_with_their_image_type(client: Client) -> None:
    run = await client.json("post", "/runs", status=201, json_body={})
    where = {"run_id": run["id"]}
    image = png()
    batch = {"images": [{"name": "img", "data": base64.b64encode(image).decode()}]}
    await client.json("post", "/runs/{run_id}/batches", path=where, json_body=batch)
    sha = hashlib.sha256(image).hexdigest()
    got = await client.call("get", "/runs/{run_id}/images/{sha256}", path={**where, "sha256": sha})
    assert got.body == image and got.headers["Content-Type"] == "image/png"


async def test_an_empty_download_is_an_octet_stream(client: Client) -> None:
    run = await client.json("post", "/runs", status=201, json_body={})
    where = {"run_id": run["id"]}
    content = "/runs/{run_id}/artifacts/content"
    path = [("path", "empty.txt")]
    await client.call("put", content, status=201, path=where, params=path, raw_body=b"")
    got = await client.call("get", content, path=where, params=path)
    assert got.body == b"" and got.headers["Content-Type"] == "application/octet-stream"


async def test_config_matches_its_schemas(client: Client) -> None:
    settings = await client.json("get", "/config")
    assert settings["remote"] is False and settings["api_token_set"] is False
    body = {"url": "", "api_token": None, "project": "sandbox"}
    saved = await client.json("put", "/config", json_body=body)
    assert saved == settings
    refused = await client.json("put", "/config", status=400, json_body={**body, "url": "ftp://x"})
    assert refused["field"] == "url"
