"""Diffs in nbdime's format: two checkpoints, or a checkpoint and the editor's notebook JSON."""

from __future__ import annotations

import base64
import json
from typing import Any

import nbdime
from api_client import Api, assert_error, assert_ok
from nbdime.diff_format import DiffEntry
from notebook_cases import NOTEBOOK_ID, body, check_schema, notebook, upload

# The diff of a one-cell edit, "x = 1" -> "x = 2" in the first line of the first cell.
ONE_CELL_EDIT = [
    {
        "op": "patch",
        "key": "cells",
        "diff": [
            {
                "op": "patch",
                "key": 0,
                "diff": [
                    {
                        "op": "patch",
                        "key": "source",
                        "diff": [
                            {
                                "op": "patch",
                                "key": 0,
                                "diff": [
                                    {"op": "addrange", "key": 4, "valuelist": "2"},
                                    {"op": "removerange", "key": 4, "length": 1},
                                ],
                            }
                        ],
                    }
                ],
            }
        ],
    }
]


def patch(base: dict[str, Any], diff: list[dict[str, Any]]) -> Any:
    """nbdime's own patch of ``base`` by a diff read from JSON."""

    def entries(items: list[dict[str, Any]]) -> list[DiffEntry]:
        return [
            DiffEntry(e, diff=entries(e["diff"])) if e["op"] == "patch" else DiffEntry(e)
            for e in items
        ]

    return nbdime.patch(base, entries(diff))


async def diff(api: Api, method: str = "GET", status: int = 200, **kwargs: Any) -> Any:
    reply = await api.request(method, "/notebooks/diff", **kwargs)
    result = assert_ok(reply, status)
    if status == 200:
        check_schema("NotebookDiff", result)
    return result


async def test_the_diff_of_two_checkpoints(api: Api) -> None:
    # Given two checkpoints of a notebook, the second with its first cell edited
    first = await upload(
        api, "nb.ipynb", notebook("x = 1\nprint(x)", "y = 3", notebook_id=NOTEBOOK_ID)
    )
    second = await upload(
        api, "nb.ipynb", notebook("x = 2\nprint(x)", "y = 3", notebook_id=NOTEBOOK_ID)
    )
    # When their diff is asked for, by path or by the notebook's id
    result = await diff(api, params={"path": "nb.ipynb", "base": 1, "remote": 2})
    by_id = await diff(api, params={"notebook_id": NOTEBOOK_ID, "base": 1, "remote": 2})
    # Then it is exactly the edit of that cell's source, with the base notebook and both ends
    assert result == by_id
    assert result["diff"] == ONE_CELL_EDIT
    assert result["summarised"] == []
    assert [c["source"] for c in result["base"]["cells"]] == ["x = 1\nprint(x)", "y = 3"]
    assert result["base_checkpoint"] == {k: v for k, v in first.items() if k != "created"}
    assert result["remote_checkpoint"] == {k: v for k, v in second.items() if k != "created"}
    # And nbdime's own patch turns the base into the remote
    patched = patch(result["base"], result["diff"])
    assert [c["source"] for c in patched["cells"]] == ["x = 2\nprint(x)", "y = 3"]
    # And the reverse diff is the edit back
    back = await diff(api, params={"path": "nb.ipynb", "base": 2, "remote": 1})
    assert back["diff"][0]["diff"][0]["diff"][0]["diff"][0]["diff"] == [
        {"op": "addrange", "key": 4, "valuelist": "1"},
        {"op": "removerange", "key": 4, "length": 1},
    ]
    same = await diff(api, params={"path": "nb.ipynb", "base": 2, "remote": 2})
    assert same["diff"] == []


async def test_the_diff_of_a_checkpoint_and_the_editors_notebook(api: Api) -> None:
    # Given a checkpoint, and the editor's content with the first cell edited
    saved = await upload(api, "nb.ipynb", notebook("x = 1\nprint(x)", "y = 3"))
    before = await api.snapshot()
    edited = notebook("x = 2\nprint(x)", "y = 3")
    # When its diff against the checkpoint is asked for
    result = await diff(
        api, "POST", params={"path": "nb.ipynb", "base": saved["number"]}, body=body(edited)
    )
    # Then it is the edit, the remote side is no checkpoint, and nothing was stored
    assert result["diff"] == ONE_CELL_EDIT
    assert result["remote_checkpoint"] is None
    assert result["base_checkpoint"]["number"] == 1
    assert await api.snapshot() == before
    # And the editor's content as nbformat writes it, or in an envelope, diffs the same
    envelope = json.dumps({"notebook": edited, "history": [[1, "x = 2"]]}).encode()
    again = await diff(api, "POST", params={"path": "nb.ipynb", "base": 1}, body=envelope)
    assert again["diff"] == ONE_CELL_EDIT


