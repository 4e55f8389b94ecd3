"""Validated inputs to store operations: run creation, batches and run queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .entities import CheckpointOrigin, FileKind, ParamValue, RunState

CompareOp = Literal["=", "!=", "<", "<=", ">", ">="]
MetricStat = Literal["first", "last", "min", "max", "count"]


@dataclass(frozen=True)
class NewRun:
    project: str
    owner: str
    name: str = ""
    description: str = ""
    params: dict[str, ParamValue] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    notebook_path: str | None = None
    # A key of the client's making: a later creation with the same key in the same project
    # returns the run the first one made, and changes nothing.
    client_key: str | None = None
    kernel_id: str | None = None
    # The cell that started the run (Jupyter's cell id) and its execution count.
    notebook_cell_id: str | None = None
    notebook_execution_count: int | None = None


@dataclass(frozen=True)
class NewCheckpoint:
    """A notebook to store as a checkpoint, already parsed and made canonical.

    ``content`` is what is stored (identical notebooks give identical bytes); ``notebook_id``
    the id in its metadata, if any, by which the notebook is found after a rename or a move.
    With ``run_id`` the run is linked to the checkpoint, and ``cell_id`` / ``execution_count``
    name the cell that started it.
    """

    project: str
    path: str
    content: bytes
    notebook_id: str | None = None
    origin: CheckpointOrigin = "upload"
    description: str = ""
    warnings: tuple[dict[str, Any], ...] = ()
    run_id: str | None = None
    cell_id: str | None = None
    execution_count: int | None = None


@dataclass(frozen=True)
class MetricAppend:
    """Points of one numeric series; ``steps`` is ``None`` to continue after the last step."""

    name: str
    steps: np.ndarray | None
    timestamps: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class TextAppend:
    name: str
    steps: tuple[float, ...] | None
    timestamps: tuple[float, ...]
    texts: tuple[str, ...]


@dataclass(frozen=True)
class ImageAppend:
    name: str
    step: float | None
    timestamp: float
    sha256: str
    content_type: str
    image_name: str
    description: str


@dataclass(frozen=True)
class Batch:
    """Everything one client batch can carry; applied in one transaction, all or nothing."""

    seq: int | None = None
    metrics: tuple[MetricAppend, ...] = ()
    texts: tuple[TextAppend, ...] = ()
    images: tuple[ImageAppend, ...] = ()
    params: dict[str, ParamValue] = field(default_factory=dict)
    set_properties: dict[str, str] = field(default_factory=dict)
    remove_properties: tuple[str, ...] = ()
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    name: str | None = None
    description: str | None = None
    state: RunState | None = None
    exception: str | None = None
    heartbeat: bool = False


@dataclass(frozen=True)
class Condition:
    """``field op value`` where field is ``param.<key>`` or ``metric.<name>.<stat>``."""

    kind: Literal["param", "metric"]
    key: str
    stat: MetricStat | None
    op: CompareOp
    value: float | str | bool


@dataclass(frozen=True)
class SortKey:
    """Sort by a run column, ``param.<key>`` or ``metric.<name>.<stat>``."""

    kind: Literal["column", "param", "metric"]
    key: str
    stat: MetricStat | None = None
    descending: bool = False


@dataclass(frozen=True)
class RunQuery:
    project: str
    states: tuple[RunState, ...] = ()
    tags: tuple[str, ...] = ()
    owner: str | None = None
    name_contains: str | None = None
    conditions: tuple[Condition, ...] = ()
    sort: SortKey = SortKey("column", "created_at", descending=True)
    limit: int = 50
    offset: int = 0
    metric_summaries: tuple[str, ...] = ()
    sparkline: str | None = None
    sparkline_points: int = 32


@dataclass(frozen=True)
class FileUpload:
    run_id: str
    kind: FileKind
    path: str
    sha256: str
    size: int
