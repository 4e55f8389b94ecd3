"""Request bodies and query strings to validated store inputs; errors name the field."""

from __future__ import annotations

import base64
import binascii
import math
import re
import time
from collections.abc import Mapping
from typing import Any, Literal, cast

import numpy as np

from ..store import validation
from ..store.entities import CHECKPOINT_ORIGINS, RUN_STATES, ParamValue, RunState
from ..store.errors import Invalid
from ..store.inputs import (
    Batch,
    CompareOp,
    Condition,
    ImageAppend,
    MetricAppend,
    MetricStat,
    NewCheckpoint,
    NewRun,
    RunQuery,
    SortKey,
    TextAppend,
)

MAX_POINTS_PER_BATCH = 5_000_000
# Sequence numbers and query integers go to 64-bit columns and SQL: larger ones fail there.
MAX_INT64 = 2**63 - 1
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_FILTER = re.compile(
    r"^(param|metric)\.(.+?)(?:\.(first|last|min|max|count))?(<=|>=|!=|=|<|>)(.*)$"
)
_STATS = ("first", "last", "min", "max", "count")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"{field} must be a JSON object", field=field)
    return value


def _unknown(body: dict[str, Any], allowed: set[str], field: str) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise Invalid(f"{field} has unknown field '{extra[0]}'", field=f"{field}.{extra[0]}")


def _str_list(value: Any, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"{field} must be a list of strings", field=field)
    return tuple(value)


def _str_dict(value: Any, field: str) -> dict[str, str]:
    if value is None:
        return {}
    body = _object(value, field)
    for k, v in body.items():
        if not isinstance(v, str):
            raise Invalid(f"{field}.{k} must be a string", field=f"{field}.{k}")
    return cast(dict[str, str], body)


def _params(value: Any, field: str = "params") -> dict[str, ParamValue]:
    if value is None:
        return {}
    body = _object(value, field)
    for k, v in body.items():
        validation.param_value(v, f"{field}.{k}")
    return cast(dict[str, ParamValue], body)


def _opt_str(value: Any, field: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise Invalid(f"{field} must be a string", field=field)
    return value


def _number(value: Any, field: str) -> float:
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"{field} must be a number", field=field)
    try:
        return float(value)
    except OverflowError:
        raise Invalid(f"{field} is too large for a float64", field=field) from None


def float_column(value: Any, field: str) -> np.ndarray:
    """A list of numbers, or ``{"dtype": "<f8", "data": base64}`` for a fast columnar body."""
    if isinstance(value, dict):
        if value.get("dtype") != "<f8" or not isinstance(value.get("data"), str):
            raise Invalid(f"{field} must be {{'dtype': '<f8', 'data': base64}}", field=field)
        try:
            raw = base64.b64decode(value["data"], validate=True)
        except (binascii.Error, ValueError):
            raise Invalid(f"{field}.data is not valid base64", field=field) from None
        if len(raw) % 8:
            raise Invalid(f"{field}.data length is not a multiple of 8 bytes", field=field)
        return np.frombuffer(raw, dtype="<f8").astype(np.float64, copy=False)
    if not isinstance(value, list):
        raise Invalid(f"{field} must be a list of numbers or a columnar array", field=field)
    # numpy alone would turn true into 1.0 and null into NaN, or a nested list into a matrix.
    if all(type(v) is float or type(v) is int for v in value):
        try:
            return np.array(value, dtype=np.float64)
        except OverflowError:
            pass
    return np.array([_number(v, f"{field}[{i}]") for i, v in enumerate(value)], dtype=np.float64)


def _finite(values: np.ndarray, field: str) -> np.ndarray:
    if not bool(np.all(np.isfinite(values))):
        raise Invalid(f"{field} must be finite numbers", field=field)
    return values


def _finite_number(value: Any, field: str) -> float:
    number = _number(value, field)
    if not math.isfinite(number):
        raise Invalid(f"{field} must be a finite number", field=field)
    return number


def _state(value: Any) -> RunState | None:
    if value is None:
        return None
    if value not in RUN_STATES:
        raise Invalid(f"state must be one of {', '.join(RUN_STATES)}", field="state")
    return cast(RunState, value)


