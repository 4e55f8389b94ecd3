"""nbdime diffs of notebooks in which big and image outputs are compared by hash.

nbdime text-diffs every output it aligns, which takes minutes on notebooks full of plots and
logs. Here nbdime diffs copies in which those outputs are hash stubs (``summarise.py``); the
diff is then mapped back onto the real notebooks:

- values the diff carries (added cells and outputs, replaced values) are the real remote ones;
- a patch of an output that touches a summarised value becomes the whole remote output
  replacing the base one (an ``addrange`` and a ``removerange`` at its index), never a patch
  inside a stub;
- every other entry is nbdime's own.

So ``nbdime.patch(result.base, result.diff) == remote`` (both joined, as nbformat reads them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import nbformat
from nbdime.diff_format import DiffEntry

from .alignment import diff_aligned
from .parse import check_notebook
from .summarise import STREAM_KEY, Summarised, stub_notebook

__all__ = ["NotebookDiff", "diff_notebooks"]

Entry = dict[str, Any]
Stubs = dict[tuple[int, int], dict[str, Summarised]]


@dataclass(frozen=True)
class NotebookDiff:
    """``diff`` turns ``base`` into the remote notebook (nbdime's diff format).

    ``base`` is the base notebook with multi-line strings joined. ``summarised`` lists every
    output value of the remote notebook that was compared by hash:
    ``{"cell": i, "output": j, "mime": ..., "size": bytes, "reason": ...}`` (0-based indexes
    into the remote notebook), ordered by cell, output and mimetype.
    """

    base: dict[str, Any]
    diff: list[Entry]
    summarised: list[dict[str, Any]]


def _working_copy(nb: Any) -> dict[str, Any]:
    """A copy down to the output values, validated, with multi-line strings joined."""
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("a notebook must be a JSON object with a cells list")
    cells = []
    for cell in nb["cells"]:
        if isinstance(cell, dict):
            cell = dict(cell)
            if isinstance(cell.get("outputs"), list):
                cell["outputs"] = [_copy_output(o) for o in cell["outputs"]]
            if isinstance(cell.get("attachments"), dict):
                cell["attachments"] = {
                    k: dict(v) if isinstance(v, dict) else v for k, v in cell["attachments"].items()
                }
        cells.append(cell)
    return check_notebook({**nb, "cells": cells})


def _copy_output(output: Any) -> Any:
    if not isinstance(output, dict):
        return output
    output = dict(output)
    if isinstance(output.get("data"), dict):
        output["data"] = dict(output["data"])
    return output


def _entry(e: Entry, **changes: Any) -> Entry:
    """A copy of diff entry ``e`` with ``changes`` (nbdime's ``patch`` wants DiffEntry)."""
    entry: Entry = DiffEntry(e, **changes)
    return entry


def _node(nb: dict[str, Any]) -> Any:
    return nbformat.from_dict(nb)  # type: ignore[no-untyped-call]


def _walk(diff: list[Entry]) -> Iterator[tuple[Entry, int]]:
    """Each entry of a sequence diff with the remote index it starts at (as ``patch_list``)."""
    take = remote = 0
    for e in diff:
        key = e["key"]
        if key > take:
            remote += key - take
            take = key
        yield e, remote
        if e["op"] == "addrange":
            remote += len(e["valuelist"])
        elif e["op"] == "removerange":
            take = max(take, key + e["length"])
        elif e["op"] == "patch":
            take = max(take, key + 1)
            remote += 1


def _merged(diff: list[Entry]) -> list[Entry]:
    """Adjacent addranges at one key, and adjacent contiguous removeranges, as one entry."""
    out: list[Entry] = []
    for e in diff:
        last = out[-1] if out else None
        if last and last["op"] == e["op"] == "addrange" and last["key"] == e["key"]:
            out[-1] = _entry(last, valuelist=last["valuelist"] + e["valuelist"])
        elif (
            last
            and last["op"] == e["op"] == "removerange"
            and last["key"] + last["length"] == e["key"]
        ):
            out[-1] = _entry(last, length=last["length"] + e["length"])
        else:
            out.append(e)
    return out


def _real_values(diff: list[Entry], remote: dict[str, Any]) -> list[Entry]:
    """A mapping diff whose added and replaced values are taken from the real ``remote``."""
    return [_entry(e, value=remote[e["key"]]) if e["op"] in ("add", "replace") else e for e in diff]


def _touches(output_diff: list[Entry], stubbed: set[str]) -> bool:
    """Whether a patch of an output changes any of its ``stubbed`` keys."""
    for e in output_diff:
        if e["key"] == STREAM_KEY and STREAM_KEY in stubbed:
            return True
        touches_data = e["op"] != "patch" or any(sub["key"] in stubbed for sub in e["diff"])
        if e["key"] == "data" and stubbed - {STREAM_KEY} and touches_data:
            return True
    return False


class _Restorer:
    """Maps a diff of the stubbed notebooks back onto the real ones."""

    def __init__(self, base: dict[str, Any], remote: dict[str, Any], stubs: Stubs, rstubs: Stubs):
        self.base_cells: list[dict[str, Any]] = base["cells"]
        self.remote_cells: list[dict[str, Any]] = remote["cells"]
        self.base_stubs = stubs
        self.remote_stubs = rstubs

    def notebook(self, diff: list[Entry], remote: dict[str, Any]) -> list[Entry]:
        out = []
        for e in _real_values(diff, remote):
            if e["key"] == "cells" and e["op"] == "patch":
                e = _entry(e, diff=self.cells(e["diff"]))
            out.append(e)
        return out

    def cells(self, diff: list[Entry]) -> list[Entry]:
        out: list[Entry] = []
        for e, r in _walk(diff):
            if e["op"] == "addrange":
                e = _entry(e, valuelist=self.remote_cells[r : r + len(e["valuelist"])])
            elif e["op"] == "patch":
                e = _entry(e, diff=self.cell(e["diff"], e["key"], r))
            out.append(e)
        return out

    def cell(self, diff: list[Entry], b: int, r: int) -> list[Entry]:
        out = []
        for e in _real_values(diff, self.remote_cells[r]):
            if e["key"] == "outputs" and e["op"] == "patch":
                e = _entry(e, diff=self.outputs(e["diff"], b, r))
            out.append(e)
        return out

    def outputs(self, diff: list[Entry], b: int, r: int) -> list[Entry]:
        real = self.remote_cells[r]["outputs"]
        out: list[Entry] = []
        for e, ro in _walk(diff):
            if e["op"] == "addrange":
                e = _entry(e, valuelist=real[ro : ro + len(e["valuelist"])])
            elif e["op"] == "patch":
                stubbed = set(self.base_stubs.get((b, e["key"]), ())) | set(
                    self.remote_stubs.get((r, ro), ())
                )
                if stubbed and _touches(e["diff"], stubbed):
                    out.append(_entry({}, op="addrange", key=e["key"], valuelist=[real[ro]]))
                    e = _entry({}, op="removerange", key=e["key"], length=1)
                else:
                    e = _entry(e, diff=self.output(e["diff"], real[ro]))
            out.append(e)
        return _merged(out)

    def output(self, diff: list[Entry], remote: dict[str, Any]) -> list[Entry]:
        out = []
        for e in _real_values(diff, remote):
            if e["key"] == "data" and e["op"] == "patch":
                e = _entry(e, diff=_real_values(e["diff"], remote["data"]))
            out.append(e)
        return out


def diff_notebooks(base: dict[str, Any], remote: dict[str, Any]) -> NotebookDiff:
    """The nbdime diff from ``base`` to ``remote``, big and image outputs compared by hash.

    Raises ValueError when either is not a notebook. Neither argument is changed.
    """
    base_nb, remote_nb = _working_copy(base), _working_copy(remote)
    base_stubbed, remote_stubbed = stub_notebook(base_nb), stub_notebook(remote_nb)
    # nbdime reads outputs by attribute (``output.data``): it wants NotebookNodes.
    raw = diff_aligned(_node(base_stubbed.notebook), _node(remote_stubbed.notebook))
    restorer = _Restorer(base_nb, remote_nb, base_stubbed.summarised, remote_stubbed.summarised)
    summarised = [
        {"cell": i, "output": j, "mime": s.mime, "size": s.size, "reason": s.reason}
        for (i, j), found in sorted(remote_stubbed.summarised.items())
        for s in sorted(found.values(), key=lambda s: s.mime)
    ]
    return NotebookDiff(base_nb, restorer.notebook(raw, remote_nb), summarised)
