"""SQLAlchemy ORM models: the schema. Change it only together with an Alembic migration."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _tz() -> DateTime:
    return DateTime(timezone=True)


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(_tz())


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    all_projects: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(_tz())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(_tz(), nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(_tz(), nullable=True)


class TokenProjectRow(Base):
    __tablename__ = "api_token_projects"
    token_id: Mapped[int] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )


class ProjectRow(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    key: Mapped[str] = mapped_column(String(16), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(_tz())
    last_run_number: Mapped[int] = mapped_column(Integer, default=0)


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("project_id", "number", name="uq_runs_project_number"),
        # A unique index rather than a UNIQUE constraint: SQLite can add the index in place,
        # while adding a constraint means rebuilding the table, and dropping the old ``runs``
        # with foreign keys on would cascade-delete every param, tag and series. NULLs (runs
        # made without a key) are distinct on both backends.
        Index("uq_runs_project_client_key", "project_id", "client_key", unique=True),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(255), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(_tz(), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(_tz())
    finished_at: Mapped[dt.datetime | None] = mapped_column(_tz(), nullable=True)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(_tz(), nullable=True)
    exception: Mapped[str | None] = mapped_column(Text, nullable=True)
    notebook_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Chosen by the client, so that retrying a creation finds the run made the first time.
    client_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The Jupyter kernel the run lives in; its shutdown or restart ends the run.
    kernel_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # The notebook checkpoint the run came from. No foreign key: checkpoints name their run by
    # id, and a cycle of keys between the two tables would make SQLite rebuilds cascade.
    checkpoint_id: Mapped[int | None] = mapped_column(Id, nullable=True, index=True)
    # The cell that started the run (its id in the notebook, and its execution count).
    notebook_cell_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    notebook_execution_count: Mapped[int | None] = mapped_column(Integer, nullable=True)


class AppliedBatchRow(Base):
    """One row per (run, sequence number) applied: a replayed batch finds its row and stops."""

    __tablename__ = "applied_batches"
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class ParamRow(Base):
    __tablename__ = "params"
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    value_num: Mapped[float | None] = mapped_column(Float, nullable=True)
    value_text: Mapped[str | None] = mapped_column(Text, nullable=True)


class PropertyRow(Base):
    __tablename__ = "properties"
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class TagRow(Base):
    __tablename__ = "tags"
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)


class SeriesRow(Base):
    """A named series of a run with its running summary, so lists never scan points."""

    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("run_id", "name", name="uq_series_run_name"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    first: Mapped[float | None] = mapped_column(Float, nullable=True)
    last: Mapped[float | None] = mapped_column(Float, nullable=True)
    min: Mapped[float | None] = mapped_column(Float, nullable=True)
    max: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_step: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(_tz())


class ChunkRow(Base):
    """Up to ``series_codec.CHUNK_POINTS`` numeric points, packed and compressed."""

    __tablename__ = "series_chunks"
    series_id: Mapped[int] = mapped_column(
        ForeignKey("series.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    step_min: Mapped[float] = mapped_column(Float)
    step_max: Mapped[float] = mapped_column(Float)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sketch: Mapped[bytes] = mapped_column(LargeBinary)


class EntryRow(Base):
    """One point of a text or image series."""

    __tablename__ = "series_entries"
    __table_args__ = (Index("ix_series_entries_series_step", "series_id", "step"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    step: Mapped[float] = mapped_column(Float)
    timestamp: Mapped[float] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    blob_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(255), nullable=True)
    image_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)


class FileRow(Base):
    """An artifact or source file of a run; the bytes live in the blob store under sha256."""

    __tablename__ = "run_files"
    __table_args__ = (UniqueConstraint("run_id", "kind", "path", name="uq_run_files_path"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(_tz())


class NotebookRow(Base):
    """A notebook of a project: its current path and, once known, the id in its metadata, which
    it keeps through renames and moves; its content lives in numbered checkpoints."""

    __tablename__ = "notebooks"
    __table_args__ = (
        UniqueConstraint("project_id", "path", name="uq_notebooks_project_path"),
        # An index, not a constraint: SQLite adds it in place (see RunRow). NULLs are distinct.
        Index("uq_notebooks_project_uid", "project_id", "uid", unique=True),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(1024))
    uid: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(_tz())
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class CheckpointRow(Base):
    """One saved version of a notebook: a blob by sha256, numbered from 1."""

    __tablename__ = "checkpoints"
    __table_args__ = (
        UniqueConstraint("notebook_id", "number", name="uq_checkpoints_notebook_number"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    notebook_id: Mapped[int] = mapped_column(ForeignKey("notebooks.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(255))
    run_label: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(_tz())
    # upload (by hand), editor (the live model when a run started), disk (the saved file).
    origin: Mapped[str] = mapped_column(String(16), server_default="upload")
    # Hidden-state warnings computed when it was stored; NULL for checkpoints made before them.
    warnings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
