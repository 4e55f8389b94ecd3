"""Runs: creation, lookup, and the metadata part of a batch (params, properties, tags, state)."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from .. import validation
from ..entities import (
    CHECKPOINT_ORIGINS,
    CheckpointOrigin,
    ParamValue,
    Principal,
    Run,
    RunCheckpoint,
    SeriesSummary,
    Sparkline,
)
from ..errors import Conflict, Invalid, NotFound
from ..inputs import Batch, NewRun
from ..models import CheckpointRow, NotebookRow, ParamRow, ProjectRow, PropertyRow, RunRow, TagRow
from . import convert, projects

TERMINAL_STATES = frozenset({"succeeded", "failed", "aborted"})
# Run numbers are 32-bit in the schema; a larger one names no run (and PostgreSQL would refuse it).
MAX_RUN_NUMBER = 2**31 - 1


def json_value(value: Any) -> Any:
    """``value`` fit for a JSON column: PostgreSQL refuses NaN and Infinity there, so non-finite
    numbers are stored as the strings the API shows them as, on every backend alike."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value


def run_id(project: ProjectRow, row: RunRow) -> str:
    return f"{project.key}-{row.number}"


def find(
    session: Session, principal: Principal, rid: str, *, for_update: bool = False
) -> tuple[ProjectRow, RunRow]:
    key, number = validation.run_id(rid)
    project = session.scalar(select(ProjectRow).where(ProjectRow.key == key))
    if project is None or number > MAX_RUN_NUMBER:
        raise NotFound(f"no run {rid}", field="run_id")
    stmt = select(RunRow).where(RunRow.project_id == project.id, RunRow.number == number)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalar(stmt)
    if row is None:
        raise NotFound(f"no run {rid}", field="run_id")
    projects.check_access(principal, project)
    return project, row


def validate_new(new: NewRun) -> None:
    """What ``create`` checks of ``new`` by itself, before it touches the database."""
    validation.name(new.name, "name", allow_empty=True)
    validation.text(new.description, "description", 100_000)
    validation.client_key(new.client_key)
    validation.kernel_id(new.kernel_id)
    validation.cell_id(new.notebook_cell_id)
    validation.execution_count(new.notebook_execution_count)


def find_by_client_key(
    session: Session, principal: Principal, project_name: str, key: str
) -> tuple[ProjectRow, RunRow] | None:
    project = projects.get_accessible(session, principal, project_name)
    row = session.scalar(
        select(RunRow).where(RunRow.project_id == project.id, RunRow.client_key == key)
    )
    return None if row is None else (project, row)


def create(session: Session, principal: Principal, new: NewRun) -> tuple[ProjectRow, RunRow]:
    """A new run; the caller has looked for one with ``new.client_key`` already."""
    validate_new(new)
    project = projects.get_accessible(session, principal, new.project)
    number = session.scalar(
        update(ProjectRow)
        .where(ProjectRow.id == project.id)
        .values(last_run_number=ProjectRow.last_run_number + 1)
        .returning(ProjectRow.last_run_number)
    )
    assert number is not None
    at = convert.now()
    row = RunRow(
        project_id=project.id,
        number=number,
        name=new.name,
        description=new.description,
        owner=new.owner,
        state="running",
        created_at=at,
        updated_at=at,
        heartbeat_at=at,
        notebook_path=new.notebook_path,
        details=json_value(dict(new.details)),
        client_key=new.client_key,
        kernel_id=new.kernel_id,
        notebook_cell_id=new.notebook_cell_id,
        notebook_execution_count=new.notebook_execution_count,
    )
    session.add(row)
    session.flush()
    apply_metadata(
        session,
        row,
        Batch(params=new.params, set_properties=new.properties, add_tags=new.tags),
    )
    return project, row


def apply_metadata(session: Session, row: RunRow, batch: Batch) -> None:
    """Params (set once), properties, tags, name, description, state and heartbeat."""
    if batch.params:
        existing = {
            p.key: p
            for p in session.scalars(
                select(ParamRow).where(
                    ParamRow.run_id == row.id, ParamRow.key.in_(list(batch.params))
                )
            )
        }
        for key, value in batch.params.items():
            validation.name(key, "params")
            validation.param_value(value, f"params.{key}")
            stored = json_value(value)
            if key in existing:
                if json_value(existing[key].value) != stored:
                    raise Conflict(f"parameter '{key}' is set already", field=f"params.{key}")
                continue
            number, text = validation.param_columns(value)
            session.add(
                ParamRow(run_id=row.id, key=key, value=stored, value_num=number, value_text=text)
            )
    for key, value in batch.set_properties.items():
        validation.name(key, "properties")
        validation.text(value, f"properties.{key}", 100_000)
        prop = session.get(PropertyRow, (row.id, key))
        if prop is None:
            session.add(PropertyRow(run_id=row.id, key=key, value=value))
        else:
            prop.value = value
    if batch.remove_properties:
        session.execute(
            delete(PropertyRow).where(
                PropertyRow.run_id == row.id, PropertyRow.key.in_(batch.remove_properties)
            )
        )
    for tag in dict.fromkeys(batch.add_tags):
        validation.name(tag, "tags")
        if session.get(TagRow, (row.id, tag)) is None:
            session.add(TagRow(run_id=row.id, tag=tag))
    if batch.remove_tags:
        session.execute(
            delete(TagRow).where(TagRow.run_id == row.id, TagRow.tag.in_(batch.remove_tags))
        )
    if batch.name is not None:
        row.name = validation.name(batch.name, "name", allow_empty=True)
    if batch.description is not None:
        row.description = validation.text(batch.description, "description", 100_000)
    at = convert.now()
    if batch.state is not None:
        if batch.state == "running" and row.state in TERMINAL_STATES:
            raise Conflict(f"run has {row.state} already; it cannot run again", field="state")
        row.state = batch.state
        if batch.state in TERMINAL_STATES and row.finished_at is None:
            row.finished_at = at
    if batch.exception is not None:
        if row.state != "failed":
            raise Invalid("exception may only be set on a failed run", field="exception")
        row.exception = validation.text(batch.exception, "exception")
    if batch.heartbeat:
        row.heartbeat_at = at
    row.updated_at = at
    session.flush()


