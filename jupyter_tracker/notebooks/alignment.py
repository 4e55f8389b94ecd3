"""nbdime's notebook diff with text comparisons that stay fast on long texts.

To align cells and outputs, nbdime compares texts with difflib's character ratio, whose cost
grows with the square of the length: two 7 KB DataFrame tables that differ in a third of their
rows take about 2 s, once per pair of outputs it tries. Here texts longer than
:data:`LONG_TEXT` characters are compared line by line instead (the share of characters in
matching lines); shorter ones exactly as nbdime does. Everything else is nbdime's: its differs,
its predicates' rules, its diff format; only cells without ids are first aligned by equal
sources (see :func:`_cell_same`). Outputs above 8 KiB never get here (``summarise.py``).
"""

from __future__ import annotations

import operator
from difflib import SequenceMatcher
from typing import Any

from nbdime.diffing import notebooks as nbdime_notebooks
from nbdime.diffing.config import DiffConfig
from nbdime.diffing.generic import compare_strings_approximate, diff
from nbdime.utils import defaultdict2

__all__ = ["LONG_TEXT", "diff_aligned", "similar_text"]

LONG_TEXT = 1000
"""Texts longer than this many characters are compared line by line."""

# Thresholds and length limits of nbdime's predicates (nbdime/diffing/notebooks.py).
_APPROXIMATE = 0.7
_STRICT = 0.95


def _similar_lines(x: str, y: str, threshold: float) -> bool:
    lines = x.splitlines(True)
    matcher = SequenceMatcher(None, lines, y.splitlines(True), autojunk=False)
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return False
    blocks = matcher.get_matching_blocks()
    same = sum(len(line) for m in blocks for line in lines[m.a : m.a + m.size])
    return 2 * same / (len(x) + len(y)) > threshold


def similar_text(x: Any, y: Any, *, strict: bool) -> bool:
    """nbdime's ``compare_text_approximate`` (or ``_strict``), line by line on long texts."""
    x = "".join(x) if isinstance(x, list) else x
    y = "".join(y) if isinstance(y, list) else y
    if x == y:
        return True
    if bool(x) != bool(y):
        return False
    if not strict and len(x) < 10 and len(y) < 10:
        return True  # nbdime aligns tiny texts such as a single number
    threshold = _STRICT if strict else _APPROXIMATE
    if len(x) > LONG_TEXT or len(y) > LONG_TEXT:
        return _similar_lines(x, y, threshold)
    return bool(compare_strings_approximate(x, y, threshold=threshold))


def _long_texts(output: Any) -> list[str]:
    data = output.get("data")
    if not isinstance(data, dict):
        return []
    return [m for m, v in data.items() if isinstance(v, str) and len(v) > LONG_TEXT]


def _output_compare(nbdime_compare: Any, *, strict: bool) -> Any:
    """nbdime's output predicate, with long mime texts compared by :func:`similar_text`."""

    def compare(x: Any, y: Any) -> bool:
        long = set(_long_texts(x)) | set(_long_texts(y))
        if not long:
            return bool(nbdime_compare(x, y))
        xd, yd = x.get("data"), y.get("data")
        if x["output_type"] != y["output_type"] or set(xd) != set(yd):
            return False
        for mime in long:
            if not (isinstance(xd[mime], str) and isinstance(yd[mime], str)):
                return False
            if not mime.startswith("text/") and xd[mime] != yd[mime]:
                return False
            if not similar_text(xd[mime], yd[mime], strict=strict):
                return False
        rest_x = {**x, "data": {m: "" if m in long else v for m, v in xd.items()}}
        rest_y = {**y, "data": {m: "" if m in long else v for m, v in yd.items()}}
        return bool(nbdime_compare(rest_x, rest_y))

    return compare


_output_approximate = _output_compare(nbdime_notebooks.compare_output_approximate, strict=False)
_output_strict = _output_compare(nbdime_notebooks.compare_output_strict, strict=True)


def _cell_approximate(x: Any, y: Any) -> bool:
    return bool(
        x["cell_type"] == y["cell_type"] and similar_text(x["source"], y["source"], strict=False)
    )


def _cell_moderate(x: Any, y: Any) -> bool:
    if not _cell_approximate(x, y):
        return False
    if x["cell_type"] != "code":
        return True
    xo, yo = x.get("outputs") or [], y.get("outputs") or []
    if bool(xo) != bool(yo):
        return False
    outputs = CONFIG.differs["/cells/*/outputs"](xo, yo, path="/cells/*/outputs", config=CONFIG)
    return all(e["op"] == "patch" for e in outputs)


def _cell_strict(x: Any, y: Any) -> bool:
    if x["cell_type"] != y["cell_type"] or not similar_text(x["source"], y["source"], strict=True):
        return False
    if x["cell_type"] != "code":
        return True
    xo, yo = x.get("outputs") or [], y.get("outputs") or []
    return len(xo) == len(yo) and all(_output_strict(a, b) for a, b in zip(xo, yo, strict=True))


def _cell_same(x: Any, y: Any) -> bool:
    """nbdime's first alignment (same cell id), and for cells without ids: the same source.

    Without ids nbdime starts from its strict predicate over every pair of cells; aligning
    unchanged sources first leaves it only the edited stretches.
    """
    if "id" in x and "id" in y:
        return bool(x["id"] == y["id"])
    if "id" in x or "id" in y:
        return False
    return bool(x["cell_type"] == y["cell_type"] and x["source"] == y["source"])


CONFIG = DiffConfig(
    predicates=defaultdict2(
        lambda: [operator.__eq__],
        {
            "/cells": [
                _cell_approximate,
                _cell_moderate,
                _cell_strict,
                _cell_same,
            ],
            "/cells/*/outputs": [_output_approximate, _output_strict],
        },
    ),
    differs=nbdime_notebooks.notebook_differs,
    atomic_paths={"/cells/*/id": True},
)


def diff_aligned(a: Any, b: Any) -> list[Any]:
    """``nbdime.diff_notebooks(a, b)`` with :data:`CONFIG` (NotebookNodes in, nbdime diff out)."""
    return list(diff(a, b, path="", config=CONFIG))