def new_run(body: Any, owner: str, default_project: str) -> NewRun:
    body = _object(body, "body")
    allowed = {
        "project",
        "name",
        "description",
        "params",
        "properties",
        "tags",
        "details",
        "notebook_path",
        "client_key",
        "kernel_id",
        "notebook_cell_id",
        "notebook_execution_count",
    }
    _unknown(body, allowed, "body")
    details = body.get("details")
    details = {} if details is None else _object(details, "details")
    return NewRun(
        project=validation.project_name(body.get("project", default_project)),
        owner=owner,
        name=_opt_str(body.get("name"), "name") or "",
        description=_opt_str(body.get("description"), "description") or "",
        params=_params(body.get("params")),
        properties=_str_dict(body.get("properties"), "properties"),
        tags=_str_list(body.get("tags"), "tags"),
        details=details,
        notebook_path=_opt_str(body.get("notebook_path"), "notebook_path"),
        client_key=validation.client_key(body.get("client_key")),
        kernel_id=validation.kernel_id(body.get("kernel_id")),
        notebook_cell_id=validation.cell_id(body.get("notebook_cell_id")),
        notebook_execution_count=validation.execution_count(body.get("notebook_execution_count")),
    )


def _metric(item: Any, i: int, now: float) -> MetricAppend:
    field = f"metrics[{i}]"
    item = _object(item, field)
    _unknown(item, {"name", "steps", "timestamps", "values"}, field)
    name = validation.name(item.get("name"), f"{field}.name")
    values = float_column(item.get("values"), f"{field}.values")
    steps = None if item.get("steps") is None else float_column(item["steps"], f"{field}.steps")
    if item.get("timestamps") is None:
        timestamps = np.full(len(values), now)
    else:
        timestamps = float_column(item["timestamps"], f"{field}.timestamps")
    for label, column in (("steps", steps), ("timestamps", timestamps)):
        if column is not None and len(column) != len(values):
            raise Invalid(
                f"{field}.{label} and values differ in length ({name})", field=f"{field}.{label}"
            )
    return MetricAppend(name, steps, timestamps, values)


def _text(item: Any, i: int, now: float) -> TextAppend:
    field = f"texts[{i}]"
    item = _object(item, field)
    _unknown(item, {"name", "steps", "timestamps", "values"}, field)
    name = validation.name(item.get("name"), f"{field}.name")
    values = _str_list(item.get("values"), f"{field}.values")
    steps = None
    if item.get("steps") is not None:
        steps = tuple(float_column(item["steps"], f"{field}.steps").tolist())
    stamps: tuple[float, ...] = (now,) * len(values)
    if item.get("timestamps") is not None:
        stamps = tuple(
            _finite(
                float_column(item["timestamps"], f"{field}.timestamps"), f"{field}.timestamps"
            ).tolist()
        )
    for label, column in (("steps", steps), ("timestamps", stamps)):
        if column is not None and len(column) != len(values):
            raise Invalid(
                f"{field}.{label} and values differ in length ({name})", field=f"{field}.{label}"
            )
    return TextAppend(name, steps, stamps, values)


