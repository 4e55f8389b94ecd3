"""``diff_notebooks``: nbdime diffs in which big and image outputs are compared by hash."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import nbdime
import nbformat
import pytest
from nbfactory import code, display, markdown, notebook, stream

from jupyter_tracker.notebooks import NotebookDiff, diff_notebooks

BIG = "line of a long training log\n" * 300  # 8,400 bytes
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5Er"
    "kJggg==\n"
)


def figure(png: str = PNG) -> dict[str, Any]:
    return display({"image/png": png, "text/plain": "<Figure size 640x480 with 1 Axes>"})


def assert_no_stub(value: Any) -> None:
    """No hash stub anywhere in ``value``."""
    text = json.dumps(value)
    assert "sha256:" not in text


def round_trips(base: dict[str, Any], remote: dict[str, Any]) -> NotebookDiff:
    result = diff_notebooks(base, remote)
    assert nbdime.patch(result.base, result.diff) == diff_notebooks(remote, remote).base
    assert_no_stub(result.diff)
    return result


def test_identical_notebooks_diff_to_nothing_and_list_what_was_hashed() -> None:
    # Given one notebook with a plot and a long log
    nb = notebook(code("plot()", 1, [figure(), stream(BIG)], id="a"), markdown("m", id="b"))
    # When diffed with itself
    result = diff_notebooks(nb, copy.deepcopy(nb))
    # Then the diff is empty and both hashed values are listed
    assert result.diff == []
    assert result.base == nb
    assert result.summarised == [
        {"cell": 0, "output": 0, "mime": "image/png", "size": len(PNG), "reason": "image"},
        {"cell": 0, "output": 1, "mime": "text/plain", "size": 8400, "reason": "larger than 8 KiB"},
    ]


def test_a_changed_image_replaces_its_whole_output() -> None:
    # Given a plot redrawn between base and remote
    base = notebook(code("plot()", 1, [stream("hi\n"), figure()], id="a"))
    remote = copy.deepcopy(base)
    remote["cells"][0]["outputs"][1]["data"]["image/png"] = PNG.replace("A", "B")
    # When diffed
    result = round_trips(base, remote)
    # Then the output is removed and the real remote output added in its place
    assert result.diff == [
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
                            "key": "outputs",
                            "diff": [
                                {
                                    "op": "addrange",
                                    "key": 1,
                                    "valuelist": [remote["cells"][0]["outputs"][1]],
                                },
                                {"op": "removerange", "key": 1, "length": 1},
                            ],
                        }
                    ],
                }
            ],
        }
    ]


def test_a_changed_long_log_is_replaced_whole_never_text_patched() -> None:
    # Given a long log with one more line in remote
    base = notebook(code("train()", 1, [stream(BIG)], id="a"))
    remote = copy.deepcopy(base)
    remote["cells"][0]["outputs"][0]["text"] = BIG + "done\n"
    # When diffed
    result = round_trips(base, remote)
    # Then the output is replaced whole by the real remote one
    outputs_diff = result.diff[0]["diff"][0]["diff"][0]["diff"]
    assert outputs_diff == [
        {"op": "addrange", "key": 0, "valuelist": [remote["cells"][0]["outputs"][0]]},
        {"op": "removerange", "key": 0, "length": 1},
    ]
    assert result.summarised == [
        {"cell": 0, "output": 0, "mime": "text/plain", "size": 8405, "reason": "larger than 8 KiB"}
    ]


def test_a_small_change_beside_an_unchanged_image_stays_a_patch() -> None:
    # Given a figure whose image is unchanged but whose text/plain and metadata changed
    base = notebook(code("plot()", 1, [figure()], id="a"))
    remote = copy.deepcopy(base)
    remote["cells"][0]["outputs"][0]["data"]["text/plain"] = "<Figure size 640x480 with 2 Axes>"
    remote["cells"][0]["outputs"][0]["metadata"] = {"needs_background": "light"}
    # When diffed
    result = round_trips(base, remote)
    # Then the output is patched (the image is not touched)
    output_diff = result.diff[0]["diff"][0]["diff"][0]["diff"][0]
    assert output_diff["op"] == "patch"
    assert output_diff["key"] == 0
    assert [e["key"] for e in output_diff["diff"]] == ["data", "metadata"]
    assert [e["key"] for e in output_diff["diff"][0]["diff"]] == ["text/plain"]


def test_without_summarised_outputs_the_diff_is_nbdimes() -> None:
    # Given notebooks with small outputs only, edited, reordered, with cells added and removed
    base = notebook(
        code("a = 1\nb = 2\n", 1, [stream("1\n2\n")], id="a"),
        markdown("# Title\n", id="m"),
        code("print(b)", 2, [display({"text/plain": "2", "text/html": "<b>2</b>"})], id="b"),
        code("old()", 3, id="c"),
    )
    remote = copy.deepcopy(base)
    remote["cells"][0]["source"] = "a = 1\nb = 3\n"
    remote["cells"][0]["outputs"][0]["text"] = "1\n3\n"
    remote["cells"][2]["outputs"][0]["data"]["text/plain"] = "3"
    del remote["cells"][3]
    remote["cells"].insert(1, code("new()", 4, [stream("new\n")], id="n"))
    # When diffed
    result = round_trips(base, remote)
    # Then the diff is exactly what nbdime itself gives
    expected = nbdime.diff_notebooks(
        nbformat.from_dict(copy.deepcopy(base)),  # type: ignore[no-untyped-call]
        nbformat.from_dict(copy.deepcopy(remote)),  # type: ignore[no-untyped-call]
    )
    assert result.diff == expected
    assert result.summarised == []


def test_stored_split_lines_are_joined_in_base() -> None:
    # Given notebooks as stored: multi-line strings split into lines
    base = notebook(code(["x = 1\n", "y = 2"], 1, [stream(["a\n", "b\n"])], id="a"))
    remote = notebook(code(["x = 1\n", "y = 3"], 1, [stream(["a\n", "c\n"])], id="a"))
    # When diffed
    result = round_trips(base, remote)
    # Then base comes back joined, as nbformat reads it, and the diff applies to it
    assert result.base == notebook(code("x = 1\ny = 2", 1, [stream("a\nb\n")], id="a"))
    assert nbdime.patch(result.base, result.diff) == notebook(
        code("x = 1\ny = 3", 1, [stream("a\nc\n")], id="a")
    )


def test_the_size_threshold_is_8_kib_of_utf8() -> None:
    # Given outputs of 8192 bytes, 8193 bytes, 2731 three-byte characters (8193 bytes),
    # a JSON value above 8 KiB and an SVG image
    values = {
        "text/plain": "x" * 8192,
        "text/html": "x" * 8193,
        "text/markdown": "€" * 2731,
        "application/json": {"values": list(range(2000))},
        "image/svg+xml": "<svg/>",
    }
    nb = notebook(code("show()", 1, [display(values)], id="a"))
    # When diffed  Then all but the first are compared by hash, sizes in bytes
    json_size = len(json.dumps(values["application/json"], sort_keys=True).encode())
    assert diff_notebooks(nb, nb).summarised == [
        {"cell": 0, "output": 0, "mime": m, "size": s, "reason": r}
        for m, s, r in [
            ("application/json", json_size, "larger than 8 KiB"),
            ("image/svg+xml", 6, "image"),
            ("text/html", 8193, "larger than 8 KiB"),
            ("text/markdown", 8193, "larger than 8 KiB"),
        ]
    ]


def test_indexes_in_summarised_are_those_of_the_remote_notebook() -> None:
    # Given a cell with a plot inserted at the top of remote
    base = notebook(code("a", 1, [figure()], id="a"))
    remote = notebook(code("b", 2, [stream("x\n"), figure(PNG + "=")], id="b"), base["cells"][0])
    # When diffed
    result = round_trips(base, remote)
    # Then the inserted cell carries its real image and the indexes are remote ones
    assert result.diff[0]["diff"][0] == {
        "op": "addrange",
        "key": 0,
        "valuelist": [remote["cells"][0]],
    }
    assert [(s["cell"], s["output"]) for s in result.summarised] == [(0, 1), (1, 0)]


def test_the_arguments_are_not_changed() -> None:
    base = notebook(code(["a\n", "b"], 1, [stream(BIG), figure()], id="a"))
    remote = notebook(code("a\nc", 2, [stream(BIG + "x"), figure(PNG + "=")], id="a"))
    saved = copy.deepcopy((base, remote))
    round_trips(base, remote)
    assert (base, remote) == saved


@pytest.mark.parametrize(
    "bad", [[], {"cells": None}, {"metadata": {}}, {"cells": [{"cell_type": "code"}]}]
)
def test_a_non_notebook_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError):
        diff_notebooks(bad, notebook())
    with pytest.raises(ValueError):
        diff_notebooks(notebook(), bad)


def _random_output(rng: random.Random) -> dict[str, Any]:
    kind = rng.randrange(4)
    if kind == 0:
        return stream(rng.choice(["ok\n", "epoch 1\nepoch 2\n", BIG, BIG + "tail\n"]))
    if kind == 1:
        return figure(rng.choice([PNG, PNG + "=", PNG.lower()]))
    if kind == 2:
        table = "".join(f"<tr><td>{rng.randrange(3)}</td></tr>\n" for _ in range(80))
        return display({"text/html": table, "text/plain": "df"})
    return display({"text/plain": rng.choice(["1", "2", "x" * 9000, "y" * 9000])})


def _random_notebook(rng: random.Random, with_ids: bool) -> dict[str, Any]:
    cells = []
    for i in range(rng.randrange(1, 9)):
        outputs = [_random_output(rng) for _ in range(rng.randrange(4))]
        extra = {"id": f"c{rng.randrange(12)}-{i}"} if with_ids else {}
        cells.append(code(rng.choice(["a()", "b()\nc()", "plot()"]), i + 1, outputs, **extra))
    return notebook(*cells, minor=5 if with_ids else 4)


def _mutated(rng: random.Random, nb: dict[str, Any]) -> dict[str, Any]:
    nb = copy.deepcopy(nb)
    cells = nb["cells"]
    for cell in cells:
        for j in range(len(cell["outputs"])):
            if rng.random() < 0.4:
                cell["outputs"][j] = _random_output(rng)
        if rng.random() < 0.2:
            cell["outputs"].insert(0, _random_output(rng))
    if cells and rng.random() < 0.3:
        del cells[rng.randrange(len(cells))]
    if rng.random() < 0.3:
        cells.insert(
            rng.randrange(len(cells) + 1), copy.deepcopy(_random_notebook(rng, False)["cells"][0])
        )
    return nb


@pytest.mark.parametrize("with_ids", [True, False])
def test_random_edits_round_trip_exactly(with_ids: bool) -> None:
    # Given many random pairs of output-heavy notebooks
    rng = random.Random(6)
    for _ in range(150):
        base = _random_notebook(rng, with_ids)
        remote = _mutated(rng, base)
        # When diffed  Then patching base gives remote exactly, with no stub in the diff
        round_trips(base, remote)
