"""Artifacts and source files of a run: validated relative paths naming blobs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import validation
from ..blobs import BlobInfo
from ..entities import FileKind, StoredFile
from ..errors import NotFound
from ..models import EntryRow, FileRow, SeriesRow
from . import convert


def record(
    session: Session, run_pk: int, rid: str, kind: FileKind, path: str, blob: BlobInfo
) -> StoredFile:
    path = validation.file_path(path)
    row = session.scalar(
        select(FileRow).where(FileRow.run_id == run_pk, FileRow.kind == kind, FileRow.path == path)
    )
    if row is None:
        row = FileRow(
            run_id=run_pk,
            kind=kind,
            path=path,
            size=blob.size,
            sha256=blob.sha256,
            created_at=convert.now(),
        )
        session.add(row)
    else:
        row.size, row.sha256, row.created_at = blob.size, blob.sha256, convert.now()
    session.flush()
    return convert.stored_file(row, rid)


def list_files(session: Session, run_pk: int, rid: str, kind: FileKind) -> list[StoredFile]:
    rows = session.scalars(
        select(FileRow).where(FileRow.run_id == run_pk, FileRow.kind == kind).order_by(FileRow.path)
    )
    return [convert.stored_file(row, rid) for row in rows]


def get(session: Session, run_pk: int, rid: str, kind: FileKind, path: str) -> StoredFile:
    path = validation.file_path(path)
    row = session.scalar(
        select(FileRow).where(FileRow.run_id == run_pk, FileRow.kind == kind, FileRow.path == path)
    )
    if row is None:
        raise NotFound(f"run {rid} has no {kind} '{path}'", field="path")
    return convert.stored_file(row, rid)


def image_type(session: Session, run_pk: int, sha256: str) -> str | None:
    """The content type of an image of this run with that hash, or None if it has none."""
    return session.scalar(
        select(EntryRow.content_type)
        .join(SeriesRow, SeriesRow.id == EntryRow.series_id)
        .where(SeriesRow.run_id == run_pk, EntryRow.blob_sha256 == sha256)
        .limit(1)
    )