def image_fields(item: Any, i: int) -> tuple[dict[str, Any], bytes]:
    """An image entry's fields and its decoded bytes (stored as a blob before the batch)."""
    field = f"images[{i}]"
    item = _object(item, field)
    _unknown(
        item,
        {"name", "step", "timestamp", "data", "content_type", "image_name", "description"},
        field,
    )
    validation.name(item.get("name"), f"{field}.name")
    content_type = item.get("content_type", "image/png")
    if content_type not in IMAGE_TYPES:
        raise Invalid(
            f"{field}.content_type must be one of {', '.join(IMAGE_TYPES)}",
            field=f"{field}.content_type",
        )
    if not isinstance(item.get("data"), str):
        raise Invalid(f"{field}.data must be base64 image bytes", field=f"{field}.data")
    try:
        data = base64.b64decode(item["data"], validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(f"{field}.data is not valid base64", field=f"{field}.data") from None
    return item, data


def image(item: dict[str, Any], i: int, sha256: str, now: float) -> ImageAppend:
    field = f"images[{i}]"
    step = item.get("step")
    return ImageAppend(
        name=item["name"],
        step=None if step is None else _number(step, f"{field}.step"),
        timestamp=_finite_number(item.get("timestamp", now), f"{field}.timestamp"),
        sha256=sha256,
        content_type=item.get("content_type", "image/png"),
        image_name=validation.name(
            item.get("image_name") or "", f"{field}.image_name", allow_empty=True
        ),
        description=_opt_str(item.get("description"), f"{field}.description") or "",
    )


BATCH_FIELDS = {
    "seq",
    "metrics",
    "texts",
    "images",
    "params",
    "properties",
    "tags",
    "name",
    "description",
    "state",
    "exception",
    "heartbeat",
}


def batch(body: dict[str, Any], images: tuple[ImageAppend, ...] = ()) -> Batch:
    """A batch body; ``images`` were parsed and stored as blobs by the caller."""
    _unknown(body, BATCH_FIELDS, "body")
    seq = body.get("seq")
    if seq is not None and (
        isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_INT64
    ):
        raise Invalid(f"seq must be an integer from 0 to {MAX_INT64}", field="seq")
    now = time.time()
    metrics = tuple(
        _metric(m, i, now) for i, m in enumerate(as_list(body.get("metrics"), "metrics"))
    )
    texts = tuple(_text(t, i, now) for i, t in enumerate(as_list(body.get("texts"), "texts")))
    if sum(len(m.values) for m in metrics) + sum(len(t.texts) for t in texts) > (
        MAX_POINTS_PER_BATCH
    ):
        raise Invalid(f"a batch holds at most {MAX_POINTS_PER_BATCH} points", field="metrics")
    props = _object(body.get("properties") or {}, "properties")
    _unknown(props, {"set", "remove"}, "properties")
    tags = _object(body.get("tags") or {}, "tags")
    _unknown(tags, {"add", "remove"}, "tags")
    heartbeat = body.get("heartbeat", False)
    if not isinstance(heartbeat, bool):
        raise Invalid("heartbeat must be true or false", field="heartbeat")
    return Batch(
        seq=seq,
        metrics=metrics,
        texts=texts,
        images=images,
        params=_params(body.get("params")),
        set_properties=_str_dict(props.get("set"), "properties.set"),
        remove_properties=_str_list(props.get("remove"), "properties.remove"),
        add_tags=_str_list(tags.get("add"), "tags.add"),
        remove_tags=_str_list(tags.get("remove"), "tags.remove"),
        name=_opt_str(body.get("name"), "name"),
        description=_opt_str(body.get("description"), "description"),
        state=_state(body.get("state")),
        exception=_opt_str(body.get("exception"), "exception"),
        heartbeat=heartbeat,
    )


def as_list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(f"{field} must be a list", field=field)
    return value


def run_update(body: Any) -> Batch:
    """A PATCH of a run: the metadata part of a batch, with no points and no sequence number."""
    body = _object(body, "body")
    _unknown(body, {"name", "description", "state", "exception", "properties", "tags"}, "body")
    return batch(body)


def _int_arg(args: dict[str, list[bytes]], name: str, default: int) -> int:
    raw = args.get(name)
    if not raw:
        return default
    try:
        value = int(raw[-1].decode())
    except ValueError:
        raise Invalid(f"{name} must be an integer", field=name) from None
    if not -MAX_INT64 <= value <= MAX_INT64:
        raise Invalid(f"{name} is out of range", field=name)
    return value


def float_arg(args: dict[str, list[bytes]], name: str) -> float | None:
    raw = args.get(name)
    if not raw:
        return None
    try:
        value = float(raw[-1].decode())
    except ValueError:
        raise Invalid(f"{name} must be a number", field=name) from None
    if not math.isfinite(value):
        raise Invalid(f"{name} must be finite", field=name)
    return value


def _strs(args: dict[str, list[bytes]], name: str) -> list[str]:
    out: list[str] = []
    for raw in args.get(name, []):
        out.extend(part for part in raw.decode().split(",") if part)
    return out


def _condition(text: str) -> Condition:
    m = _FILTER.match(text)
    if not m:
        raise Invalid(
            f"filter '{text[:60]}' is not like param.lr>=0.01 or metric.loss.last<0.5",
            field="filter",
        )
    kind, key, stat, op, raw = m.groups()
    value: float | str | bool
    if raw in ("true", "false"):
        value = raw == "true"
    else:
        try:
            value = float(raw)
        except ValueError:
            value = raw
    if kind == "metric" and not isinstance(value, float):
        raise Invalid(f"filter '{text[:60]}' compares a metric with a non-number", "filter")
    return Condition(
        cast(Literal["param", "metric"], kind),
        key,
        cast(MetricStat, stat or "last") if kind == "metric" else None,
        cast(CompareOp, op),
        value,
    )


def sort_key(text: str) -> SortKey:
    descending = text.startswith("-")
    text = text.lstrip("-+")
    if text.startswith("param."):
        return SortKey("param", text[len("param.") :], None, descending)
    if text.startswith("metric."):
        name, _, stat = text[len("metric.") :].rpartition(".")
        if not name or stat not in _STATS:
            raise Invalid("sort by metric.<name>.<first|last|min|max|count>", field="sort")
        return SortKey("metric", name, cast(MetricStat, stat), descending)
    return SortKey("column", text, None, descending)


def _sparkline_points(args: dict[str, list[bytes]]) -> int:
    points = _int_arg(args, "sparkline_points", 32)
    if not 2 <= points <= 500:
        raise Invalid("sparkline_points must be between 2 and 500", field="sparkline_points")
    return points


def run_query(args: dict[str, list[bytes]], default_project: str) -> RunQuery:
    project = args.get("project")
    states = tuple(_strs(args, "state"))
    for state in states:
        _state(state)
    sparkline = _strs(args, "sparkline")
    return RunQuery(
        project=validation.project_name(project[-1].decode() if project else default_project),
        states=cast(tuple[RunState, ...], states),
        tags=tuple(_strs(args, "tag")),
        owner=(args["owner"][-1].decode() if args.get("owner") else None),
        name_contains=(args["name"][-1].decode() if args.get("name") else None),
        conditions=tuple(_condition(raw.decode()) for raw in args.get("filter", [])),
        sort=sort_key(args["sort"][-1].decode()) if args.get("sort") else RunQuery.sort,
        limit=_int_arg(args, "limit", 50),
        offset=_int_arg(args, "offset", 0),
        metric_summaries=tuple(_strs(args, "metrics")),
        sparkline=sparkline[-1] if sparkline else None,
        sparkline_points=_sparkline_points(args),
    )


# --- notebooks: query strings are handed over as {name: last value or None} -----------------

Query = Mapping[str, str | None]
MAX_INT32 = 2**31 - 1


def query_int(query: Query, name: str, *, minimum: int, required: bool = False) -> int | None:
    """The integer in ``query[name]`` (decimal digits, from ``minimum`` to 2**31 - 1)."""
    raw = query.get(name)
    if raw is None or raw == "":
        if required:
            raise Invalid(f"{name} is required", field=name)
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or int(raw) > MAX_INT32:
        raise Invalid(f"{name} must be an integer from {minimum} to {MAX_INT32}", field=name)
    value = int(raw)
    if value < minimum:
        raise Invalid(f"{name} must be an integer from {minimum} to {MAX_INT32}", field=name)
    return value


def notebook_ref(query: Query, default_project: str) -> tuple[str, str | None, str | None]:
    """(project, path, notebook_id) naming a notebook: by ``notebook_id=`` if given, else by
    ``path=``."""
    project = validation.project_name(query.get("project") or default_project)
    notebook_id = validation.notebook_uid(query.get("notebook_id") or None)
    if notebook_id is not None:
        return project, None, notebook_id
    return project, validation.file_path(query.get("path") or ""), None


def checkpoint_upload(query: Query, default_project: str) -> NewCheckpoint:
    """Everything of a checkpoint upload but its content, from the query string."""
    origin = query.get("origin") or "upload"
    if origin not in CHECKPOINT_ORIGINS:
        raise Invalid(f"origin must be one of {', '.join(CHECKPOINT_ORIGINS)}", field="origin")
    run_id = query.get("run_id") or None
    if run_id is not None:
        validation.run_id(run_id)
    description = query.get("description") or ""
    validation.text(description, "description", 10_000)
    return NewCheckpoint(
        project=validation.project_name(query.get("project") or default_project),
        path=validation.file_path(query.get("path") or ""),
        content=b"",
        origin=origin,
        description=description,
        run_id=run_id,
        cell_id=validation.cell_id(query.get("cell_id") or None, "cell_id"),
        execution_count=query_int(query, "execution_count", minimum=0),
    )
