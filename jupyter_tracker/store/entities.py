"""Plain, frozen records that the store hands out; nothing above the store sees ORM rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

RunState = Literal["running", "succeeded", "failed", "aborted"]
RUN_STATES: tuple[RunState, ...] = ("running", "succeeded", "failed", "aborted")
SeriesKind = Literal["numeric", "text", "image"]
FileKind = Literal["artifact", "source"]
# How a checkpoint was taken: uploaded by hand, the live editor model when a run started, or
# the file saved on disk (plus the kernel's executed code) when no editor answered.
CheckpointOrigin = Literal["upload", "editor", "disk"]
CHECKPOINT_ORIGINS: tuple[CheckpointOrigin, ...] = ("upload", "editor", "disk")
ParamValue = bool | int | float | str | None
# Every API token starts so, which tells it apart from Jupyter's own tokens.
TOKEN_PREFIX = "jtt_"


@dataclass(frozen=True)
class User:
    id: int
    name: str


@dataclass(frozen=True)
class Principal:
    """Who is calling, and which projects they may touch (``None``: all of them)."""

    user: User
    projects: frozenset[str] | None
    via_token: bool

    def may_access(self, project: str) -> bool:
        return self.projects is None or project in self.projects


@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    prefix: str
    user: str
    projects: tuple[str, ...] | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


@dataclass(frozen=True)
class Project:
    name: str
    key: str
    description: str
    created_at: dt.datetime
    run_count: int


@dataclass(frozen=True)
class SeriesSummary:
    name: str
    kind: SeriesKind
    count: int
    first: float | None
    last: float | None
    min: float | None
    max: float | None
    last_step: float | None
    last_text: str | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class Sparkline:
    name: str
    steps: tuple[float, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class Run:
    id: str
    project: str
    number: int
    name: str
    description: str
    owner: str
    state: RunState
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None
    heartbeat_at: dt.datetime | None
    exception: str | None
    notebook_path: str | None
    details: dict[str, Any]
    params: dict[str, ParamValue]
    properties: dict[str, str]
    tags: tuple[str, ...]
    client_key: str | None = None
    kernel_id: str | None = None
    metrics: dict[str, SeriesSummary] = field(default_factory=dict)
    sparkline: Sparkline | None = None
    # The notebook checkpoint the run came from, if any
    checkpoint: RunCheckpoint | None = None
    # The cell that started the run: its id and execution count, when the client knew them
    notebook_cell_id: str | None = None
    notebook_execution_count: int | None = None


@dataclass(frozen=True)
class RunCheckpoint:
    """What a run shows of the checkpoint it came from."""

    path: str
    number: int
    notebook_id: str | None
    origin: CheckpointOrigin
    warnings: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Checkpoint:
    """A saved version of a notebook.

    ``run_id`` is the run it was first saved for, if any; ``runs`` every run linked to it now,
    oldest first. ``warnings`` are its hidden-state warnings (cells run out of order, edited
    after they ran, code that ran from cells since deleted), computed when it was stored.
    """

    project: str
    path: str
    number: int
    sha256: str
    size: int
    description: str
    author: str
    run_id: str | None
    created_at: dt.datetime
    notebook_id: str | None = None
    origin: CheckpointOrigin = "upload"
    runs: tuple[str, ...] = ()
    warnings: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class NotebookSummary:
    project: str
    path: str
    checkpoints: int
    last_saved_at: dt.datetime
    notebook_id: str | None = None


@dataclass(frozen=True)
class RunPage:
    runs: tuple[Run, ...]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class TextPoint:
    step: float
    timestamp: float
    text: str


@dataclass(frozen=True)
class ImagePoint:
    step: float
    timestamp: float
    sha256: str
    content_type: str
    image_name: str
    description: str


@dataclass(frozen=True)
class StoredFile:
    """An artifact or a source file of a run: a path naming a content-addressed blob."""

    run_id: str
    kind: FileKind
    path: str
    size: int
    sha256: str
    created_at: dt.datetime


@dataclass(frozen=True)
class BatchResult:
    run_id: str
    seq: int | None
    applied: bool
    points: int
