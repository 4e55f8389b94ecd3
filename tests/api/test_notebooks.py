"""Notebook checkpoints: numbered canonical versions of a notebook, which keeps its identity
through renames, stored once per content, and refused whole when anything is wrong."""

from __future__ import annotations

import base64
import hashlib
import json
import random

from api_client import Api, assert_error, assert_ok
from notebook_cases import (
    NOTEBOOK_ID,
    OTHER_ID,
    body,
    canonical,
    check_schema,
    checkpoints,
    notebook,
    on_disk,
    upload,
)


async def test_checkpoints_count_up_and_read_back_canonical(api: Api) -> None:
    # Given two versions of one notebook saved in turn
    first = await upload(api, "work/train.ipynb", notebook("x = 1"), description="a")
    second = await upload(api, "work/train.ipynb", notebook("x = 2"))
    # Then they are numbered 1 and 2 and listed newest first
    assert (first["number"], second["number"]) == (1, 2)
    assert first["description"] == "a" and first["project"] == "sandbox"
    assert (first["origin"], first["runs"], first["warnings"]) == ("upload", [], [])
    assert first["notebook_id"] is None
    listing = await checkpoints(api, path="work/train.ipynb")
    assert [c["number"] for c in listing] == [2, 1]
    assert listing[1] == {k: v for k, v in first.items() if k != "created"}
    notebooks = assert_ok(await api.get("/notebooks"))
    check_schema("NotebookList", notebooks)
    assert [(n["path"], n["checkpoints"], n["notebook_id"]) for n in notebooks["notebooks"]] == [
        ("work/train.ipynb", 2, None)
    ]
    # And each checkpoint's content is the notebook in nbformat's own layout, as hashed
    for saved, source in ((first, "x = 1"), (second, "x = 2")):
        reply = await api.get(
            "/notebooks/checkpoints/content",
            params={"path": "work/train.ipynb", "number": str(saved["number"])},
        )
        assert reply.code == 200
        assert reply.body == canonical(notebook(source))
        assert hashlib.sha256(reply.body).hexdigest() == saved["sha256"]
        assert saved["size"] == len(reply.body)
        assert reply.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_run_names_the_checkpoint_it_came_from(api: Api) -> None:
    # Given a run and a checkpoint saved for it
    run = await api.create_run(name="from a notebook", notebook_path="nb.ipynb")
    assert run["checkpoint"] is None
    saved = await upload(
        api, "nb.ipynb", notebook("y = 1", notebook_id=NOTEBOOK_ID), run_id=run["id"]
    )
    # Then the checkpoint names the run and the run names the checkpoint
    assert (saved["run_id"], saved["runs"]) == (run["id"], [run["id"]])
    linked = {
        "path": "nb.ipynb",
        "number": 1,
        "notebook_id": NOTEBOOK_ID,
        "origin": "upload",
        "warnings": [],
    }
    got = assert_ok(await api.get(f"/runs/{run['id']}"))
    check_schema("Run", got)
    assert got["checkpoint"] == linked
    assert got["notebook"] == {"path": "nb.ipynb", "cell_id": None, "execution_count": None}
    listed = assert_ok(await api.get("/runs"))["runs"]
    assert listed[0]["checkpoint"] == linked


