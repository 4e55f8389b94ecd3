"""Notebooks and their numbered checkpoints: each checkpoint names a content-addressed blob.

A notebook is known by the id in its metadata once it has one, so that a rename or a move keeps
its numbering and history; before that, by its path.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import validation
from ..blobs import BlobInfo
from ..entities import CHECKPOINT_ORIGINS, Checkpoint, NotebookSummary, Principal
from ..errors import Conflict, Invalid, NotFound
from ..inputs import NewCheckpoint
from ..models import CheckpointRow, NotebookRow, ProjectRow, RunRow
from . import convert, projects, runs

MAX_DESCRIPTION = 10_000


def validate_new(new: NewCheckpoint) -> None:
    """What ``create`` checks of ``new`` by itself, before it touches the database."""
    validation.file_path(new.path)
    validation.text(new.description, "description", MAX_DESCRIPTION)
    validation.notebook_uid(new.notebook_id)
    if new.origin not in CHECKPOINT_ORIGINS:
        raise Invalid(f"origin must be one of {', '.join(CHECKPOINT_ORIGINS)}", field="origin")
    if new.run_id is not None:
        validation.run_id(new.run_id)
    validation.cell_id(new.cell_id, "cell_id")
    validation.execution_count(new.execution_count, "execution_count")


def _by_path(session: Session, project: ProjectRow, path: str) -> NotebookRow | None:
    return session.scalar(
        select(NotebookRow).where(NotebookRow.project_id == project.id, NotebookRow.path == path)
    )


def _by_uid(session: Session, project: ProjectRow, uid: str) -> NotebookRow | None:
    return session.scalar(
        select(NotebookRow).where(NotebookRow.project_id == project.id, NotebookRow.uid == uid)
    )


def find(session: Session, project: ProjectRow, path: str | None, uid: str | None) -> NotebookRow:
    """The notebook with id ``uid`` if given, else the one at ``path``; NotFound if none."""
    if uid is not None:
        uid = validation.notebook_uid(uid)
        assert uid is not None
        row = _by_uid(session, project, uid)
        if row is None:
            raise NotFound(
                f"project '{project.name}' has no notebook with id '{uid}'", field="notebook_id"
            )
        return row
    path = validation.file_path(path or "")
    row = _by_path(session, project, path)
    if row is None:
        raise NotFound(f"project '{project.name}' has no notebook '{path}'", field="path")
    return row


def _resolve(session: Session, project: ProjectRow, path: str, uid: str | None) -> NotebookRow:
    """The notebook a checkpoint at ``path`` with id ``uid`` belongs to; made if new.

    Known id: that notebook, moved to ``path`` if it was elsewhere (Conflict if another notebook
    is at ``path``). Else the notebook at ``path``, which takes the id if it had none. Else a new
    notebook.
    """
    if uid is not None:
        row = _by_uid(session, project, uid)
        if row is not None:
            if row.path != path:
                if _by_path(session, project, path) is not None:
                    raise Conflict(
                        f"notebook '{row.path}' cannot move to '{path}': project "
                        f"'{project.name}' has another notebook there",
                        field="path",
                    )
                row.path = path
                session.flush()
            return row
    row = _by_path(session, project, path)
    if row is not None:
        if row.uid is None and uid is not None:
            row.uid = uid
            session.flush()
        return row
    row = NotebookRow(
        project_id=project.id, path=path, uid=uid, created_at=convert.now(), last_number=0
    )
    session.add(row)
    session.flush()
    return row


def _run_ids(
    session: Session, project: ProjectRow, checkpoint_ids: Iterable[int]
) -> dict[int, tuple[str, ...]]:
    """The runs linked to each checkpoint, oldest first, in one query."""
    wanted = list(checkpoint_ids)
    found: dict[int, list[str]] = defaultdict(list)
    if wanted:
        rows = session.execute(
            select(RunRow.checkpoint_id, RunRow.number)
            .where(RunRow.project_id == project.id, RunRow.checkpoint_id.in_(wanted))
            .order_by(RunRow.number)
        )
        for checkpoint_id, number in rows:
            assert checkpoint_id is not None
            found[checkpoint_id].append(f"{project.key}-{number}")
    return {k: tuple(v) for k, v in found.items()}


def _entity(
    project: ProjectRow, notebook: NotebookRow, row: CheckpointRow, linked: tuple[str, ...]
) -> Checkpoint:
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
        notebook_id=notebook.uid,
        origin=runs.checkpoint_origin(row.origin),
        runs=linked,
        warnings=tuple(row.warnings or ()),
    )


def _entities(
    session: Session, project: ProjectRow, notebook: NotebookRow, rows: list[CheckpointRow]
) -> list[Checkpoint]:
    linked = _run_ids(session, project, [r.id for r in rows])
    return [_entity(project, notebook, r, linked.get(r.id, ())) for r in rows]


def _link(session: Session, run: RunRow, checkpoint: CheckpointRow, new: NewCheckpoint) -> None:
    run.checkpoint_id = checkpoint.id
    if new.cell_id is not None:
        run.notebook_cell_id = new.cell_id
    if new.execution_count is not None:
        run.notebook_execution_count = new.execution_count
    session.flush()


def create(
    session: Session,
    principal: Principal,
    new: NewCheckpoint,
    put_blob: Callable[[bytes], BlobInfo],
) -> tuple[Checkpoint, bool]:
    """The next checkpoint of the notebook (made on first use), linked to ``new.run_id`` if
    given; ``False`` with an existing checkpoint when nothing new is stored (see
    ``TrackerStore.create_checkpoint``). ``put_blob`` is called only once every check passed."""
    validate_new(new)
    uid = validation.notebook_uid(new.notebook_id)
    project = projects.get_accessible(session, principal, new.project)
    path = validation.file_path(new.path)
    run: RunRow | None = None
    if new.run_id is not None:
        run_project, run = runs.find(session, principal, new.run_id, for_update=True)
        if run_project.id != project.id:
            raise Invalid(f"run {new.run_id} is not in project '{project.name}'", field="run_id")
        if new.origin == "disk" and run.checkpoint_id is not None:
            linked = session.get(CheckpointRow, run.checkpoint_id)
            if linked is not None and linked.origin == "editor":
                # The editor's copy of the notebook as it ran beats the file on disk.
                owner = session.get(NotebookRow, linked.notebook_id)
                assert owner is not None
                return _entities(session, project, owner, [linked])[0], False
    notebook = _resolve(session, project, path, uid)
    notebook = (
        session.scalar(select(NotebookRow).where(NotebookRow.id == notebook.id).with_for_update())
        or notebook
    )
    sha256 = hashlib.sha256(new.content).hexdigest()
    latest = session.scalar(
        select(CheckpointRow).where(
            CheckpointRow.notebook_id == notebook.id, CheckpointRow.number == notebook.last_number
        )
    )
    if latest is not None and latest.sha256 == sha256:
        if run is not None:
            _link(session, run, latest, new)
        return _entities(session, project, notebook, [latest])[0], False
    blob = put_blob(new.content)
    notebook.last_number += 1
    row = CheckpointRow(
        notebook_id=notebook.id,
        number=notebook.last_number,
        sha256=blob.sha256,
        size=blob.size,
        description=new.description,
        author=principal.user.name,
        run_label=runs.run_id(project, run) if run is not None else None,
        created_at=convert.now(),
        origin=new.origin,
        warnings=[dict(w) for w in new.warnings],
    )
    session.add(row)
    session.flush()
    if run is not None:
        _link(session, run, row, new)
    return _entities(session, project, notebook, [row])[0], True


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
        NotebookSummary(project.name, nb.path, nb.last_number, convert.utc(last), nb.uid)
        for nb, last in rows
    ]


def list_checkpoints(
    session: Session,
    principal: Principal,
    project_name: str,
    path: str | None,
    uid: str | None = None,
) -> list[Checkpoint]:
    project = projects.get_accessible(session, principal, project_name)
    notebook = find(session, project, path, uid)
    rows = session.scalars(
        select(CheckpointRow)
        .where(CheckpointRow.notebook_id == notebook.id)
        .order_by(CheckpointRow.number.desc())
    )
    return _entities(session, project, notebook, list(rows))


def get(
    session: Session,
    principal: Principal,
    project_name: str,
    path: str | None,
    number: int,
    uid: str | None = None,
) -> Checkpoint:
    project = projects.get_accessible(session, principal, project_name)
    notebook = find(session, project, path, uid)
    row = session.scalar(
        select(CheckpointRow).where(
            CheckpointRow.notebook_id == notebook.id, CheckpointRow.number == number
        )
    )
    if row is None:
        raise NotFound(f"notebook '{notebook.path}' has no checkpoint {number}", field="number")
    return _entities(session, project, notebook, [row])[0]
