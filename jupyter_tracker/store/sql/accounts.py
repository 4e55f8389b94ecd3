"""Users and API tokens: random secrets stored only as sha256, checked in constant time."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import validation
from ..entities import TOKEN_PREFIX, ApiToken, Principal, User
from ..errors import Invalid, NotFound, Unauthenticated
from ..models import ApiTokenRow, ProjectRow, TokenProjectRow, UserRow
from . import convert


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def ensure_user(session: Session, name: str) -> UserRow:
    validation.name(name, "user")
    row = session.scalar(select(UserRow).where(UserRow.name == name))
    if row is None:
        row = UserRow(name=name, created_at=convert.now())
        session.add(row)
        session.flush()
    return row


def _token_projects(session: Session, token_id: int) -> tuple[str, ...]:
    names = session.scalars(
        select(ProjectRow.name)
        .join(TokenProjectRow, TokenProjectRow.project_id == ProjectRow.id)
        .where(TokenProjectRow.token_id == token_id)
        .order_by(ProjectRow.name)
    )
    return tuple(names)


def _entity(session: Session, row: ApiTokenRow, user: str) -> ApiToken:
    projects = None if row.all_projects else _token_projects(session, row.id)
    return convert.token(row, user, projects)


def create_token(
    session: Session, user: str, name: str, projects: tuple[str, ...] | None
) -> tuple[ApiToken, str]:
    validation.name(name, "name")
    owner = ensure_user(session, user)
    project_rows: list[ProjectRow] = []
    if projects is not None:
        if not projects:
            raise Invalid("projects must name at least one project, or be omitted", "projects")
        for project in projects:
            validation.project_name(project, "projects")
            found = session.scalar(select(ProjectRow).where(ProjectRow.name == project))
            if found is None:
                raise NotFound(f"no project '{project}'", field="projects")
            project_rows.append(found)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiTokenRow(
        user_id=owner.id,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 4],
        secret_hash=hash_secret(secret),
        all_projects=projects is None,
        created_at=convert.now(),
    )
    session.add(row)
    session.flush()
    for project_row in project_rows:
        session.add(TokenProjectRow(token_id=row.id, project_id=project_row.id))
    session.flush()
    return _entity(session, row, user), secret


def list_tokens(session: Session, user: str) -> list[ApiToken]:
    rows = session.scalars(
        select(ApiTokenRow)
        .join(UserRow, UserRow.id == ApiTokenRow.user_id)
        .where(UserRow.name == user)
        .order_by(ApiTokenRow.id)
    )
    return [_entity(session, row, user) for row in rows]


def revoke_token(session: Session, user: str, token_id: int) -> ApiToken:
    row = session.scalar(
        select(ApiTokenRow)
        .join(UserRow, UserRow.id == ApiTokenRow.user_id)
        .where(UserRow.name == user, ApiTokenRow.id == token_id)
    )
    if row is None:
        raise NotFound(f"no token {token_id}", field="token_id")
    if row.revoked_at is None:
        row.revoked_at = convert.now()
    return _entity(session, row, user)


# How often a token's last use is written down: often enough to tell, rare enough to cost nothing.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def touch(session: Session, token_id: int) -> None:
    row = session.get(ApiTokenRow, token_id)
    if row is not None:
        row.last_used_at = convert.now()


def authenticate(session: Session, secret: str) -> tuple[Principal, int | None]:
    """The caller a secret stands for, and the token's id if its last use is due a write."""
    if not secret.startswith(TOKEN_PREFIX):
        raise Unauthenticated("not a tracker API token")
    digest = hash_secret(secret)
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.secret_hash == digest))
    # The lookup is by hash; compare again in constant time so that no timing leaks a match.
    if row is None or not hmac.compare_digest(row.secret_hash, digest) or row.revoked_at:
        raise Unauthenticated("invalid or revoked API token")
    user = session.get(UserRow, row.user_id)
    assert user is not None
    projects = None if row.all_projects else frozenset(_token_projects(session, row.id))
    last = convert.utc_or_none(row.last_used_at)
    stale = row.id if last is None or convert.now() - last > LAST_USED_RESOLUTION else None
    return Principal(User(user.id, user.name), projects, via_token=True), stale
