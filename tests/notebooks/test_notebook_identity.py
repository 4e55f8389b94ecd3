"""A notebook's id comes from its metadata, and only a canonical UUID counts."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from jupyter_tracker.notebooks import NOTEBOOK_ID_KEY, notebook_id

VALID = "0b7d1c1e-6f0a-4a53-9c3e-2f3b8f1d2a44"


def test_the_id_is_read_from_the_tracker_metadata() -> None:
    # Given a notebook whose metadata holds a UUID under the tracker's key
    nb = {"cells": [], "metadata": {NOTEBOOK_ID_KEY: {"notebook_id": VALID}}}
    # When / Then
    assert NOTEBOOK_ID_KEY == "jupyter_tracker"
    assert notebook_id(nb) == VALID


def test_a_fresh_uuid4_is_accepted() -> None:
    fresh = str(uuid.uuid4())
    assert notebook_id({"metadata": {"jupyter_tracker": {"notebook_id": fresh}}}) == fresh


@pytest.mark.parametrize(
    "nb",
    [
        {"cells": []},
        {"cells": [], "metadata": None},
        {"cells": [], "metadata": {}},
        {"cells": [], "metadata": {"jupyter_tracker": "x"}},
        {"cells": [], "metadata": {"jupyter_tracker": {}}},
        {"cells": [], "metadata": {"jupyter_tracker": {"notebook_id": None}}},
        {"cells": [], "metadata": {"jupyter_tracker": {"notebook_id": 12}}},
        {"cells": [], "metadata": {"jupyter_tracker": {"notebook_id": "not-a-uuid"}}},
        {"cells": [], "metadata": {"jupyter_tracker": {"notebook_id": VALID.upper()}}},
        {"cells": [], "metadata": {"jupyter_tracker": {"notebook_id": VALID.replace("-", "")}}},
        {"cells": [], "metadata": {"jupyter_tracker": {"notebook_id": "{" + VALID + "}"}}},
        {"cells": [], "metadata": {"other": {"notebook_id": VALID}}},
    ],
)
def test_no_id_when_missing_or_not_a_canonical_uuid(nb: dict[str, Any]) -> None:
    # Given metadata without a canonical UUID  When / Then: no id
    assert notebook_id(nb) is None
