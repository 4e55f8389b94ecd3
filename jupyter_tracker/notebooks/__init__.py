"""Notebook checkpoints and diffs: identity, canonical snapshots, hidden-state warnings and
nbdime diffs that compare big outputs by hash. Pure Python: no server, no database."""

from __future__ import annotations

from .diff import NotebookDiff, diff_notebooks
from .hidden_state import analyse_hidden_state
from .identity import NOTEBOOK_ID_KEY, notebook_id
from .snapshot import Snapshot, prepare

__all__ = [
    "NOTEBOOK_ID_KEY",
    "NotebookDiff",
    "Snapshot",
    "analyse_hidden_state",
    "diff_notebooks",
    "notebook_id",
    "prepare",
]
