"""Warnings about state a notebook's cells do not show: cells run out of order, edited after
they ran, or deleted after they ran.

A warning is a dict::

    {"kind": "out_of_order" | "edited_after_run" | "deleted_cell", "message": str,
     "cells": [1-based positions among all cells], "execution_counts": [int, ...]}

Warnings come grouped by kind in that order; within a kind, by cell position (out of order,
edited) or by execution count (deleted). Code is compared ignoring trailing whitespace on each
line and blank lines at either end, so a kernel's copy of a cell matches the cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["analyse_hidden_state", "code_key"]


def code_key(source: str | Sequence[str]) -> str:
    """The form in which two pieces of code are compared ("" for blank code)."""
    text = source if isinstance(source, str) else "".join(source)
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def _warning(kind: str, message: str, cells: list[int], counts: list[int]) -> dict[str, Any]:
    return {"kind": kind, "message": message, "cells": cells, "execution_counts": counts}


def _executed(
    cells: list[dict[str, Any]], running_cell: tuple[str | None, int | None] | None
) -> list[tuple[int, int, dict[str, Any]]]:
    """(1-based position, execution count, cell) of every code cell that ran."""
    running_id, running_count = running_cell or (None, None)
    executed = []
    for position, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        count = cell.get("execution_count")
        if running_count is not None and running_id is not None and cell.get("id") == running_id:
            count = running_count
        if isinstance(count, int):
            executed.append((position, count, cell))
    return executed


def _out_of_order(executed: list[tuple[int, int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """One warning per cell that ran before an earlier cell: the nearest such earlier cell.

    A stack of earlier cells with strictly decreasing counts finds it in O(n) overall.
    """
    warnings = []
    stack: list[tuple[int, int]] = []  # (count, position), counts strictly decreasing
    for position, count, _ in executed:
        while stack and stack[-1][0] <= count:
            stack.pop()
        if stack:
            later_count, later_position = stack[-1]
            warnings.append(
                _warning(
                    "out_of_order",
                    f"cell {position} ran before cell {later_position}",
                    [position, later_position],
                    [count, later_count],
                )
            )
        stack.append((count, position))
    return warnings


def _edited(
    executed: list[tuple[int, int, dict[str, Any]]], history: dict[int, str]
) -> list[dict[str, Any]]:
    warnings = []
    for position, count, cell in executed:
        ran = history.get(count)
        if ran is not None and code_key(ran) != code_key(cell.get("source", "")):
            warnings.append(
                _warning(
                    "edited_after_run",
                    f"cell {position} changed after it ran",
                    [position],
                    [count],
                )
            )
    return warnings


def missing_history(
    cells: list[dict[str, Any]], history: dict[int, str], counts: set[int] | None = None
) -> dict[str, int]:
    """History code found in no code cell: {code_key: latest count}, in ascending count order.

    Blank code is skipped; when ``counts`` is given, entries whose count a cell shows are too.
    """
    in_cells = {code_key(c.get("source", "")) for c in cells if c.get("cell_type") == "code"}
    latest: dict[str, int] = {}
    for count in sorted(history):
        key = code_key(history[count])
        if key and key not in in_cells and (counts is None or count not in counts):
            latest.pop(key, None)
            latest[key] = count
    return dict(sorted(latest.items(), key=lambda item: item[1]))


def _deleted(
    cells: list[dict[str, Any]],
    executed: list[tuple[int, int, dict[str, Any]]],
    history: dict[int, str],
) -> list[dict[str, Any]]:
    counts = {count for _, count, _ in executed}
    return [
        _warning(
            "deleted_cell", f"code that ran as [{count}] is no longer in the notebook", [], [count]
        )
        for count in missing_history(cells, history, counts).values()
    ]


def analyse_hidden_state(
    cells: list[dict[str, Any]],
    history: dict[int, str] | None,
    running_cell: tuple[str | None, int | None] | None = None,
) -> list[dict[str, Any]]:
    """The hidden-state warnings of ``cells`` given the kernel's ``history`` ({count: code}).

    ``running_cell`` is ``(cell_id, execution_count)`` of a cell still running: it counts as
    having run with that count, whatever its ``execution_count`` says. Without a history only
    the order of execution is checked.
    """
    executed = _executed(cells, running_cell)
    warnings = _out_of_order(executed)
    if history:
        warnings += _edited(executed, history)
        warnings += _deleted(cells, executed, history)
    return warnings