async def test_bad_checkpoints_are_refused_and_store_nothing(api: Api) -> None:
    # Given a run in another project, and a notebook stored already
    await api.create_project("other")
    other_run = await api.create_run(project="other")
    await upload(api, "taken.ipynb", notebook("1", notebook_id=OTHER_ID))
    good = body(notebook("1"))
    cases = [
        ({"path": "nb.ipynb"}, b"not json", "body"),
        ({"path": "nb.ipynb"}, b'{"no": "cells"}', "body"),
        ({"path": "nb.ipynb"}, b"[1, 2]", "body"),
        ({"path": "nb.ipynb"}, b'{"cells": [{"cell_type": "code", "source": 3}]}', "body"),
        ({"path": "nb.ipynb"}, b'{"notebook": {"cells": []}, "history": [[-1, "x"]]}', "body"),
        ({"path": "nb.ipynb"}, b'{"notebook": {"cells": []}, "extra": 1}', "body"),
        ({"path": "nb.ipynb"}, b"\xff\xfe", "body"),
        ({"path": "../escape.ipynb"}, good, "path"),
        ({"path": "/abs.ipynb"}, good, "path"),
        ({"path": ""}, good, "path"),
        ({"path": "a" * 1025}, good, "path"),
        ({"path": "nb.ipynb", "origin": "cloud"}, good, "origin"),
        ({"path": "nb.ipynb", "execution_count": "-1"}, good, "execution_count"),
        ({"path": "nb.ipynb", "execution_count": "x"}, good, "execution_count"),
        ({"path": "nb.ipynb", "execution_count": "99999999999"}, good, "execution_count"),
        ({"path": "nb.ipynb", "cell_id": "c" * 256}, good, "cell_id"),
        ({"path": "nb.ipynb", "cell_id": "a\tb"}, good, "cell_id"),
        ({"path": "nb.ipynb", "description": "d" * 10_001}, good, "description"),
        ({"path": "nb.ipynb", "run_id": other_run["id"]}, good, "run_id"),
        ({"path": "nb.ipynb", "run_id": "SAN-999"}, good, "run_id"),
        ({"path": "nb.ipynb", "run_id": "nonsense"}, good, "run_id"),
        ({"path": "nb.ipynb", "project": "missing"}, good, "project"),
        ({"path": "nb.ipynb", "project": "bad name!"}, good, "project"),
    ]
    before = await api.snapshot()
    for params, data, field in cases:
        # When each is posted
        reply = await api.request("POST", "/notebooks/checkpoints", body=data, params=params)
        # Then it is refused naming the field at fault
        assert_error(reply, (400, 404), field=field), (params, data[:40])
    # And nothing at all was stored: no notebook, no checkpoint, no link, no blob
    assert await api.snapshot() == before
    assert assert_ok(await api.get(f"/runs/{other_run['id']}"))["checkpoint"] is None


async def test_missing_notebooks_and_checkpoints_are_not_found(api: Api) -> None:
    await upload(api, "nb.ipynb", notebook("1", notebook_id=NOTEBOOK_ID))
    reply = await api.get("/notebooks/checkpoints", params={"path": "other.ipynb"})
    assert_error(reply, 404, field="path")
    reply = await api.get("/notebooks/checkpoints", params={"notebook_id": OTHER_ID})
    assert_error(reply, 404, field="notebook_id")
    reply = await api.get("/notebooks/checkpoints", params={"notebook_id": "not-a-uuid"})
    assert_error(reply, 400, field="notebook_id")
    content = "/notebooks/checkpoints/content"
    reply = await api.get(content, params={"path": "nb.ipynb", "number": "2"})
    assert_error(reply, 404, field="number")
    for number in ("x", "0", "-1", "", "1.5", "99999999999"):
        reply = await api.get(content, params={"path": "nb.ipynb", "number": number})
        assert_error(reply, 400, field="number")
    reply = await api.get(content, params={"notebook_id": NOTEBOOK_ID, "number": "1"})
    assert reply.code == 200


