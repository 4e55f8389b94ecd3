"""Projects: qualified names, short keys for run ids, access by token scope."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import validation
from ..entities import Principal
from ..errors import Conflict, Forbidden, NotFound
from ..models import ProjectRow
from . import convert


def _key_for(session: Session, name: str) -> str:
    letters = re.sub(r"[^A-Za-z0-9]", "", name.rsplit("/", 1)[-1]).upper() or "P"
    if not letters[0].isalpha():
        letters = "P" + letters
    base = letters[:3]
    taken = set(session.scalars(select(ProjectRow.key).where(ProjectRow.key.like(base + "%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def find(session: Session, name: str) -> ProjectRow | None:
    return session.scalar(select(ProjectRow).where(ProjectRow.name == name))


def create(session: Session, name: str, description: str = "") -> ProjectRow:
    validation.project_name(name, "name")
    validation.text(description, "description", 100_000)
    if find(session, name) is not None:
        raise Conflict(f"project '{name}' exists already", field="name")
    row = ProjectRow(
        name=name,
        key=_key_for(session, name),
        description=description,
        created_at=convert.now(),
        last_run_number=0,
    )
    session.add(row)
    session.flush()
    return row


def ensure(session: Session, name: str) -> ProjectRow:
    return find(session, name) or create(session, name)


def get_accessible(session: Session, principal: Principal, name: str) -> ProjectRow:
    """The project, if it exists and the caller's token covers it."""
    validation.project_name(name)
    row = find(session, name)
    if row is None:
        raise NotFound(f"no project '{name}'", field="project")
    check_access(principal, row)
    return row


def check_access(principal: Principal, row: ProjectRow) -> None:
    if not principal.may_access(row.name):
        raise Forbidden(f"this API token does not cover project '{row.name}'", field="project")


def list_accessible(session: Session, principal: Principal) -> list[ProjectRow]:
    rows = session.scalars(select(ProjectRow).order_by(ProjectRow.name))
    return [row for row in rows if principal.may_access(row.name)]
