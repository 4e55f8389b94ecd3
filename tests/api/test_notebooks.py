"""Notebook checkpoints: numbered versions of a notebook, linked to the runs they came from."""

from __future__ import annotations

import json

from api_client import Api, assert_error, assert_ok

NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "source": "x = 1",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        }
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def notebook_bytes(source: str) -> bytes:
    nb = json.loads(json.dumps(NOTEBOOK))
    nb["cells"][0]["source"] = source
    return json.dumps(nb).encode()


async def checkpoint(api: Api, path: str, body: bytes, **params: str) -> dict[str, object]:
    reply = await api.request(
        "POST", "/notebooks/checkpoints", body=body, params={"path": path, **params}
    )
    result: dict[str, object] = assert_ok(reply, 201)
    return result


async def test_checkpoints_count_up_and_read_back_byte_for_byte(api: Api) -> None:
    # Given two versions of one notebook saved in turn
    first = await checkpoint(api, "work/train.ipynb", notebook_bytes("x = 1"), description="a")
    second = await checkpoint(api, "work/train.ipynb", notebook_bytes("x = 2"))
    # Then they are numbered 1 and 2 and listed newest first
    assert (first["number"], second["number"]) == (1, 2)
    assert first["description"] == "a" and first["project"] == "sandbox"
    listing = assert_ok(
        await api.get("/notebooks/checkpoints", params={"path": "work/train.ipynb"})
    )
    assert [c["number"] for c in listing["checkpoints"]] == [2, 1]
    notebooks = assert_ok(await api.get("/notebooks"))["notebooks"]
    assert [(n["path"], n["checkpoints"]) for n in notebooks] == [("work/train.ipynb", 2)]
    # And each checkpoint's content is exactly what was saved
    for number, source in ((1, "x = 1"), (2, "x = 2")):
        reply = await api.get(
            "/notebooks/checkpoints/content",
            params={"path": "work/train.ipynb", "number": str(number)},
        )
        assert reply.code == 200
        assert reply.body == notebook_bytes(source)
        assert reply.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_run_names_the_checkpoint_it_came_from(api: Api) -> None:
    # Given a run and a checkpoint saved for it
    run = await api.create_run(name="from a notebook", notebook_path="nb.ipynb")
    assert run["checkpoint"] is None
    saved = await checkpoint(api, "nb.ipynb", notebook_bytes("y = 1"), run_id=run["id"])
    # Then the checkpoint names the run and the run names the checkpoint
    assert saved["run_id"] == run["id"]
    got = assert_ok(await api.get(f"/runs/{run['id']}"))
    assert got["checkpoint"] == {"path": "nb.ipynb", "number": 1}
    listed = assert_ok(await api.get("/runs"))["runs"]
    assert listed[0]["checkpoint"] == {"path": "nb.ipynb", "number": 1}


async def test_bad_checkpoints_are_refused_and_store_nothing(api: Api) -> None:
    await api.create_project("other")
    other_run = await api.create_run(project="other")
    cases = [
        ({"path": "nb.ipynb"}, b"not json", "body"),
        ({"path": "nb.ipynb"}, b'{"no": "cells"}', "body"),
        ({"path": "../escape.ipynb"}, notebook_bytes("1"), "path"),
        ({"path": "/abs.ipynb"}, notebook_bytes("1"), "path"),
        ({"path": ""}, notebook_bytes("1"), "path"),
        ({"path": "nb.ipynb", "run_id": other_run["id"]}, notebook_bytes("1"), "run_id"),
        ({"path": "nb.ipynb", "run_id": "SAN-999"}, notebook_bytes("1"), "run_id"),
        ({"path": "nb.ipynb", "project": "missing"}, notebook_bytes("1"), "project"),
    ]
    for params, body, field in cases:
        reply = await api.request("POST", "/notebooks/checkpoints", body=body, params=params)
        assert_error(reply, (400, 404), field=field)
    assert assert_ok(await api.get("/notebooks"))["notebooks"] == []
    assert assert_ok(await api.get(f"/runs/{other_run['id']}"))["checkpoint"] is None


async def test_missing_notebooks_and_checkpoints_are_not_found(api: Api) -> None:
    await checkpoint(api, "nb.ipynb", notebook_bytes("1"))
    reply = await api.get("/notebooks/checkpoints", params={"path": "other.ipynb"})
    assert_error(reply, 404, field="path")
    reply = await api.get(
        "/notebooks/checkpoints/content", params={"path": "nb.ipynb", "number": "2"}
    )
    assert_error(reply, 404, field="number")
    reply = await api.get(
        "/notebooks/checkpoints/content", params={"path": "nb.ipynb", "number": "x"}
    )
    assert_error(reply, 400, field="number")