async def test_another_projects_token_is_refused_before_anything_is_written(api: Api) -> None:
    # Given a token scoped to another project, and a run of the default project
    await api.create_project("other")
    _, other_token = await api.make_token(["other"])
    run = await api.create_run()
    before = await api.snapshot()
    blobs = api.all_blob_dir_files()
    nb = body(notebook("secret = 42"))
    for params in ({}, {"run_id": run["id"]}, {"origin": "editor", "run_id": run["id"]}):
        # When it posts a checkpoint to the default project
        reply = await api.request(
            "POST",
            "/notebooks/checkpoints",
            body=nb,
            params={"project": "sandbox", "path": "nb.ipynb", **params},
            auth=other_token,
        )
        # Then it is refused, and no file appears under the blob directory
        assert_error(reply, 403, field="project")
        assert api.all_blob_dir_files() == blobs
    # And when it names a run of the default project from its own project, the run is refused
    reply = await api.request(
        "POST",
        "/notebooks/checkpoints",
        body=nb,
        params={"project": "other", "path": "nb.ipynb", "run_id": run["id"]},
        auth=other_token,
    )
    assert_error(reply, 403)
    assert api.all_blob_dir_files() == blobs
    assert await api.snapshot() == before
    # And it cannot read the default project's notebooks either
    await upload(api, "nb.ipynb", notebook("1", notebook_id=NOTEBOOK_ID))
    for route, params in (
        ("/notebooks", {"project": "sandbox"}),
        ("/notebooks/checkpoints", {"project": "sandbox", "notebook_id": NOTEBOOK_ID}),
        ("/notebooks/checkpoints/content", {"project": "sandbox", "path": "nb.ipynb", "number": 1}),
    ):
        assert_error(await api.get(route, params=params, auth=other_token), 403)


async def test_a_renamed_notebook_keeps_its_numbers_and_history(api: Api) -> None:
    # Given a notebook with an id, saved twice at its first path, with a run linked
    run = await api.create_run()
    await upload(api, "drafts/a.ipynb", notebook("a = 1", notebook_id=NOTEBOOK_ID))
    await upload(
        api, "drafts/a.ipynb", notebook("a = 2", notebook_id=NOTEBOOK_ID), run_id=run["id"]
    )
    # When it is saved from a new path (renamed and moved)
    moved = await upload(api, "final/b.ipynb", notebook("a = 3", notebook_id=NOTEBOOK_ID))
    # Then it is the same notebook: numbering goes on, and its history follows it
    assert (moved["number"], moved["path"], moved["notebook_id"]) == (
        3,
        "final/b.ipynb",
        NOTEBOOK_ID,
    )
    history = await checkpoints(api, path="final/b.ipynb")
    assert [(c["number"], c["path"]) for c in history] == [(3, "final/b.ipynb")] + [
        (n, "final/b.ipynb") for n in (2, 1)
    ]
    assert history == await checkpoints(api, notebook_id=NOTEBOOK_ID)
    assert history[1]["runs"] == [run["id"]]
    assert_error(
        await api.get("/notebooks/checkpoints", params={"path": "drafts/a.ipynb"}),
        404,
        field="path",
    )
    notebooks = assert_ok(await api.get("/notebooks"))["notebooks"]
    assert [(n["path"], n["notebook_id"], n["checkpoints"]) for n in notebooks] == [
        ("final/b.ipynb", NOTEBOOK_ID, 3)
    ]
    assert assert_ok(await api.get(f"/runs/{run['id']}"))["checkpoint"]["path"] == "final/b.ipynb"
    # And the old path is free again for another notebook
    fresh = await upload(api, "drafts/a.ipynb", notebook("new", notebook_id=OTHER_ID))
    assert (fresh["number"], fresh["notebook_id"]) == (1, OTHER_ID)


async def test_a_rename_onto_another_notebooks_path_is_a_conflict(api: Api) -> None:
    # Given two notebooks, one with an id
    await upload(api, "one.ipynb", notebook("1", notebook_id=NOTEBOOK_ID))
    await upload(api, "two.ipynb", notebook("2"))
    before = await api.snapshot()
    # When the first is saved at the second's path
    reply = await api.request(
        "POST",
        "/notebooks/checkpoints",
        body=body(notebook("1 moved", notebook_id=NOTEBOOK_ID)),
        params={"path": "two.ipynb"},
    )
    # Then it is refused with 409, and nothing changed
    assert_error(reply, 409, field="path", says="two.ipynb")
    assert await api.snapshot() == before


