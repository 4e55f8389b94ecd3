"""A checkpoint ready to store: canonical bytes, the notebook, its id and its warnings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .hidden_state import analyse_hidden_state, missing_history
from .identity import NOTEBOOK_ID_KEY, notebook_id
from .layout import canonical_bytes, split_lines
from .parse import ORIGINS, is_count, parse_body

__all__ = ["Snapshot", "prepare"]


@dataclass(frozen=True)
class Snapshot:
    """An uploaded notebook as the store keeps it.

    ``content`` is the canonical encoding of ``notebook`` (``json.loads(content) == notebook``);
    ``history_cells_added`` counts the code cells appended from the kernel's history.
    """

    content: bytes
    notebook: dict[str, Any]
    notebook_id: str | None
    warnings: list[dict[str, Any]]
    history_cells_added: int


def _uses_cell_ids(nb: dict[str, Any]) -> bool:
    minor = nb.get("nbformat_minor")
    newer = nb.get("nbformat") == 4 and isinstance(minor, int) and minor >= 5
    return newer or any("id" in cell for cell in nb["cells"])


def _append_history_cells(nb: dict[str, Any], history: dict[int, str]) -> int:
    """Append history code found in no cell as code cells marked ``from_kernel_history``."""
    missing = missing_history(nb["cells"], history)
    with_ids = _uses_cell_ids(nb)
    taken = {cell.get("id") for cell in nb["cells"]}
    for count in missing.values():
        cell: dict[str, Any] = {
            "cell_type": "code",
            "execution_count": count,
            "metadata": {NOTEBOOK_ID_KEY: {"from_kernel_history": True}},
            "outputs": [],
            "source": history[count],
        }
        if with_ids:
            cell_id, n = f"history-{count}", 1
            while cell_id in taken:
                cell_id, n = f"history-{count}-{n}", n + 1
            taken.add(cell_id)
            cell["id"] = cell_id
        nb["cells"].append(cell)
    return len(missing)


def _check_running_cell(
    running_cell: tuple[str | None, int | None] | None,
) -> tuple[str | None, int | None] | None:
    if running_cell is None:
        return None
    cell_id, count = running_cell
    if cell_id is not None and not isinstance(cell_id, str):
        raise ValueError("the running cell's id must be a string")
    if count is not None and not is_count(count):
        raise ValueError("the running cell's execution_count must be an integer >= 0")
    return cell_id, count


def prepare(
    body: bytes,
    *,
    origin: str,
    running_cell: tuple[str | None, int | None] | None = None,
) -> Snapshot:
    """Parse, check, analyse and canonicalise an uploaded checkpoint body.

    ``origin`` is ``upload``, ``editor`` or ``disk``; with ``disk`` the history's code that is in
    no cell is appended as code cells. ``running_cell`` is ``(cell_id, execution_count)`` of the
    cell that is running while the snapshot is taken. Raises ValueError on bad input.
    """
    if origin not in ORIGINS:
        raise ValueError(f"unknown origin {origin!r}: expected one of {', '.join(ORIGINS)}")
    running_cell = _check_running_cell(running_cell)
    nb, history = parse_body(body)
    # Warnings describe the checkpoint as stored: code appended from the history is in it, so
    # the cell that started a run from an unsaved notebook is not reported as deleted.
    added = _append_history_cells(nb, history) if origin == "disk" and history else 0
    warnings = analyse_hidden_state(nb["cells"], history, running_cell)
    split_lines(nb)
    return Snapshot(
        content=canonical_bytes(nb),
        notebook=nb,
        notebook_id=notebook_id(nb),
        warnings=warnings,
        history_cells_added=added,
    )
