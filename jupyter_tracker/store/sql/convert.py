"""Turning ORM rows into the store's frozen entities."""

from __future__ import annotations

import datetime as dt
import math
from typing import cast

from ..entities import ApiToken, Project, RunState, SeriesKind, SeriesSummary, StoredFile
from ..entities import FileKind as FileKindT
from ..models import ApiTokenRow, FileRow, ProjectRow, SeriesRow


def utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def utc_or_none(value: dt.datetime | None) -> dt.datetime | None:
    return utc(value) if value is not None else None


def as_utc(value: dt.datetime) -> dt.datetime:
    """An aware datetime in UTC, as every time is stored; a naive one is taken to be UTC."""
    return utc(value).astimezone(dt.timezone.utc)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def project(row: ProjectRow) -> Project:
    return Project(
        name=row.name,
        key=row.key,
        description=row.description,
        created_at=utc(row.created_at),
        run_count=row.last_run_number,
    )


def token(row: ApiTokenRow, user: str, projects: tuple[str, ...] | None) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        user=user,
        projects=projects,
        created_at=utc(row.created_at),
        last_used_at=utc_or_none(row.last_used_at),
        revoked_at=utc_or_none(row.revoked_at),
    )


def series(row: SeriesRow) -> SeriesSummary:
    # SQLite stores a NaN as NULL; a numeric series with points always has a first and a
    # last value, so NULL there can only have been NaN.
    gap = math.nan if row.kind == "numeric" and row.count else None
    return SeriesSummary(
        name=row.name,
        kind=cast(SeriesKind, row.kind),
        count=row.count,
        first=gap if row.first is None else row.first,
        last=gap if row.last is None else row.last,
        min=row.min,
        max=row.max,
        last_step=row.last_step,
        last_text=row.last_text,
        updated_at=utc(row.updated_at),
    )


def stored_file(row: FileRow, run_id: str) -> StoredFile:
    return StoredFile(
        run_id=run_id,
        kind=cast(FileKindT, row.kind),
        path=row.path,
        size=row.size,
        sha256=row.sha256,
        created_at=utc(row.created_at),
    )


def run_state(value: str) -> RunState:
    return cast(RunState, value)