def entities(
    session: Session,
    pairs: Sequence[tuple[ProjectRow, RunRow]],
    metrics: dict[int, dict[str, SeriesSummary]] | None = None,
    sparklines: dict[int, Sparkline] | None = None,
) -> list[Run]:
    """Entities for many runs, loading params, properties and tags in three queries."""
    ids = [row.id for _, row in pairs]
    params: dict[int, dict[str, ParamValue]] = defaultdict(dict)
    props: dict[int, dict[str, str]] = defaultdict(dict)
    tags: dict[int, list[str]] = defaultdict(list)
    if ids:
        for p in session.scalars(select(ParamRow).where(ParamRow.run_id.in_(ids))):
            params[p.run_id][p.key] = p.value
        for q in session.scalars(select(PropertyRow).where(PropertyRow.run_id.in_(ids))):
            props[q.run_id][q.key] = q.value
        for t in session.scalars(select(TagRow).where(TagRow.run_id.in_(ids)).order_by(TagRow.tag)):
            tags[t.run_id].append(t.tag)
    checkpoints = _checkpoints(session, [row.checkpoint_id for _, row in pairs])
    return [
        Run(
            id=run_id(project, row),
            project=project.name,
            number=row.number,
            name=row.name,
            description=row.description,
            owner=row.owner,
            state=convert.run_state(row.state),
            created_at=convert.utc(row.created_at),
            updated_at=convert.utc(row.updated_at),
            finished_at=convert.utc_or_none(row.finished_at),
            heartbeat_at=convert.utc_or_none(row.heartbeat_at),
            exception=row.exception,
            notebook_path=row.notebook_path,
            details=dict(row.details or {}),
            params=dict(sorted(params[row.id].items())),
            properties=dict(sorted(props[row.id].items())),
            tags=tuple(tags[row.id]),
            client_key=row.client_key,
            kernel_id=row.kernel_id,
            metrics=(metrics or {}).get(row.id, {}),
            sparkline=(sparklines or {}).get(row.id),
            checkpoint=checkpoints.get(row.checkpoint_id) if row.checkpoint_id else None,
            notebook_cell_id=row.notebook_cell_id,
            notebook_execution_count=row.notebook_execution_count,
        )
        for project, row in pairs
    ]


def abort_running(session: Session, where: ColumnElement[bool]) -> list[str]:
    """Mark every ``running`` run that matches ``where`` aborted, in one UPDATE; their ids.

    The state test is part of the UPDATE, so among servers racing to abort the same runs (or a
    batch that finishes one meanwhile) each run is aborted once and reported by one of them.
    """
    at = convert.now()
    changed = session.execute(
        update(RunRow)
        .where(RunRow.state == "running", where)
        .values(state="aborted", finished_at=at, updated_at=at)
        .returning(RunRow.project_id, RunRow.number)
        .execution_options(synchronize_session=False)
    ).all()
    if not changed:
        return []
    keys: dict[int, str] = {
        project_id: key
        for project_id, key in session.execute(
            select(ProjectRow.id, ProjectRow.key).where(
                ProjectRow.id.in_({project_id for project_id, _ in changed})
            )
        )
    }
    return [f"{key}-{number}" for key, number in sorted((keys[p], n) for p, n in changed)]


def stale(older_than: dt.datetime) -> ColumnElement[bool]:
    """Runs whose last heartbeat (or creation, if none) is before ``older_than``."""
    return func.coalesce(RunRow.heartbeat_at, RunRow.created_at) < convert.as_utc(older_than)


def of_kernel(kernel_id: str, created_before: dt.datetime | None) -> ColumnElement[bool]:
    condition = RunRow.kernel_id == kernel_id
    if created_before is not None:
        condition = condition & (RunRow.created_at < convert.as_utc(created_before))
    return condition


def _checkpoints(session: Session, ids: list[int | None]) -> dict[int, RunCheckpoint]:
    """What each run shows of its checkpoint, by checkpoint id, in one query."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(
        select(
            CheckpointRow.id,
            NotebookRow.path,
            CheckpointRow.number,
            NotebookRow.uid,
            CheckpointRow.origin,
            CheckpointRow.warnings,
        )
        .join(NotebookRow, NotebookRow.id == CheckpointRow.notebook_id)
        .where(CheckpointRow.id.in_(wanted))
    )
    return {
        cid: RunCheckpoint(
            path=path,
            number=number,
            notebook_id=uid,
            origin=checkpoint_origin(origin),
            warnings=tuple(warnings or ()),
        )
        for cid, path, number, uid, origin, warnings in rows
    }


def checkpoint_origin(value: str) -> CheckpointOrigin:
    for known in CHECKPOINT_ORIGINS:
        if value == known:
            return known
    return "upload"
