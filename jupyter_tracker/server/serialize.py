"""Entities to JSON-ready dicts. Non-finite numbers become the strings NaN, Infinity, -Infinity."""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from typing import Any

import numpy as np

from ..store.entities import (
    ApiToken,
    Checkpoint,
    ImagePoint,
    NotebookSummary,
    Project,
    Run,
    RunCheckpoint,
    RunPage,
    SeriesSummary,
    StoredFile,
    TextPoint,
)
from ..store.series_codec import PointArrays
from ..store.series_overview import Downsampled


def number(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def numbers(values: np.ndarray) -> list[float | str | None]:
    if bool(np.all(np.isfinite(values))):
        result: list[float | str | None] = values.tolist()
        return result
    return [number(v) for v in values.tolist()]


def stamp(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return number(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def project(p: Project) -> dict[str, Any]:
    return {
        "name": p.name,
        "key": p.key,
        "description": p.description,
        "created_at": stamp(p.created_at),
        "run_count": p.run_count,
    }


def series(s: SeriesSummary) -> dict[str, Any]:
    return {
        "name": s.name,
        "kind": s.kind,
        "count": s.count,
        "first": number(s.first),
        "last": number(s.last),
        "min": number(s.min),
        "max": number(s.max),
        "last_step": number(s.last_step),
        "last_text": s.last_text,
        "updated_at": stamp(s.updated_at),
    }


def run(r: Run) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.id,
        "project": r.project,
        "number": r.number,
        "name": r.name,
        "description": r.description,
        "owner": r.owner,
        "state": r.state,
        "created_at": stamp(r.created_at),
        "updated_at": stamp(r.updated_at),
        "finished_at": stamp(r.finished_at),
        "heartbeat_at": stamp(r.heartbeat_at),
        "exception": r.exception,
        "notebook_path": r.notebook_path,
        "details": json_safe(r.details),
        "params": json_safe(r.params),
        "properties": r.properties,
        "tags": list(r.tags),
        "metrics": {name: series(s) for name, s in r.metrics.items()},
        "client_key": r.client_key,
        "kernel_id": r.kernel_id,
        "checkpoint": run_checkpoint(r.checkpoint) if r.checkpoint else None,
        "notebook": run_notebook(r),
    }
    if r.sparkline is not None:
        out["sparkline"] = {
            "name": r.sparkline.name,
            "steps": [number(v) for v in r.sparkline.steps],
            "values": [number(v) for v in r.sparkline.values],
        }
    return out


def run_checkpoint(c: RunCheckpoint) -> dict[str, Any]:
    return {
        "path": c.path,
        "number": c.number,
        "notebook_id": c.notebook_id,
        "origin": c.origin,
        "warnings": list(c.warnings),
    }


def run_notebook(r: Run) -> dict[str, Any] | None:
    """The notebook and cell a run was started from; the path is the one the client gave, else
    that of the linked checkpoint's notebook."""
    path = r.notebook_path or (r.checkpoint.path if r.checkpoint else None)
    if path is None and r.notebook_cell_id is None and r.notebook_execution_count is None:
        return None
    return {
        "path": path,
        "cell_id": r.notebook_cell_id,
        "execution_count": r.notebook_execution_count,
    }


def checkpoint(c: Checkpoint, created: bool | None = None) -> dict[str, Any]:
    """``created`` only in upload replies."""
    out: dict[str, Any] = {
        "project": c.project,
        "path": c.path,
        "notebook_id": c.notebook_id,
        "number": c.number,
        "sha256": c.sha256,
        "size": c.size,
        "description": c.description,
        "author": c.author,
        "origin": c.origin,
        "run_id": c.run_id,
        "runs": list(c.runs),
        "warnings": list(c.warnings),
        "created_at": stamp(c.created_at),
    }
    if created is not None:
        out["created"] = created
    return out


def notebook(n: NotebookSummary) -> dict[str, Any]:
    return {
        "project": n.project,
        "path": n.path,
        "notebook_id": n.notebook_id,
        "checkpoints": n.checkpoints,
        "last_saved_at": stamp(n.last_saved_at),
    }


def run_page(page: RunPage) -> dict[str, Any]:
    return {
        "runs": [run(r) for r in page.runs],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


def token(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "user": t.user,
        "projects": list(t.projects) if t.projects is not None else None,
        "created_at": stamp(t.created_at),
        "last_used_at": stamp(t.last_used_at),
        "revoked_at": stamp(t.revoked_at),
    }


def stored_file(f: StoredFile) -> dict[str, Any]:
    return {
        "path": f.path,
        "size": f.size,
        "sha256": f.sha256,
        "created_at": stamp(f.created_at),
    }


Columns = dict[str, np.ndarray]


def point_columns(p: PointArrays) -> Columns:
    return {"steps": p.steps, "timestamps": p.timestamps, "values": p.values}


def downsampled_columns(d: Downsampled) -> Columns:
    return {"steps": np.asarray(d.steps), "values": np.asarray(d.values)}


def columns_json(name: str, columns: Columns) -> bytes:
    """Plain JSON lists; non-finite numbers as strings."""
    count = len(next(iter(columns.values())))
    payload = {"name": name, "count": count, **{k: numbers(v) for k, v in columns.items()}}
    return json.dumps(payload, allow_nan=False, separators=(",", ":")).encode()


def columns_columnar(name: str, columns: Columns) -> bytes:
    """JSON whose columns are ``{"dtype": "<f8", "data": base64}``, assembled without a scan.

    Base64 needs no JSON escaping, so the large strings are joined in rather than encoded.
    """
    count = len(next(iter(columns.values())))
    head = json.dumps({"name": name, "count": count}, separators=(",", ":")).encode()
    parts = [head[:-1]]
    for key, values in columns.items():
        data = base64.b64encode(np.ascontiguousarray(values, dtype="<f8").tobytes())
        parts += [b',"', key.encode(), b'":{"dtype":"<f8","data":"', data, b'"}']
    parts.append(b"}")
    return b"".join(parts)


def columns_binary(columns: Columns) -> bytes:
    """The columns back to back as little-endian float64, in the order of ``columns``."""
    return b"".join(np.ascontiguousarray(v, dtype="<f8").tobytes() for v in columns.values())


def entry(e: TextPoint | ImagePoint) -> dict[str, Any]:
    if isinstance(e, TextPoint):
        return {"step": number(e.step), "timestamp": e.timestamp, "text": e.text}
    return {
        "step": number(e.step),
        "timestamp": e.timestamp,
        "sha256": e.sha256,
        "content_type": e.content_type,
        "image_name": e.image_name,
        "description": e.description,
    }