async def test_a_notebook_found_by_path_takes_the_id_it_is_first_sent_with(api: Api) -> None:
    # Given a notebook saved before it had an id
    await upload(api, "old.ipynb", notebook("1"))
    # When it is saved with an id at the same path, then from a new path
    second = await upload(api, "old.ipynb", notebook("2", notebook_id=NOTEBOOK_ID))
    third = await upload(api, "new.ipynb", notebook("3", notebook_id=NOTEBOOK_ID))
    # Then it stays one notebook
    assert (second["number"], second["notebook_id"]) == (2, NOTEBOOK_ID)
    assert (third["number"], third["path"]) == (3, "new.ipynb")
    assert [c["number"] for c in await checkpoints(api, notebook_id=NOTEBOOK_ID)] == [3, 2, 1]


async def test_identical_content_is_stored_once(api: Api) -> None:
    # Given a notebook as the browser sends it (one string per source)
    nb = notebook("import os\nprint(os.getcwd())", "x = 1", counts=[1, 2])
    first = await upload(api, "a.ipynb", nb)
    blobs = api.blob_files()
    # When the same notebook comes again: re-encoded, as nbformat writes it, keys reordered
    same = [
        body(nb),
        json.dumps(on_disk(nb), indent=1).encode(),
        json.dumps(nb, sort_keys=True, separators=(",", ":")).encode(),
    ]
    for data in same:
        # Then no new checkpoint is made: the latest is returned with created=false
        again = await upload(api, "a.ipynb", data, status=200)
        assert {k: v for k, v in again.items() if k != "created"} == {
            k: v for k, v in first.items() if k != "created"
        }
    assert [c["number"] for c in await checkpoints(api, path="a.ipynb")] == [1]
    # And the same content in another notebook is a new checkpoint of the same blob
    elsewhere = await upload(api, "copy/b.ipynb", json.dumps(on_disk(nb)).encode())
    assert elsewhere["sha256"] == first["sha256"] and elsewhere["number"] == 1
    assert api.blob_files() == blobs and len(blobs) == 1
    # And going back to earlier content after a change is a new checkpoint
    await upload(api, "a.ipynb", notebook("changed"))
    back = await upload(api, "a.ipynb", nb)
    assert back["number"] == 3 and back["sha256"] == first["sha256"]
    assert len(api.blob_files()) == 2


async def test_an_identical_upload_for_a_run_links_the_run_to_the_latest(api: Api) -> None:
    # Given a checkpoint, and two runs started from that very notebook
    saved = await upload(api, "nb.ipynb", notebook("train()"))
    runs = [await api.create_run() for _ in range(2)]
    # When the same content is uploaded for each run
    for run in runs:
        linked = await upload(
            api, "nb.ipynb", notebook("train()"), status=200, run_id=run["id"], origin="editor"
        )
        # Then the existing checkpoint is linked to the run
        assert linked["number"] == saved["number"]
    listing = await checkpoints(api, path="nb.ipynb")
    assert [(c["number"], c["runs"], c["run_id"]) for c in listing] == [
        (1, [r["id"] for r in runs], None)
    ]
    for run in runs:
        got = assert_ok(await api.get(f"/runs/{run['id']}"))
        assert got["checkpoint"]["number"] == 1


async def test_a_50_mb_notebook_is_stored_and_read_back(api: Api) -> None:
    # Given a notebook of 50 MB, mostly one big image output
    rng = random.Random(6)
    image = base64.b64encode(rng.randbytes(37_500_000)).decode()
    output = {"output_type": "display_data", "data": {"image/png": image}, "metadata": {}}
    nb = notebook("plot()", counts=[1], outputs=[[output]])
    data = body(nb)
    assert len(data) > 50_000_000
    # When it is uploaded
    saved = await upload(api, "big.ipynb", data)
    # Then it is stored whole, and reads back as stored
    assert saved["size"] > 50_000_000
    reply = await api.get(
        "/notebooks/checkpoints/content", params={"path": "big.ipynb", "number": "1"}
    )
    assert reply.code == 200
    assert hashlib.sha256(reply.body).hexdigest() == saved["sha256"]
    assert json.loads(reply.body)["cells"][0]["outputs"][0]["data"]["image/png"] == image
    assert len(api.blob_files()) == 1
