"""The SQLAlchemy implementation of the store: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..base import TrackerStore
from ..blobs import BlobInfo, BlobStore
from ..engine import Engines, make_engines
from ..entities import (
    ApiToken,
    BatchResult,
    Checkpoint,
    FileKind,
    ImagePoint,
    NotebookSummary,
    Principal,
    Project,
    Run,
    RunPage,
    SeriesSummary,
    StoredFile,
    TextPoint,
    User,
)
from ..errors import NotFound
from ..inputs import Batch, NewCheckpoint, NewRun, RunQuery
from ..migrate import upgrade
from ..models import AppliedBatchRow, SeriesRow
from ..series_codec import PointArrays
from ..series_overview import Downsampled
from . import accounts, convert, files, notebooks, projects, run_query, runs, series

DEFAULT_PROJECT = "sandbox"
T = TypeVar("T")


class SqlTrackerStore(TrackerStore):
    """Runs, series and files in a SQL database; blobs in a ``BlobStore``."""

    def __init__(self, db_url: str, blobs: BlobStore, *, migrate: bool = True) -> None:
        self.engines: Engines = make_engines(db_url)
        self.blobs = blobs
        if migrate:
            upgrade(self.engines.writer)
            self.ensure_project(DEFAULT_PROJECT)

    @contextlib.contextmanager
    def _write(self) -> Iterator[Session]:
        with Session(self.engines.writer, expire_on_commit=False) as session, session.begin():
            yield session

    @contextlib.contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self.engines.reader) as session, session.begin():
            yield session

    def close(self) -> None:
        self.engines.dispose()

    # accounts
    def _ensure(self, make: Callable[[Session], T]) -> T:
        """``make`` in a write transaction, once more if another server raced us to insert."""
        try:
            with self._write() as s:
                return make(s)
        except IntegrityError:
            with self._write() as s:
                return make(s)

    def ensure_user(self, name: str) -> User:
        row = self._ensure(lambda s: accounts.ensure_user(s, name))
        return User(row.id, row.name)

    def create_token(
        self, user: str, name: str, projects: tuple[str, ...] | None
    ) -> tuple[ApiToken, str]:
        with self._write() as s:
            return accounts.create_token(s, user, name, projects)

    def list_tokens(self, user: str) -> list[ApiToken]:
        with self._read() as s:
            return accounts.list_tokens(s, user)

    def revoke_token(self, user: str, token_id: int) -> ApiToken:
        with self._write() as s:
            return accounts.revoke_token(s, user, token_id)

    def authenticate(self, secret: str) -> Principal:
        with self._read() as s:
            principal, stale = accounts.authenticate(s, secret)
        if stale is not None:
            with self._write() as s:
                accounts.touch(s, stale)
        return principal

    # projects
    def create_project(self, principal: Principal, name: str, description: str = "") -> Project:
        with self._write() as s:
            return convert.project(projects.create(s, name, description))

    def ensure_project(self, name: str) -> Project:
        return self._ensure(lambda s: convert.project(projects.ensure(s, name)))

    def list_projects(self, principal: Principal) -> list[Project]:
        with self._read() as s:
            return [convert.project(r) for r in projects.list_accessible(s, principal)]

    def get_project(self, principal: Principal, name: str) -> Project:
        with self._read() as s:
            return convert.project(projects.get_accessible(s, principal, name))

    # runs
    def create_run(self, principal: Principal, new: NewRun) -> tuple[Run, bool]:
        runs.validate_new(new)
        if new.client_key is None:
            with self._write() as s:
                return runs.entities(s, [runs.create(s, principal, new)])[0], True
        try:
            with self._write() as s:
                found = runs.find_by_client_key(s, principal, new.project, new.client_key)
                if found is not None:
                    return runs.entities(s, [found])[0], False
                return runs.entities(s, [runs.create(s, principal, new)])[0], True
        except IntegrityError:
            # Another request with this key won the race (PostgreSQL: our insert waited for
            # its commit, then broke the unique index); its run is the one. Anything else is a
            # real error.
            with self._read() as s:
                found = runs.find_by_client_key(s, principal, new.project, new.client_key)
                if found is None:
                    raise
                return runs.entities(s, [found])[0], False

    def get_run(self, principal: Principal, run_id: str) -> Run:
        """The run with the summaries of all its numeric series."""
        with self._read() as s:
            project, row = runs.find(s, principal, run_id)
            numeric = s.scalars(
                select(SeriesRow)
                .where(SeriesRow.run_id == row.id, SeriesRow.kind == "numeric")
                .order_by(SeriesRow.name)
            )
            metrics = {row.id: {r.name: convert.series(r) for r in numeric}}
            return runs.entities(s, [(project, row)], metrics)[0]

    def list_runs(self, principal: Principal, query: RunQuery) -> RunPage:
        with self._read() as s:
            return run_query.list_runs(s, principal, query)

    def apply_batch(self, principal: Principal, run_id: str, batch: Batch) -> BatchResult:
        try:
            with self._write() as s:
                _, row = runs.find(s, principal, run_id, for_update=True)
                if batch.seq is not None:
                    if s.get(AppliedBatchRow, (row.id, batch.seq)) is not None:
                        return BatchResult(run_id, batch.seq, applied=False, points=0)
                    s.add(AppliedBatchRow(run_id=row.id, seq=batch.seq))
                    s.flush()
                count = sum(series.append_metric(s, row.id, m) for m in batch.metrics)
                count += sum(series.append_text(s, row.id, t) for t in batch.texts)
                count += sum(series.append_image(s, row.id, i) for i in batch.images)
                runs.apply_metadata(s, row, batch)
                return BatchResult(run_id, batch.seq, applied=True, points=count)
        except IntegrityError:
            # Two deliveries of one sequence number may have raced: then the other one was
            # applied. Any other integrity error is a real one.
            if batch.seq is None or not self._seq_applied(principal, run_id, batch.seq):
                raise
            return BatchResult(run_id, batch.seq, applied=False, points=0)

    def abort_stale_runs(self, older_than: dt.datetime) -> list[str]:
        with self._write() as s:
            return runs.abort_running(s, runs.stale(older_than))

    def abort_kernel_runs(
        self, kernel_id: str, created_before: dt.datetime | None = None
    ) -> list[str]:
        with self._write() as s:
            return runs.abort_running(s, runs.of_kernel(kernel_id, created_before))

    def _seq_applied(self, principal: Principal, run_id: str, seq: int) -> bool:
        with self._read() as s:
            _, row = runs.find(s, principal, run_id)
            return s.get(AppliedBatchRow, (row.id, seq)) is not None

    # series
    def _series(self, s: Session, principal: Principal, run_id: str, name: str) -> SeriesRow:
        _, row = runs.find(s, principal, run_id)
        return series.find(s, row.id, name)

    def list_series(self, principal: Principal, run_id: str) -> list[SeriesSummary]:
        with self._read() as s:
            _, row = runs.find(s, principal, run_id)
            rows = s.query(SeriesRow).filter(SeriesRow.run_id == row.id).order_by(SeriesRow.name)
            return [convert.series(r) for r in rows]

    def read_points(
        self,
        principal: Principal,
        run_id: str,
        name: str,
        step_min: float | None = None,
        step_max: float | None = None,
    ) -> PointArrays:
        with self._read() as s:
            return series.read_points(
                s, self._series(s, principal, run_id, name), step_min, step_max
            )

    def read_downsampled(
        self,
        principal: Principal,
        run_id: str,
        name: str,
        buckets: int,
        step_min: float | None = None,
        step_max: float | None = None,
    ) -> Downsampled:
        with self._read() as s:
            row = self._series(s, principal, run_id, name)
            return series.read_downsampled(s, row, buckets, step_min, step_max)

    def read_entries(
        self,
        principal: Principal,
        run_id: str,
        name: str,
        step_min: float | None = None,
        step_max: float | None = None,
        limit: int = 1000,
    ) -> list[TextPoint] | list[ImagePoint]:
        with self._read() as s:
            row = self._series(s, principal, run_id, name)
            return series.read_entries(s, row, step_min, step_max, limit)

    # files
    def check_run_writable(self, principal: Principal, run_id: str) -> None:
        with self._read() as s:
            runs.find(s, principal, run_id)

    def record_file(
        self, principal: Principal, run_id: str, kind: FileKind, path: str, blob: BlobInfo
    ) -> StoredFile:
        with self._write() as s:
            _, row = runs.find(s, principal, run_id)
            return files.record(s, row.id, run_id, kind, path, blob)

    def list_files(self, principal: Principal, run_id: str, kind: FileKind) -> list[StoredFile]:
        with self._read() as s:
            _, row = runs.find(s, principal, run_id)
            return files.list_files(s, row.id, run_id, kind)

    def get_file(self, principal: Principal, run_id: str, kind: FileKind, path: str) -> StoredFile:
        with self._read() as s:
            _, row = runs.find(s, principal, run_id)
            return files.get(s, row.id, run_id, kind, path)

    # notebooks
    def create_checkpoint(
        self, principal: Principal, new: NewCheckpoint
    ) -> tuple[Checkpoint, bool]:
        notebooks.validate_new(new)
        try:
            with self._write() as s:
                return notebooks.create(s, principal, new, self.blobs.put)
        except IntegrityError:
            # Another request made the same new notebook (or gave it the same id) meanwhile;
            # once more, it is found this time. The blob, if written, is the same bytes.
            with self._write() as s:
                return notebooks.create(s, principal, new, self.blobs.put)

    def list_notebooks(self, principal: Principal, project: str) -> list[NotebookSummary]:
        with self._read() as s:
            return notebooks.list_notebooks(s, principal, project)

    def list_checkpoints(
        self,
        principal: Principal,
        project: str,
        path: str | None,
        notebook_id: str | None = None,
    ) -> list[Checkpoint]:
        with self._read() as s:
            return notebooks.list_checkpoints(s, principal, project, path, notebook_id)

    def get_checkpoint(
        self,
        principal: Principal,
        project: str,
        path: str | None,
        number: int,
        notebook_id: str | None = None,
    ) -> Checkpoint:
        with self._read() as s:
            return notebooks.get(s, principal, project, path, number, notebook_id)

    def get_image_blob(self, principal: Principal, run_id: str, sha256: str) -> str:
        with self._read() as s:
            _, row = runs.find(s, principal, run_id)
            content_type = files.image_type(s, row.id, sha256)
            if content_type is None:
                raise NotFound(f"run {run_id} has no image {sha256}", field="sha256")
            return content_type
