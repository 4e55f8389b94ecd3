"""The run list: filters, sorting by columns, params or metric summaries, and pagination."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import Session

from .. import series_codec as codec
from .. import series_overview as overview
from ..entities import Principal, RunPage, SeriesSummary, Sparkline
from ..errors import Invalid
from ..inputs import Condition, RunQuery, SortKey
from ..models import ChunkRow, ParamRow, RunRow, SeriesRow, TagRow
from . import convert, projects, runs
from .series import EXACT_POINTS_PER_BUCKET

COLUMNS: dict[str, Any] = {
    "created_at": RunRow.created_at,
    "updated_at": RunRow.updated_at,
    "finished_at": RunRow.finished_at,
    "name": RunRow.name,
    "state": RunRow.state,
    "owner": RunRow.owner,
    "number": RunRow.number,
}
METRIC_STATS: dict[str, Any] = {
    "first": SeriesRow.first,
    "last": SeriesRow.last,
    "min": SeriesRow.min,
    "max": SeriesRow.max,
    "count": SeriesRow.count,
}


def _compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    ops = {
        "=": column.__eq__,
        "!=": column.__ne__,
        "<": column.__lt__,
        "<=": column.__le__,
        ">": column.__gt__,
        ">=": column.__ge__,
    }
    result: ColumnElement[bool] = ops[op](value)
    return result


def _condition(c: Condition) -> ColumnElement[bool]:
    if c.kind == "param":
        column: Any
        value: Any
        if isinstance(c.value, bool):
            column, value = ParamRow.value_text, str(c.value).lower()
        elif isinstance(c.value, int | float):
            column, value = ParamRow.value_num, float(c.value)
        else:
            column, value = ParamRow.value_text, c.value
        return exists().where(
            ParamRow.run_id == RunRow.id, ParamRow.key == c.key, _compare(column, c.op, value)
        )
    if isinstance(c.value, str):
        raise Invalid(f"metric.{c.key}.{c.stat} compares with numbers only", field="filter")
    stat = METRIC_STATS[c.stat or "last"]
    return exists().where(
        SeriesRow.run_id == RunRow.id,
        SeriesRow.name == c.key,
        SeriesRow.kind == "numeric",
        _compare(stat, c.op, float(c.value)),
    )


def _sort_expressions(key: SortKey) -> list[Any]:
    if key.kind == "column":
        if key.key not in COLUMNS:
            raise Invalid(f"cannot sort by '{key.key}'", field="sort")
        return [COLUMNS[key.key]]
    if key.kind == "param":
        # Numbers by value, then strings; two keys, as PostgreSQL cannot coalesce the two types.
        return [
            select(column)
            .where(ParamRow.run_id == RunRow.id, ParamRow.key == key.key)
            .scalar_subquery()
            for column in (ParamRow.value_num, ParamRow.value_text)
        ]
    return [
        select(METRIC_STATS[key.stat or "last"])
        .where(SeriesRow.run_id == RunRow.id, SeriesRow.name == key.key)
        .scalar_subquery()
    ]


def _filtered(query: RunQuery, project_id: int) -> Select[Any]:
    stmt = select(RunRow).where(RunRow.project_id == project_id)
    if query.states:
        stmt = stmt.where(RunRow.state.in_(query.states))
    for tag in query.tags:
        stmt = stmt.where(exists().where(TagRow.run_id == RunRow.id, TagRow.tag == tag))
    if query.owner:
        stmt = stmt.where(RunRow.owner == query.owner)
    if query.name_contains:
        pattern = "%" + query.name_contains.replace("\\", "\\\\").replace("%", "\\%") + "%"
        stmt = stmt.where(RunRow.name.ilike(pattern.replace("_", "\\_"), escape="\\"))
    if query.conditions:
        stmt = stmt.where(and_(*[_condition(c) for c in query.conditions]))
    return stmt


def list_runs(session: Session, principal: Principal, query: RunQuery) -> RunPage:
    if not 1 <= query.limit <= 1000:
        raise Invalid("limit must be between 1 and 1000", field="limit")
    if query.offset < 0:
        raise Invalid("offset must not be negative", field="offset")
    project = projects.get_accessible(session, principal, query.project)
    stmt = _filtered(query, project.id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = [
        e.desc().nulls_last() if query.sort.descending else e.asc().nulls_last()
        for e in _sort_expressions(query.sort)
    ]
    page = list(
        session.scalars(
            stmt.order_by(*order, RunRow.number.desc()).limit(query.limit).offset(query.offset)
        )
    )
    ids = [row.id for row in page]
    metrics = _summaries(session, ids, query.metric_summaries)
    sparklines = _sparklines(session, ids, query.sparkline, query.sparkline_points)
    entities = runs.entities(session, [(project, row) for row in page], metrics, sparklines)
    return RunPage(tuple(entities), total, query.limit, query.offset)


def _summaries(
    session: Session, ids: list[int], names: tuple[str, ...]
) -> dict[int, dict[str, SeriesSummary]]:
    out: dict[int, dict[str, SeriesSummary]] = {}
    if not ids or not names:
        return out
    for row in session.scalars(
        select(SeriesRow).where(SeriesRow.run_id.in_(ids), SeriesRow.name.in_(names))
    ):
        out.setdefault(row.run_id, {})[row.name] = convert.series(row)
    return out


def _sparklines(
    session: Session, ids: list[int], name: str | None, points: int
) -> dict[int, Sparkline]:
    """A curve of at most ``points`` points per run: its first and last point, and the min and
    max of equal step intervals between (so spikes survive). Series short enough that their
    chunk sketches are too coarse are downsampled from their points, as chart reads are."""
    if not ids or not name:
        return {}
    if not 2 <= points <= 500:
        raise Invalid("sparkline_points must be between 2 and 500", field="sparkline_points")
    rows = session.execute(
        select(
            SeriesRow.run_id,
            SeriesRow.id,
            SeriesRow.first,
            SeriesRow.last,
            ChunkRow.count,
            ChunkRow.sketch,
            ChunkRow.step_min,
            ChunkRow.step_max,
        )
        .join(ChunkRow, ChunkRow.series_id == SeriesRow.id)
        .where(SeriesRow.run_id.in_(ids), SeriesRow.name == name, SeriesRow.kind == "numeric")
        .order_by(SeriesRow.run_id, ChunkRow.seq)
    )
    per_run: dict[int, _SparkSource] = {}
    for run_pk, series_pk, first, last, count, sketch, lo, hi in rows:
        source = per_run.setdefault(run_pk, _SparkSource(series_pk, first, last, lo))
        source.count += int(count)
        source.step_last = hi
        source.sketches.append(bytes(sketch))
    # Two of the points are the first and the last; the rest are a min and a max per bucket.
    buckets = (points - 2) // 2
    exact = [s.series_pk for s in per_run.values() if s.count <= buckets * EXACT_POINTS_PER_BUCKET]
    data: dict[int, list[bytes]] = {}
    if exact:
        for series_pk, blob in session.execute(
            select(ChunkRow.series_id, ChunkRow.data)
            .where(ChunkRow.series_id.in_(exact))
            .order_by(ChunkRow.series_id, ChunkRow.seq)
        ):
            data.setdefault(series_pk, []).append(bytes(blob))
    out: dict[int, Sparkline] = {}
    for run_pk, source in per_run.items():
        lo, hi = source.step_first, source.step_last
        if buckets < 1:
            down = overview.Downsampled(np.empty(0), np.empty(0))
        elif source.series_pk in data:
            parts = [codec.decode_chunk(blob) for blob in data[source.series_pk]]
            down = overview.downsample_points(codec.PointArrays.concat(parts), buckets, lo, hi)
        else:
            sketches = [overview.decode_sketch(blob) for blob in source.sketches]
            down = overview.downsample_sketches(sketches, buckets, lo, hi)
        steps = np.asarray(down.steps).tolist()
        values = np.asarray(down.values).tolist()
        if source.first is not None and not _same_point(steps, values, 0, lo, source.first):
            steps.insert(0, lo)
            values.insert(0, source.first)
        if source.last is not None and not _same_point(steps, values, -1, hi, source.last):
            steps.append(hi)
            values.append(source.last)
        out[run_pk] = Sparkline(name, tuple(steps), tuple(values))
    return out


class _SparkSource:
    """What one run's sparkline is drawn from: its series' ends and chunk sketches."""

    def __init__(
        self, series_pk: int, first: float | None, last: float | None, step_first: float
    ) -> None:
        self.series_pk = series_pk
        self.first = first
        self.last = last
        self.step_first = step_first
        self.step_last = step_first
        self.count = 0
        self.sketches: list[bytes] = []


def _same_point(
    steps: list[float], values: list[float], at: int, step: float, value: float
) -> bool:
    """Whether the point ``at`` of the curve is (step, value); NaN equals NaN."""
    if not steps or steps[at] != step:
        return False
    kept = values[at]
    return kept == value or (math.isnan(kept) and math.isnan(value))
