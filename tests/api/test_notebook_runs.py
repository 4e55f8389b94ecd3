"""The notebook a run ran: the cell that started it, the editor's copy beating the file on disk,
code from the kernel's history, and hidden-state warnings."""

from __future__ import annotations

import json

from api_client import Api, assert_error, assert_ok
from notebook_cases import NOTEBOOK_ID, body, check_schema, checkpoints, notebook, upload


async def test_a_run_records_the_cell_that_started_it(api: Api) -> None:
    # When a run is created with the notebook, cell id and execution count
    run = await api.create_run(
        notebook_path="work/a.ipynb", notebook_cell_id="c7f1-x", notebook_execution_count=0
    )
    # Then the run shows them
    check_schema("Run", run)
    expected = {"path": "work/a.ipynb", "cell_id": "c7f1-x", "execution_count": 0}
    assert run["notebook"] == expected
    assert assert_ok(await api.get(f"/runs/{run['id']}"))["notebook"] == expected
    # And a run from no notebook has none
    plain = await api.create_run()
    assert (plain["notebook"], plain["checkpoint"]) == (None, None)


async def test_bad_notebook_fields_of_a_run_are_refused(api: Api) -> None:
    cases = [
        ({"notebook_cell_id": 3}, "notebook_cell_id"),
        ({"notebook_cell_id": ""}, "notebook_cell_id"),
        ({"notebook_cell_id": "x" * 256}, "notebook_cell_id"),
        ({"notebook_cell_id": "a\nb"}, "notebook_cell_id"),
        ({"notebook_execution_count": -1}, "notebook_execution_count"),
        ({"notebook_execution_count": 1.5}, "notebook_execution_count"),
        ({"notebook_execution_count": True}, "notebook_execution_count"),
        ({"notebook_execution_count": "3"}, "notebook_execution_count"),
        ({"notebook_execution_count": 2**31}, "notebook_execution_count"),
    ]
    before = await api.snapshot()
    for fields, field in cases:
        assert_error(await api.post("/runs", fields), 400, field=field), fields
    assert await api.snapshot() == before


async def test_the_editors_copy_beats_the_file_on_disk(api: Api) -> None:
    # Given a run, and the editor's copy of its notebook (unsaved edit included) linked to it
    run = await api.create_run(notebook_path="a.ipynb")
    live = notebook(
        "x = 1", "train(lr=0.5)  # unsaved edit", counts=[1, 2], notebook_id=NOTEBOOK_ID
    )
    editor = await upload(
        api, "a.ipynb", live, run_id=run["id"], origin="editor", cell_id="c2", execution_count=2
    )
    assert (editor["origin"], editor["runs"]) == ("editor", [run["id"]])
    before = await api.snapshot()
    # When the client's fallback copy from disk comes later for the same run
    saved = notebook("x = 1", "train(lr=0.1)", counts=[1, None], notebook_id=NOTEBOOK_ID)
    envelope = {"notebook": saved, "history": [[1, "x = 1"], [2, "train(lr=0.5)  # unsaved edit"]]}
    reply = await upload(
        api,
        "a.ipynb",
        json.dumps(envelope).encode(),
        status=200,
        run_id=run["id"],
        origin="disk",
        cell_id="c2",
        execution_count=2,
    )
    # Then it is ignored: the reply is the editor's checkpoint, and nothing was stored
    assert {k: v for k, v in reply.items() if k != "created"} == {
        k: v for k, v in editor.items() if k != "created"
    }
    assert await api.snapshot() == before
    got = assert_ok(await api.get(f"/runs/{run['id']}"))
    assert got["checkpoint"] == {
        "path": "a.ipynb",
        "number": 1,
        "notebook_id": NOTEBOOK_ID,
        "origin": "editor",
        "warnings": [],
    }
    assert got["notebook"] == {"path": "a.ipynb", "cell_id": "c2", "execution_count": 2}
    content = await api.get(
        "/notebooks/checkpoints/content", params={"path": "a.ipynb", "number": "1"}
    )
    assert "train(lr=0.5)  # unsaved edit" in content.body.decode()


