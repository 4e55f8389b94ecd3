"""``prepare``: parsing, validation, canonical bytes, history cells and warnings."""

from __future__ import annotations

import json
from typing import Any

import nbformat
import pytest
from nbfactory import code, display, markdown, notebook, stream

from jupyter_tracker.notebooks import Snapshot, prepare

NB_ID = "0b7d1c1e-6f0a-4a53-9c3e-2f3b8f1d2a44"


def body(document: Any, **dumps: Any) -> bytes:
    return json.dumps(document, **dumps).encode()


def test_content_is_nbformat_layout_with_lines_split() -> None:
    # Given a notebook with joined multi-line strings, as the browser sends it
    nb = notebook(
        code("a = 1\nprint(a)", 1, [stream("1\n2\n")], id="c1"),
        markdown("# Titré", id="m1"),
    )
    # When it is prepared
    snapshot = prepare(body(nb), origin="upload")
    # Then the content is nbformat's layout: indent 1, sorted keys, raw UTF-8, lines split
    assert snapshot.content.decode("utf-8") == (
        "{\n"
        ' "cells": [\n'
        "  {\n"
        '   "cell_type": "code",\n'
        '   "execution_count": 1,\n'
        '   "id": "c1",\n'
        '   "metadata": {},\n'
        '   "outputs": [\n'
        "    {\n"
        '     "name": "stdout",\n'
        '     "output_type": "stream",\n'
        '     "text": [\n'
        '      "1\\n",\n'
        '      "2\\n"\n'
        "     ]\n"
        "    }\n"
        "   ],\n"
        '   "source": [\n'
        '    "a = 1\\n",\n'
        '    "print(a)"\n'
        "   ]\n"
        "  },\n"
        "  {\n"
        '   "cell_type": "markdown",\n'
        '   "id": "m1",\n'
        '   "metadata": {},\n'
        '   "source": [\n'
        '    "# Titré"\n'
        "   ]\n"
        "  }\n"
        " ],\n"
        ' "metadata": {},\n'
        ' "nbformat": 4,\n'
        ' "nbformat_minor": 5\n'
        "}\n"
    )
    assert json.loads(snapshot.content) == snapshot.notebook
    assert snapshot == Snapshot(snapshot.content, snapshot.notebook, None, [], 0)


def test_content_is_what_nbformat_writes() -> None:
    # Given a notebook with a plot, an HTML table and a JSON output
    nb = notebook(
        code(
            "plot()\n",
            3,
            [
                display({"image/png": "iVBORw0KGgo=\n", "text/plain": "<Figure>\n"}),
                display({"text/html": "<b>x</b>\n<i>y</i>", "application/json": {"a": [1, 2]}}),
            ],
            id="p",
        ),
        markdown("text\n\nmore", id="m"),
    )
    # When prepared  Then the bytes are nbformat's own serialisation plus a newline
    written = nbformat.writes(nbformat.from_dict(nb), version=4)  # type: ignore[no-untyped-call]
    assert prepare(body(nb), origin="upload").content == (written + "\n").encode()


def test_equal_notebooks_give_identical_bytes() -> None:
    # Given one notebook sent joined and compact, and saved split, indented, keys reordered
    nb = notebook(
        code("x = 1\ny = 2\n", 1, [stream("ok\n"), display({"text/plain": "a\nb"})], id="a"),
        markdown("hello\nworld", id="b"),
        kernelspec={"name": "python3", "display_name": "Python 3"},
    )
    saved = json.loads(json.dumps(nb))
    saved["cells"][0]["source"] = ["x = 1\n", "y = 2\n"]
    saved["cells"][0]["outputs"][0]["text"] = ["ok\n"]
    saved["cells"][0]["outputs"][1]["data"]["text/plain"] = ["a\n", "b"]
    saved["cells"][1]["source"] = ["hel", "lo\nworld"]
    reordered = dict(reversed(list(saved.items())))
    # When both are prepared
    a = prepare(body(nb, separators=(",", ":")), origin="editor")
    b = prepare(body(reordered, indent=4, ensure_ascii=True), origin="upload")
    # Then the bytes are identical
    assert a.content == b.content


