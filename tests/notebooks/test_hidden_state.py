"""Hidden-state warnings: out of order, edited after run, deleted after run."""

from __future__ import annotations

from typing import Any

from nbfactory import code, markdown

from jupyter_tracker.notebooks import analyse_hidden_state


def out_of_order(cell: int, later: int, count: int, later_count: int) -> dict[str, Any]:
    return {
        "kind": "out_of_order",
        "message": f"cell {cell} ran before cell {later}",
        "cells": [cell, later],
        "execution_counts": [count, later_count],
    }


def edited(cell: int, count: int) -> dict[str, Any]:
    return {
        "kind": "edited_after_run",
        "message": f"cell {cell} changed after it ran",
        "cells": [cell],
        "execution_counts": [count],
    }


def deleted(count: int) -> dict[str, Any]:
    return {
        "kind": "deleted_cell",
        "message": f"code that ran as [{count}] is no longer in the notebook",
        "cells": [],
        "execution_counts": [count],
    }


def test_cells_run_top_to_bottom_give_no_warning() -> None:
    cells = [code("a", 1), markdown("m"), code("b", None), code("c", 2), code("d", 7)]
    history = {1: "a", 2: "c", 7: "d"}
    assert analyse_hidden_state(cells, history) == []


def test_each_cell_that_ran_before_an_earlier_cell_is_named_once() -> None:
    # Given counts 5, 6, (markdown), (not run), 1, 2, 6 at positions 1..7
    cells = [code("a", 5), code("b", 6), markdown("m"), code("c"), code("d", 1)]
    cells += [code("e", 2), code("f", 6)]
    # When analysed without history
    warnings = analyse_hidden_state(cells, None)
    # Then each out-of-order cell names the nearest earlier cell that ran after it
    assert warnings == [out_of_order(5, 2, 1, 6), out_of_order(6, 2, 2, 6)]


def test_a_cell_rerun_at_the_end_is_reported_by_the_cells_below_it() -> None:
    # Given cell 1 re-run last
    cells = [code("a", 9), code("b", 2), code("c", 3)]
    # Then
    assert analyse_hidden_state(cells, {}) == [out_of_order(2, 1, 2, 9), out_of_order(3, 1, 3, 9)]


def test_a_reversed_notebook_gives_one_warning_per_cell() -> None:
    # Given 5000 cells run bottom to top
    n = 5000
    cells = [code(f"x{i}", n - i) for i in range(n)]
    # When analysed  Then each cell below the first names the one just above it
    warnings = analyse_hidden_state(cells, None)
    assert len(warnings) == n - 1
    assert warnings[0] == out_of_order(2, 1, n - 1, n)
    assert warnings[-1] == out_of_order(n, n - 1, 1, 2)


def test_code_changed_after_it_ran_is_reported() -> None:
    # Given cells whose history differs only in trailing whitespace, or really differs
    cells = [
        code("a = 1\n", 1),
        code(["b = 2  \n", "\n"], 2),
        code("c = 3\n", 3),
        code("d = 4", 4),
    ]
    history = {1: "a = 1", 2: "\nb = 2\n", 3: "c = 30\n"}
    # When analysed  Then only the real change is reported
    assert analyse_hidden_state(cells, history) == [edited(3, 3)]


def test_code_no_longer_in_the_notebook_is_reported_by_its_latest_count() -> None:
    # Given history with: code still in a cell (rerun elsewhere), blank code, code whose count
    # a cell shows, and deleted code run twice
    cells = [code("keep()", 4), code("new()", 6)]
    history = {1: "keep()", 2: "", 3: "old()", 4: "keep()", 5: "old()\n", 6: "renamed()"}
    history[7] = "  \n"
    history[8] = "other()"
    # When analysed
    warnings = analyse_hidden_state(cells, history)
    # Then: cell 2 changed since [6]; old() (latest [5]) and other() [8] are gone
    assert warnings == [edited(2, 6), deleted(5), deleted(8)]


def test_the_running_cell_counts_with_its_given_count() -> None:
    # Given a running cell without execution_count above a cell that ran as [3]
    cells = [code("now()", None, id="r"), code("x", 3, id="x")]
    # When analysed as running with count 4  Then cell 2 ran before it
    assert analyse_hidden_state(cells, {3: "x", 4: "now()"}, ("r", 4)) == [out_of_order(2, 1, 3, 4)]
    # And an unknown running cell changes nothing
    assert analyse_hidden_state(cells, {3: "x"}, ("missing", 4)) == []
    assert analyse_hidden_state(cells, {3: "x"}, (None, 4)) == []


def test_warnings_are_grouped_by_kind() -> None:
    cells = [code("a", 3), code("b", 1)]
    history = {1: "b2", 2: "gone", 3: "a"}
    kinds = [w["kind"] for w in analyse_hidden_state(cells, history)]
    assert kinds == ["out_of_order", "edited_after_run", "deleted_cell"]
