"""A notebook's identity: a UUID kept in the notebook's own metadata.

The frontend writes ``metadata["jupyter_tracker"]["notebook_id"]`` into a notebook before its
first upload, so the tracker recognises the notebook after a rename or a move.
"""

from __future__ import annotations

import uuid
from typing import Any

__all__ = ["NOTEBOOK_ID_KEY", "notebook_id"]

NOTEBOOK_ID_KEY = "jupyter_tracker"
"""The key of the tracker's object in notebook (and cell) metadata."""


def notebook_id(nb: dict[str, Any]) -> str | None:
    """The notebook's id, or None when it has none or it is not a valid UUID.

    Only the canonical form counts (lowercase hexadecimal in 8-4-4-4-12 groups, as ``uuid4()``
    and the browser's ``crypto.randomUUID()`` write it), so one notebook has one id string.
    """
    metadata = nb.get("metadata")
    if not isinstance(metadata, dict):
        return None
    ours = metadata.get(NOTEBOOK_ID_KEY)
    if not isinstance(ours, dict):
        return None
    value = ours.get("notebook_id")
    if not isinstance(value, str) or len(value) != 36:
        return None
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    return value if str(parsed) == value else None