def test_the_notebook_id_is_taken_from_the_metadata() -> None:
    nb = notebook(code("1", None), jupyter_tracker={"notebook_id": NB_ID})
    assert prepare(body(nb), origin="upload").notebook_id == NB_ID


def test_an_envelope_brings_the_history_for_warnings() -> None:
    # Given an envelope: cell 2 ran before cell 1, cell 1 changed since, [2] was deleted
    nb = notebook(code("a = 2\n", 3), code("b = 1\n", 1))
    history = [[1, "b = 1"], [2, ["gone ", "= 1\n"]], [3, "a = 1\n"]]
    # When prepared from the editor
    snapshot = prepare(body({"notebook": nb, "history": history}), origin="editor")
    # Then the warnings name them and nothing is appended
    assert snapshot.warnings == [
        {
            "kind": "out_of_order",
            "message": "cell 2 ran before cell 1",
            "cells": [2, 1],
            "execution_counts": [1, 3],
        },
        {
            "kind": "edited_after_run",
            "message": "cell 1 changed after it ran",
            "cells": [1],
            "execution_counts": [3],
        },
        {
            "kind": "deleted_cell",
            "message": "code that ran as [2] is no longer in the notebook",
            "cells": [],
            "execution_counts": [2],
        },
    ]
    assert snapshot.history_cells_added == 0
    assert len(snapshot.notebook["cells"]) == 2


def test_disk_origin_appends_history_code_found_in_no_cell() -> None:
    # Given a saved file and a kernel history with code that is in no cell of the file
    nb = notebook(code("a = 1\n", 1, id="a"), markdown("m", id="history-4"))
    history = [[0, ""], [1, "a = 1"], [2, "train()"], [3, "  \n"], [4, "evaluate()\n"]]
    history.append([5, "train()\n"])
    # When prepared with origin disk
    snapshot = prepare(body({"notebook": nb, "history": history}), origin="disk")
    # Then each such code is appended once (its latest count), marked, with a free id
    mark = {"jupyter_tracker": {"from_kernel_history": True}}
    assert snapshot.notebook["cells"][2:] == [
        {
            "cell_type": "code",
            "execution_count": 4,
            "id": "history-4-1",
            "metadata": mark,
            "outputs": [],
            "source": ["evaluate()\n"],
        },
        {
            "cell_type": "code",
            "execution_count": 5,
            "id": "history-5",
            "metadata": mark,
            "outputs": [],
            "source": ["train()\n"],
        },
    ]
    assert snapshot.history_cells_added == 2
    assert json.loads(snapshot.content) == snapshot.notebook
    # And the warnings describe the checkpoint as stored: the appended code is in it, so it is
    # not reported as deleted
    assert snapshot.warnings == []


def test_history_cells_have_no_ids_in_notebooks_before_nbformat_4_5() -> None:
    nb = notebook(code("a", 1), minor=4)
    snapshot = prepare(body({"notebook": nb, "history": [[2, "b"]]}), origin="disk")
    assert snapshot.notebook["cells"][1] == {
        "cell_type": "code",
        "execution_count": 2,
        "metadata": {"jupyter_tracker": {"from_kernel_history": True}},
        "outputs": [],
        "source": ["b"],
    }


@pytest.mark.parametrize("origin", ["upload", "editor"])
def test_other_origins_append_nothing(origin: str) -> None:
    nb = notebook(code("a", 1))
    snapshot = prepare(body({"notebook": nb, "history": [[2, "b"]]}), origin=origin)
    assert snapshot.history_cells_added == 0
    assert len(snapshot.notebook["cells"]) == 1