async def test_a_later_editor_copy_replaces_a_disk_copy(api: Api) -> None:
    # Given a run linked to a disk copy (the editor was slow)
    run = await api.create_run()
    disk = await upload(api, "a.ipynb", notebook("x = 1"), run_id=run["id"], origin="disk")
    # When the editor's copy arrives
    editor = await upload(
        api, "a.ipynb", notebook("x = 1", "y = 2"), run_id=run["id"], origin="editor"
    )
    # Then the run is linked to it; the disk copy remains, with no run linked now
    got = assert_ok(await api.get(f"/runs/{run['id']}"))
    assert (got["checkpoint"]["number"], got["checkpoint"]["origin"]) == (2, "editor")
    listing = await checkpoints(api, path="a.ipynb")
    assert [(c["number"], c["origin"], c["runs"], c["run_id"]) for c in listing] == [
        (editor["number"], "editor", [run["id"]], run["id"]),
        (disk["number"], "disk", [], run["id"]),
    ]


async def test_a_disk_copy_gains_the_code_that_ran_from_the_kernels_history(api: Api) -> None:
    # Given a saved file without the cell that started the run, and the kernel's history
    run = await api.create_run()
    saved = notebook("import numpy", counts=[1])
    envelope = {"notebook": saved, "history": [[1, "import numpy"], [2, "tracker.init()"]]}
    # When the client sends it from disk
    stored = await upload(
        api,
        "a.ipynb",
        json.dumps(envelope).encode(),
        run_id=run["id"],
        origin="disk",
        execution_count=2,
    )
    # Then the checkpoint holds the code that ran, marked as from the kernel's history
    reply = await api.get("/notebooks/checkpoints/content", params={"path": "a.ipynb", "number": 1})
    cells = json.loads(reply.body)["cells"]
    assert [c["source"] for c in cells] == [["import numpy"], ["tracker.init()"]]
    assert cells[1]["execution_count"] == 2
    assert cells[1]["metadata"] == {"jupyter_tracker": {"from_kernel_history": True}}
    assert stored["origin"] == "disk"
    run_now = assert_ok(await api.get(f"/runs/{run['id']}"))
    assert run_now["notebook"] == {"path": "a.ipynb", "cell_id": None, "execution_count": 2}


async def test_a_notebook_run_out_of_order_carries_the_warnings(api: Api) -> None:
    # Given a notebook whose third cell ran first, and whose first cell was edited after it ran
    nb = notebook("a = 1  # edited", "b = a + 1", "a = 0", counts=[2, 3, 1])
    history = [[1, "a = 0"], [2, "a = 1"], [3, "b = a + 1"]]
    run = await api.create_run()
    # When it is stored for a run
    stored = await upload(
        api,
        "order.ipynb",
        json.dumps({"notebook": nb, "history": history}).encode(),
        run_id=run["id"],
        origin="editor",
    )
    # Then the checkpoint, its listing and the run all carry the exact warnings
    expected = [
        {
            "kind": "out_of_order",
            "message": "cell 3 ran before cell 2",
            "cells": [3, 2],
            "execution_counts": [1, 3],
        },
        {
            "kind": "edited_after_run",
            "message": "cell 1 changed after it ran",
            "cells": [1],
            "execution_counts": [2],
        },
    ]
    assert stored["warnings"] == expected
    assert (await checkpoints(api, path="order.ipynb"))[0]["warnings"] == expected
    assert assert_ok(await api.get(f"/runs/{run['id']}"))["checkpoint"]["warnings"] == expected
    # And a plain upload without history still sees the order
    plain = await upload(api, "plain.ipynb", body(notebook("x", "y", counts=[5, 4])))
    assert [w["message"] for w in plain["warnings"]] == ["cell 2 ran before cell 1"]