async def test_big_outputs_and_images_are_compared_by_hash(api: Api) -> None:
    # Given two checkpoints whose only change is a plot's image
    def plotted(seed: int) -> dict[str, Any]:
        image = base64.b64encode(bytes([seed]) * 20_000).decode()
        output = {"output_type": "display_data", "data": {"image/png": image}, "metadata": {}}
        return notebook("plot()", counts=[1], outputs=[[output]])

    await upload(api, "plots.ipynb", plotted(1))
    await upload(api, "plots.ipynb", plotted(2))
    # When they are diffed
    result = await diff(api, params={"path": "plots.ipynb", "base": 1, "remote": 2})
    # Then the image is listed as summarised, and the diff replaces the output whole
    assert [(s["cell"], s["output"], s["mime"]) for s in result["summarised"]] == [
        (0, 0, "image/png")
    ]
    patched = patch(result["base"], result["diff"])
    assert patched["cells"][0]["outputs"] == plotted(2)["cells"][0]["outputs"]


async def test_bad_diff_requests_are_refused(api: Api) -> None:
    await upload(api, "nb.ipynb", notebook("x = 1"))
    cases: list[tuple[str, dict[str, Any], bytes | None, int, str]] = [
        ("GET", {"path": "nb.ipynb", "base": 1, "remote": 2}, None, 404, "number"),
        ("GET", {"path": "nb.ipynb", "base": 9, "remote": 1}, None, 404, "number"),
        ("GET", {"path": "no.ipynb", "base": 1, "remote": 1}, None, 404, "path"),
        ("GET", {"notebook_id": NOTEBOOK_ID, "base": 1, "remote": 1}, None, 404, "notebook_id"),
        ("GET", {"path": "nb.ipynb", "base": "x", "remote": 1}, None, 400, "base"),
        ("GET", {"path": "nb.ipynb", "base": 1, "remote": "0"}, None, 400, "remote"),
        ("GET", {"path": "nb.ipynb", "base": 1}, None, 400, "remote"),
        ("GET", {"path": "nb.ipynb", "remote": 1}, None, 400, "base"),
        ("GET", {"base": 1, "remote": 1}, None, 400, "path"),
        ("GET", {"path": "../x", "base": 1, "remote": 1}, None, 400, "path"),
        (
            "GET",
            {"path": "nb.ipynb", "base": 1, "remote": 1, "project": "none"},
            None,
            404,
            "project",
        ),
        ("POST", {"path": "nb.ipynb", "base": 1}, b"not json", 400, "body"),
        ("POST", {"path": "nb.ipynb", "base": 1}, b'{"cells": 3}', 400, "body"),
        ("POST", {"path": "nb.ipynb", "base": 2}, body(notebook("x")), 404, "number"),
        ("POST", {"path": "nb.ipynb", "base": "-1"}, body(notebook("x")), 400, "base"),
        ("POST", {"path": "nb.ipynb", "base": 1, "remote": 1}, body(notebook("x")), 400, "remote"),
    ]
    before = await api.snapshot()
    for method, params, data, status, field in cases:
        reply = await api.request(method, "/notebooks/diff", params=params, body=data)
        assert_error(reply, status, field=field), (method, params)
    assert await api.snapshot() == before


async def test_another_projects_token_sees_no_diff(api: Api) -> None:
    # Given two checkpoints in the default project, and a token for another project only
    await upload(api, "nb.ipynb", notebook("x = 1"))
    await upload(api, "nb.ipynb", notebook("x = 2"))
    await api.create_project("other")
    _, other = await api.make_token(["other"])
    _, sandbox = await api.make_token(["sandbox"])
    params = {"project": "sandbox", "path": "nb.ipynb", "base": 1, "remote": 2}
    # Then it is refused both diffs; without credentials too; a token for the project is not
    for auth, status in ((other, 403), (None, (401, 403))):
        assert_error(await api.request("GET", "/notebooks/diff", params=params, auth=auth), status)
        reply = await api.request(
            "POST",
            "/notebooks/diff",
            params={**params, "remote": ""},
            body=body(notebook("x")),
            auth=auth,
        )
        assert_error(reply, status)
    assert (await api.request("GET", "/notebooks/diff", params=params, auth=sandbox)).code == 200
