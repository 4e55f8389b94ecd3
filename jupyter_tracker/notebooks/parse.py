"""Reading an uploaded checkpoint body: a notebook, or a notebook with the kernel's history.

Accepted bodies (UTF-8 JSON)::

    {"cells": [...], "metadata": {...}, ...}                   a notebook
    {"notebook": {...}, "history": [[count, source], ...]}     an envelope

Every problem raises :class:`ValueError` with a message naming it. A valid notebook comes back
with its multi-line fields joined into strings (``layout.join_lines``).
"""

from __future__ import annotations

import json
from typing import Any

from .layout import join_lines

__all__ = ["ORIGINS", "check_notebook", "parse_body", "parse_history"]

ORIGINS = ("upload", "editor", "disk")
"""Where a checkpoint comes from: a file upload, the live editor model, the file on disk."""

_ENVELOPE_KEYS = frozenset({"notebook", "history"})


def _is_text(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(line, str) for line in value)
    )


def is_count(value: Any) -> bool:
    """Whether ``value`` is an execution count: an integer >= 0 (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_output(where: str, output: Any) -> None:
    if not isinstance(output, dict):
        raise ValueError(f"{where} is not an object")
    if not isinstance(output.get("output_type"), str):
        raise ValueError(f"{where} has no output_type string")
    if "data" in output and not isinstance(output["data"], dict):
        raise ValueError(f"{where}.data is not an object")
    if "text" in output and not _is_text(output["text"]):
        raise ValueError(f"{where}.text must be a string or a list of strings")


def _check_cell(where: str, cell: Any) -> None:
    if not isinstance(cell, dict):
        raise ValueError(f"{where} is not an object")
    if not isinstance(cell.get("cell_type"), str):
        raise ValueError(f"{where} has no cell_type string")
    if not _is_text(cell.get("source")):
        raise ValueError(f"{where}.source must be a string or a list of strings")
    if "metadata" in cell and not isinstance(cell["metadata"], dict):
        raise ValueError(f"{where}.metadata is not an object")
    attachments = cell.get("attachments")
    if attachments is not None and not (
        isinstance(attachments, dict) and all(isinstance(b, dict) for b in attachments.values())
    ):
        raise ValueError(f"{where}.attachments must be an object of mime bundles")
    if cell["cell_type"] != "code":
        return
    count = cell.get("execution_count")
    if count is not None and not is_count(count):
        raise ValueError(f"{where}.execution_count must be null or an integer >= 0")
    outputs = cell.get("outputs", [])
    if not isinstance(outputs, list):
        raise ValueError(f"{where}.outputs is not a list")
    for j, output in enumerate(outputs):
        _check_output(f"{where}.outputs[{j}]", output)


def check_notebook(nb: Any) -> dict[str, Any]:
    """Validate ``nb`` as a notebook and join its multi-line fields (in place)."""
    if not isinstance(nb, dict):
        raise ValueError("the notebook is not a JSON object")
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise ValueError("the notebook has no cells list")
    if "metadata" in nb and not isinstance(nb["metadata"], dict):
        raise ValueError("the notebook's metadata is not an object")
    for i, cell in enumerate(cells):
        _check_cell(f"cells[{i}]", cell)
    join_lines(nb)
    return nb


def parse_history(value: Any) -> dict[int, str] | None:
    """``[[count, source], ...]`` as ``{count: source}`` (a repeated count: the last wins)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError("history must be a list of [execution_count, source] pairs")
    history: dict[int, str] = {}
    for i, entry in enumerate(value):
        if not isinstance(entry, list) or len(entry) != 2:
            raise ValueError(f"history[{i}] is not an [execution_count, source] pair")
        count, source = entry
        if not is_count(count):
            raise ValueError(f"history[{i}]: execution_count must be an integer >= 0")
        if not _is_text(source):
            raise ValueError(f"history[{i}]: source must be a string or a list of strings")
        history[count] = source if isinstance(source, str) else "".join(source)
    return history


def parse_body(body: bytes) -> tuple[dict[str, Any], dict[int, str] | None]:
    """The notebook (joined, validated) and the history (or None) of an uploaded body."""
    try:
        document = json.loads(body)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise ValueError(f"the body is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise ValueError(
            'the body must be a notebook object or {"notebook": ..., "history": [...]}'
        )
    if "cells" in document or "notebook" not in document:
        return check_notebook(document), None
    unknown = sorted(set(document) - _ENVELOPE_KEYS)
    if unknown:
        raise ValueError(f"unknown keys in the envelope: {', '.join(unknown)}")
    return check_notebook(document["notebook"]), parse_history(document.get("history"))
