"""Notebooks and their numbered checkpoints: each checkpoint names a content-addressed blob."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import validation
from ..blobs import BlobInfo
from ..entities import Checkpoint, NotebookSummary, Principal
from ..errors import NotFound
from ..models import CheckpointRow, NotebookRow, ProjectRow, RunRow
from . import convert, projects


def _notebook(session: Session, project: ProjectRow, path: str, create: bool) -> NotebookRow:
    path = validation.file_path(path)
    row = session.scalar(
        select(NotebookRow).where(NotebookRow.project_id == project.id, NotebookRow.path == path)
    )
    if row is None:
        if not create:
            raise NotFound(f"project '{project.name}' has no notebook '{path}'", field="path")
        row = NotebookRow(project_id=project.id, path=path, created_at=convert.now(), last_number=0)
        session.add(row)
        session.flush()
    return row


def _entity(project: ProjectRow, notebook: NotebookRow, row: CheckpointRow) -> Checkpoint:
    return Checkpoint(
        project=project.name,
        path=notebook.path,
        number=row.number,
        sha256=row.sha256,
        size=row.size,
        description=row.description,
        author=row.author,
        run_id=row.run_label,
        created_at=convert.utc(row.created_at),
    )


def create(
    session: Session,
    principal: Principal,
    project_name: str,
    path: str,
    blob: BlobInfo,
    description: str,
    run: tuple[ProjectRow, RunRow] | None,
) -> Checkpoint:
    """The next checkpoint of the notebook (made on first use); linked to ``run`` if given."""
    project = projects.get_accessible(session, principal, project_name)
    validation.text(description, "description", 10_000)
    notebook = _notebook(session, project, path, create=True)
    notebook = (
        session.scalar(select(NotebookRow).where(NotebookRow.id == notebook.id).with_for_update())
        or notebook
    )
    notebook.last_number += 1
    run_label = f"{run[0].key}-{run[1].number}" if run else None
    row = CheckpointRow(
        notebook_id=notebook.id,
        number=notebook.last_number,
        sha256=blob.sha256,
        size=blob.size,
        description=description,
        author=principal.user.name,
        run_label=run_label,
        created_at=convert.now(),
    )
    session.add(row)
    session.flush()
    if run is not None:
        run[1].checkpoint_id = row.id
    return _entity(project, notebook, row)


def list_notebooks(
    session: Session, principal: Principal, project_name: str
) -> list[NotebookSummary]:
    project = projects.get_accessible(session, principal, project_name)
    rows = session.execute(
        select(NotebookRow, func.max(CheckpointRow.created_at))
        .join(CheckpointRow, CheckpointRow.notebook_id == NotebookRow.id)
        .where(NotebookRow.project_id == project.id)
        .group_by(NotebookRow.id)
        .order_by(NotebookRow.path)
    )
    return [
        NotebookSummary(project.name, nb.path, nb.last_number, convert.utc(last))
        for nb, last in rows
    ]


def list_checkpoints(
    session: Session, principal: Principal, project_name: str, path: str
) -> list[Checkpoint]:
    project = projects.get_accessible(session, principal, project_name)
    notebook = _notebook(session, project, path, create=False)
    rows = session.scalars(
        select(CheckpointRow)
        .where(CheckpointRow.notebook_id == notebook.id)
        .order_by(CheckpointRow.number.desc())
    )
    return [_entity(project, notebook, row) for row in rows]


def get(
    session: Session, principal: Principal, project_name: str, path: str, number: int
) -> Checkpoint:
    project = projects.get_accessible(session, principal, project_name)
    notebook = _notebook(session, project, path, create=False)
    row = session.scalar(
        select(CheckpointRow).where(
            CheckpointRow.notebook_id == notebook.id, CheckpointRow.number == number
        )
    )
    if row is None:
        raise NotFound(f"notebook '{notebook.path}' has no checkpoint {number}", field="number")
    return _entity(project, notebook, row)
