"""nbformat's two layouts of multi-line text, and the canonical bytes of a notebook.

A notebook's multi-line strings (cell sources, stream text, ``text/*`` outputs...) may be a
string or a list of lines; nbformat reads them joined and writes them split. The tracker analyses
and diffs notebooks *joined* and stores them *split*, as nbformat writes them, so a notebook saved
by Jupyter and the same notebook sent by the browser give the same bytes.

Everything here works in place on trusted shapes: callers validate first (``parse.py``).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "canonical_bytes",
    "is_json_mime",
    "join_lines",
    "joined",
    "split_lines",
]

# Non-text mimetypes whose strings nbformat splits into lines when writing.
_SPLIT_MIMES = frozenset({"application/javascript", "image/svg+xml"})


def is_json_mime(mime: str) -> bool:
    """Whether a mimetype's value is JSON data (never joined or split)."""
    return mime == "application/json" or (
        mime.startswith("application/") and mime.endswith("+json")
    )


def joined(value: Any) -> Any:
    """A list of strings joined into one string; anything else unchanged."""
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    return value


def _join_bundle(bundle: dict[str, Any]) -> None:
    for mime, value in bundle.items():
        if isinstance(value, list) and not is_json_mime(mime):
            bundle[mime] = joined(value)


def _split_bundle(bundle: dict[str, Any]) -> None:
    for mime, value in bundle.items():
        if isinstance(value, str) and (mime.startswith("text/") or mime in _SPLIT_MIMES):
            bundle[mime] = value.splitlines(True)


def join_lines(nb: dict[str, Any]) -> None:
    """Join every multi-line field of ``nb`` into one string (nbformat's ``rejoin_lines``)."""
    for cell in nb["cells"]:
        cell["source"] = joined(cell["source"])
        for bundle in (cell.get("attachments") or {}).values():
            _join_bundle(bundle)
        for output in cell.get("outputs") or ():
            if "data" in output:
                _join_bundle(output["data"])
            if "text" in output:
                output["text"] = joined(output["text"])


def split_lines(nb: dict[str, Any]) -> None:
    """Split multi-line fields of a joined ``nb`` into lines (nbformat's ``split_lines``)."""
    for cell in nb["cells"]:
        cell["source"] = cell["source"].splitlines(True)
        for bundle in (cell.get("attachments") or {}).values():
            _split_bundle(bundle)
        if cell["cell_type"] != "code":
            continue
        for output in cell.get("outputs") or ():
            kind = output.get("output_type")
            if kind in ("execute_result", "display_data"):
                _split_bundle(output.get("data") or {})
            elif kind == "stream" and isinstance(output.get("text"), str):
                output["text"] = output["text"].splitlines(True)


def canonical_bytes(nb: dict[str, Any]) -> bytes:
    """The stored form: nbformat's JSON layout, one trailing newline, UTF-8."""
    text = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False)
    return (text + "\n").encode("utf-8")
