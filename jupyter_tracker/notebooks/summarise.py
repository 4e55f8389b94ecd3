"""Big and image outputs stood in for by short hash stubs, so that diffs compare them by hash.

An output value is *summarised* when it is an image (any ``image/*`` mimetype) or larger than
:data:`SUMMARY_THRESHOLD` bytes of UTF-8 (any mimetype, or a stream's text). Its stub is a short
string that names its sha256 and size: equal values give equal stubs, different values different
stubs. Stubs exist only inside ``diff_notebooks``; nothing stores or returns them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "SUMMARY_THRESHOLD",
    "StubbedNotebook",
    "Summarised",
    "stub_notebook",
]

SUMMARY_THRESHOLD = 8 * 1024
"""Output values above this many bytes are compared by hash."""

STREAM_KEY = "text"
"""The summarised key of a stream output (its text); a display's keys are mimetypes."""


@dataclass(frozen=True)
class Summarised:
    """One output value compared by hash: its mimetype, size in bytes and why."""

    mime: str
    size: int
    reason: str


@dataclass(frozen=True)
class StubbedNotebook:
    """A copy of a notebook with stubs, and what each stub stands for.

    ``summarised[(cell, output)]`` maps the stubbed keys of that output (mimetypes, or
    :data:`STREAM_KEY`) to what they held.
    """

    notebook: dict[str, Any]
    summarised: dict[tuple[int, int], dict[str, Summarised]]


def _encoded(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _summarise(mime: str, value: Any) -> tuple[str, Summarised] | None:
    """The stub and description of ``value``, or None when it is compared as it is."""
    image = mime.startswith("image/")
    if not image and isinstance(value, str) and len(value) <= SUMMARY_THRESHOLD // 4:
        return None  # at most 4 bytes a character: certainly small
    data = _encoded(value)
    if not image and len(data) <= SUMMARY_THRESHOLD:
        return None
    reason = "image" if image else "larger than 8 KiB"
    digest = hashlib.sha256(data).hexdigest()
    return f"sha256:{digest} ({len(data)} bytes)", Summarised(mime, len(data), reason)


def _stub_output(output: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Summarised]]:
    found: dict[str, Summarised] = {}
    data = output.get("data")
    if isinstance(data, dict):
        stubbed_data = dict(data)
        for mime, value in data.items():
            summary = _summarise(mime, value)
            if summary is not None:
                stubbed_data[mime], found[mime] = summary
        if found:
            output = {**output, "data": stubbed_data}
    if output.get("output_type") == "stream" and isinstance(output.get(STREAM_KEY), str):
        summary = _summarise("text/plain", output[STREAM_KEY])
        if summary is not None:
            stub, found[STREAM_KEY] = summary
            output = {**output, STREAM_KEY: stub}
    return output, found


def stub_notebook(nb: dict[str, Any]) -> StubbedNotebook:
    """A copy of a joined notebook (``layout.join_lines``) with summarised values as stubs.

    The copy shares every part without stubs with ``nb``; ``nb`` is not changed.
    """
    summarised: dict[tuple[int, int], dict[str, Summarised]] = {}
    cells = []
    for i, cell in enumerate(nb["cells"]):
        outputs = cell.get("outputs")
        if not outputs:
            cells.append(cell)
            continue
        stubbed_outputs = []
        for j, output in enumerate(outputs):
            stubbed, found = _stub_output(output)
            stubbed_outputs.append(stubbed)
            if found:
                summarised[(i, j)] = found
        cells.append({**cell, "outputs": stubbed_outputs})
    return StubbedNotebook({**nb, "cells": cells}, summarised)
