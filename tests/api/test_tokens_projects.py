"""API tokens (create, list, revoke, scopes) and projects (create, read, list by scope)."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import Api, assert_error, assert_ok


async def test_a_new_token_shows_its_secret_once(api: Api) -> None:
    # When a token is created
    reply = await api.post("/tokens", {"name": "laptop"})
    # Then the answer carries the secret, and is not to be cached
    token = assert_ok(reply, 201)
    secret = token["token"]
    assert secret.startswith("jtt_") and len(secret) >= 40
    assert reply.headers["Cache-Control"] == "no-store"
    assert (token["name"], token["projects"], token["revoked_at"]) == ("laptop", None, None)
    assert token["prefix"] == secret[:8]
    assert token["user"] == assert_ok(await api.get("/me"))["user"]
    # And the secret works
    assert assert_ok(await api.get("/me", auth=secret))["via_token"] is True
    # When the tokens are listed, Then it is there, but its secret is nowhere
    listed = await api.get("/tokens")
    tokens = assert_ok(listed)["tokens"]
    mine = [t for t in tokens if t["id"] == token["id"]]
    assert len(mine) == 1
    assert mine[0]["last_used_at"] is not None
    skip = {"token", "last_used_at"}
    assert {k: v for k, v in mine[0].items() if k not in skip} == {
        k: v for k, v in token.items() if k not in skip
    }
    assert all("token" not in t for t in tokens)
    assert secret.encode() not in listed.body
    assert secret[8:].encode() not in listed.body


async def test_a_revoked_token_stops_working(api: Api) -> None:
    # Given two working tokens
    token, secret = await api.make_token(name="old")
    _, kept = await api.make_token(name="kept")
    # When one is revoked
    revoked = assert_ok(await api.delete(f"/tokens/{token['id']}"))
    # Then it is marked revoked, in the answer and in the list
    assert revoked["id"] == token["id"] and revoked["revoked_at"] is not None
    listed = {t["id"]: t for t in assert_ok(await api.get("/tokens"))["tokens"]}
    assert listed[token["id"]]["revoked_at"] == revoked["revoked_at"]
    # And it is refused from then on, while the other one still works
    assert_error(await api.get("/me", auth=secret), 401, field="Authorization")
    reply = await api.post("/runs", {}, auth=secret)
    assert_error(reply, 401, field="Authorization")
    assert await api.run_count() == 0
    assert assert_ok(await api.get("/me", auth=kept))["via_token"] is True
    # And revoking it again changes nothing
    again = assert_ok(await api.delete(f"/tokens/{token['id']}"))
    assert again["revoked_at"] == revoked["revoked_at"]


async def test_tokens_are_private_to_their_user(api: Api, tracker_store: Any) -> None:
    # Given a token of another user
    alices, alice_secret = tracker_store.create_token("alice", "alice's", None)
    # When the local user lists tokens, Then alice's is not among them
    ids = [t["id"] for t in assert_ok(await api.get("/tokens"))["tokens"]]
    assert alices.id not in ids
    # When the local user tries to revoke it, Then it is not found, and it still works
    assert_error(await api.delete(f"/tokens/{alices.id}"), 404, field="token_id")
    assert assert_ok(await api.get("/me", auth=alice_secret))["user"] == "alice"
    # And alice sees only her own
    listed = assert_ok(await api.get("/tokens", auth=alice_secret))["tokens"]
    assert [t["id"] for t in listed] == [alices.id]
    assert_error(await api.delete("/tokens/999999"), 404, field="token_id")


async def test_a_scoped_token_cannot_create_a_broader_one(api: Api) -> None:
    # Given a token scoped to project 'other'
    await api.create_project("other")
    await api.create_project("third")
    _, scoped = await api.make_token(["other"])
    count = len(assert_ok(await api.get("/tokens"))["tokens"])
    # When it asks for an unscoped token, or one reaching any other project
    for projects in (None, ["sandbox"], ["other", "third"]):
        body = {"name": "wider"} if projects is None else {"name": "wider", "projects": projects}
        reply = await api.post("/tokens", body, auth=scoped)
        # Then it is refused, and no token is made
        assert_error(reply, 403, says="scope")
    assert len(assert_ok(await api.get("/tokens"))["tokens"]) == count
    # When it asks for one within its scope, Then it gets it, and it reaches only 'other'
    _, narrow = await api.make_token(["other"], auth=scoped)
    assert assert_ok(await api.get("/me", auth=narrow))["projects"] == ["other"]
    assert_error(await api.get("/runs", auth=narrow), (403, 404), field="project")
    assert assert_ok(await api.get("/runs", params={"project": "other"}, auth=narrow))
    # And an unscoped token may make a scoped one
    _, full = await api.make_token()
    _, made = await api.make_token(["third"], auth=full)
    assert assert_ok(await api.get("/me", auth=made))["projects"] == ["third"]


async def test_a_scoped_token_sees_and_revokes_only_tokens_within_its_scope(api: Api) -> None:
    # Given tokens scoped to 'other', to 'other' and 'sandbox', and unscoped
    await api.create_project("other")
    inside, scoped = await api.make_token(["other"], name="inside")
    narrow, _ = await api.make_token(["other"], name="narrow")
    wide, _ = await api.make_token(["other", "sandbox"], name="wide")
    full, _ = await api.make_token(name="full")
    # When the scoped token lists tokens, Then it sees only those within its scope
    listed = assert_ok(await api.get("/tokens", auth=scoped))["tokens"]
    assert sorted(t["name"] for t in listed) == ["inside", "narrow"]
    everything = [t["name"] for t in assert_ok(await api.get("/tokens"))["tokens"]]
    assert {"inside", "narrow", "wide", "full"} <= set(everything)
    # When it revokes a wider token, Then it is refused and the token is not revoked
    for token in (wide, full):
        assert_error(await api.delete(f"/tokens/{token['id']}", auth=scoped), 403, says="scope")
    tokens = {t["id"]: t for t in assert_ok(await api.get("/tokens"))["tokens"]}
    assert tokens[wide["id"]]["revoked_at"] is None and tokens[full["id"]]["revoked_at"] is None
    # When it revokes one within its scope, Then it is revoked
    revoked = assert_ok(await api.delete(f"/tokens/{narrow['id']}", auth=scoped))
    assert revoked["revoked_at"] is not None
    assert inside["id"] != narrow["id"]


BAD_TOKENS: list[tuple[Any, int, str]] = [
    ([], 400, "body"),
    ({"name": ""}, 400, "name"),
    ({"name": 7}, 400, "name"),
    ({"name": "x" * 256}, 400, "name"),
    ({"projects": "sandbox"}, 400, "projects"),
    ({"projects": [1]}, 400, "projects"),
    ({"projects": []}, 400, "projects"),
    ({"projects": ["bad name"]}, 400, "projects"),
    ({"projects": ["missing"]}, 404, "projects"),
    ({"name": "x", "scopes": ["all"]}, 400, "body.scopes"),
]


@pytest.mark.parametrize(
    ("body", "status", "field"), BAD_TOKENS, ids=[str(b)[:30] for b, *_ in BAD_TOKENS]
)
async def test_a_bad_token_request_makes_no_token(
    api: Api, body: Any, status: int, field: str
) -> None:
    # Given the tokens there are
    await api.make_token()
    before = assert_ok(await api.get("/tokens"))["tokens"]
    # When a bad token request is sent, Then the error names the field, and no token is made
    assert_error(await api.post("/tokens", body), status, field=field)
    assert assert_ok(await api.get("/tokens"))["tokens"] == before


async def test_the_token_id_must_be_a_number(api: Api) -> None:
    # When a token id that is not a number is revoked, Then there is no such route
    reply = await api.delete("/tokens/abc")
    assert reply.code == 404, reply


# --- Projects ---------------------------------------------------------------------------------


async def test_sandbox_exists_from_the_start(api: Api) -> None:
    # Given a fresh server, When the projects are listed, Then only the sandbox is there
    projects = assert_ok(await api.get("/projects"))["projects"]
    assert [(p["name"], p["key"], p["run_count"]) for p in projects] == [("sandbox", "SAN", 0)]
    assert assert_ok(await api.get("/projects/sandbox"))["name"] == "sandbox"


async def test_create_and_read_projects(api: Api) -> None:
    # When projects are created, one within a namespace
    plain = await api.create_project("vision", "image models")
    team = await api.create_project("team/vision2")
    # Then each gets a short key of its own
    assert (plain["name"], plain["key"], plain["description"]) == ("vision", "VIS", "image models")
    assert (team["name"], team["key"], team["run_count"]) == ("team/vision2", "VIS2", 0)
    # And each reads back, and runs in it take its key
    assert assert_ok(await api.get("/projects/team/vision2")) == team
    assert (await api.create_run(project="team/vision2"))["id"] == "VIS2-1"
    assert assert_ok(await api.get("/projects/team/vision2"))["run_count"] == 1
    names = [p["name"] for p in assert_ok(await api.get("/projects"))["projects"]]
    assert names == ["sandbox", "team/vision2", "vision"]


async def test_a_duplicate_project_is_a_conflict(api: Api) -> None:
    # Given a project with a description
    created = await api.create_project("vision", "original")
    # When it is created again, Then it is a conflict, and the original is unchanged
    reply = await api.post("/projects", {"name": "vision", "description": "other"})
    assert_error(reply, 409, field="name", says="exists")
    assert assert_ok(await api.get("/projects/vision")) == created
    assert_error(await api.post("/projects", {"name": "sandbox"}), 409, field="name")


BAD_PROJECTS: list[Any] = [
    {},
    {"name": ""},
    {"name": 5},
    {"name": "-dash"},
    {"name": "has space"},
    {"name": "a/b/c"},
    {"name": "/lead"},
    {"name": "x" * 65},
    {"name": "ok", "description": 5},
    {"name": "ok", "description": "nul\x00"},
    {"name": "ok", "owner": "me"},
    [],
]


@pytest.mark.parametrize("body", BAD_PROJECTS, ids=[str(b)[:30] for b in BAD_PROJECTS])
async def test_a_bad_project_is_refused(api: Api, body: Any) -> None:
    # When a project with a bad name or description is created
    reply = await api.post("/projects", body)
    # Then the error names the field, and no project is made
    field = "name"
    if isinstance(body, dict) and "description" in body:
        field = "description"
    if isinstance(body, dict) and "owner" in body:
        field = "body.owner"
    assert_error(reply, 400, field=field)
    projects = assert_ok(await api.get("/projects"))["projects"]
    assert [p["name"] for p in projects] == ["sandbox"]


async def test_reading_a_missing_project(api: Api) -> None:
    # When a project that does not exist is read, Then it is not found
    assert_error(await api.get("/projects/nope"), 404, field="project")
    assert_error(await api.get("/projects/team/nope"), 404, field="project")


async def test_projects_are_listed_by_token_scope(api: Api) -> None:
    # Given three projects and a token scoped to two of them
    await api.create_project("one")
    await api.create_project("two")
    _, scoped = await api.make_token(["one", "two"])
    _, full = await api.make_token()

    async def names(auth: str) -> list[str]:
        return [p["name"] for p in assert_ok(await api.get("/projects", auth=auth))["projects"]]

    # When each lists the projects, Then each sees exactly what it may touch
    assert await names(scoped) == ["one", "two"]
    assert await names(full) == ["one", "sandbox", "two"]
    assert await names("jupyter") == ["one", "sandbox", "two"]
    # And a project out of scope cannot be read, nor created by a scoped token
    assert_error(await api.get("/projects/sandbox", auth=scoped), (403, 404))
    assert assert_ok(await api.get("/projects/one", auth=scoped))["name"] == "one"
    assert_error(await api.post("/projects", {"name": "three"}, auth=scoped), 403)
    assert await names(full) == ["one", "sandbox", "two"]