def test_the_running_cell_counts_as_run_but_is_stored_as_sent() -> None:
    # Given the cell that is running (no execution_count yet) above a cell that ran as [5]
    nb = notebook(code("train()", None, id="run"), code("x", 5, id="x"))
    history = [[5, "x"], [7, "train(epochs=2)"]]
    # When prepared with that cell as the running one, count 7
    snapshot = prepare(
        body({"notebook": nb, "history": history}), origin="editor", running_cell=("run", 7)
    )
    # Then it is analysed as [7] (changed since it ran; ran after cell 2) ...
    assert [w["message"] for w in snapshot.warnings] == [
        "cell 2 ran before cell 1",
        "cell 1 changed after it ran",
    ]
    # ... and stored as it was sent
    assert snapshot.notebook["cells"][0]["execution_count"] is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "the body is not JSON: Expecting value: line 1 column 1 (char 0)"),
        (b"{", "the body is not JSON: "),
        (b"\xff\xfe\xfd", "the body is not JSON: "),
        (b"[]", 'the body must be a notebook object or {"notebook": ..., "history": [...]}'),
        (b"{}", "the notebook has no cells list"),
        (b'{"cells": {}}', "the notebook has no cells list"),
        (b'{"notebook": []}', "the notebook is not a JSON object"),
        (b'{"notebook": {"cells": []}, "extra": 1}', "unknown keys in the envelope: extra"),
        (b'{"cells": [], "metadata": []}', "the notebook's metadata is not an object"),
        (b'{"cells": [1]}', "cells[0] is not an object"),
        (b'{"cells": [{"source": ""}]}', "cells[0] has no cell_type string"),
        (
            b'{"cells": [{"cell_type": "code"}]}',
            "cells[0].source must be a string or a list of strings",
        ),
        (
            b'{"cells": [{"cell_type": "code", "source": ["a", 1]}]}',
            "cells[0].source must be a string or a list of strings",
        ),
        (
            b'{"cells": [{"cell_type": "code", "source": "", "execution_count": -1}]}',
            "cells[0].execution_count must be null or an integer >= 0",
        ),
        (
            b'{"cells": [{"cell_type": "code", "source": "", "execution_count": true}]}',
            "cells[0].execution_count must be null or an integer >= 0",
        ),
        (
            b'{"cells": [{"cell_type": "code", "source": "", "outputs": {}}]}',
            "cells[0].outputs is not a list",
        ),
        (
            b'{"cells": [{"cell_type": "code", "source": "", "outputs": [{}]}]}',
            "cells[0].outputs[0] has no output_type string",
        ),
        (
            b'{"cells": [{"cell_type": "code", "source": "", "outputs": [{"output_type": "x",'
            b' "data": []}]}]}',
            "cells[0].outputs[0].data is not an object",
        ),
        (
            b'{"cells": [{"cell_type": "code", "source": "", "outputs": [{"output_type": "stream",'
            b' "text": 3}]}]}',
            "cells[0].outputs[0].text must be a string or a list of strings",
        ),
        (
            b'{"cells": [{"cell_type": "markdown", "source": "", "attachments": {"a": 1}}]}',
            "cells[0].attachments must be an object of mime bundles",
        ),
        (
            b'{"notebook": {"cells": []}, "history": {}}',
            "history must be a list of [execution_count, source] pairs",
        ),
        (
            b'{"notebook": {"cells": []}, "history": [[1]]}',
            "history[0] is not an [execution_count, source] pair",
        ),
        (
            b'{"notebook": {"cells": []}, "history": [[1, "a"], ["2", "b"]]}',
            "history[1]: execution_count must be an integer >= 0",
        ),
        (
            b'{"notebook": {"cells": []}, "history": [[1, null]]}',
            "history[0]: source must be a string or a list of strings",
        ),
    ],
)
def test_bad_bodies_are_refused_with_a_message_naming_the_problem(raw: bytes, message: str) -> None:
    # Given a bad body  When it is prepared  Then a ValueError names the problem
    with pytest.raises(ValueError) as raised:
        prepare(raw, origin="upload")
    assert str(raised.value).startswith(message)
    if not message.endswith(": "):
        assert str(raised.value) == message


def test_an_unknown_origin_is_refused() -> None:
    with pytest.raises(ValueError) as raised:
        prepare(body(notebook()), origin="browser")
    assert str(raised.value) == "unknown origin 'browser': expected one of upload, editor, disk"


@pytest.mark.parametrize(
    ("running_cell", "message"),
    [
        (("a", -1), "the running cell's execution_count must be an integer >= 0"),
        (("a", "7"), "the running cell's execution_count must be an integer >= 0"),
        ((7, 7), "the running cell's id must be a string"),
    ],
)
def test_a_bad_running_cell_is_refused(running_cell: Any, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        prepare(body(notebook()), origin="editor", running_cell=running_cell)
    assert str(raised.value) == message
