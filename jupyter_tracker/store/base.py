"""The store interface: every domain operation the server and the CLI may ask for."""

from __future__ import annotations

import abc
import datetime as dt
from typing import BinaryIO

from .blobs import BlobInfo, BlobStore
from .entities import (
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
from .inputs import Batch, NewCheckpoint, NewRun, RunQuery
from .series_codec import PointArrays
from .series_overview import Downsampled


class TrackerStore(abc.ABC):
    """Domain operations on runs, series, files, projects and tokens.

    Every method checks the caller's access where it takes a ``Principal`` and raises the typed
    errors of ``jupyter_tracker.store.errors``; no method returns ORM objects.
    """

    blobs: BlobStore

    # accounts
    @abc.abstractmethod
    def ensure_user(self, name: str) -> User: ...

    @abc.abstractmethod
    def create_token(
        self, user: str, name: str, projects: tuple[str, ...] | None
    ) -> tuple[ApiToken, str]:
        """A new token and its secret, which is shown once and stored only as a hash."""

    @abc.abstractmethod
    def list_tokens(self, user: str) -> list[ApiToken]: ...

    @abc.abstractmethod
    def revoke_token(self, user: str, token_id: int) -> ApiToken: ...

    @abc.abstractmethod
    def authenticate(self, secret: str) -> Principal: ...

    # projects
    @abc.abstractmethod
    def create_project(self, principal: Principal, name: str, description: str = "") -> Project: ...

    @abc.abstractmethod
    def ensure_project(self, name: str) -> Project: ...

    @abc.abstractmethod
    def list_projects(self, principal: Principal) -> list[Project]: ...

    @abc.abstractmethod
    def get_project(self, principal: Principal, name: str) -> Project: ...

    # runs
    @abc.abstractmethod
    def create_run(self, principal: Principal, new: NewRun) -> tuple[Run, bool]:
        """The new run and ``True``; or, when the project has a run with ``new.client_key``
        already, that run as it is and ``False`` (even if two such calls race)."""

    @abc.abstractmethod
    def get_run(self, principal: Principal, run_id: str) -> Run: ...

    @abc.abstractmethod
    def list_runs(self, principal: Principal, query: RunQuery) -> RunPage: ...

    @abc.abstractmethod
    def apply_batch(self, principal: Principal, run_id: str, batch: Batch) -> BatchResult:
        """Apply everything in ``batch`` in one transaction, once per sequence number."""

    # run lifecycle: these act for the server itself, not for a caller
    @abc.abstractmethod
    def abort_stale_runs(self, older_than: dt.datetime) -> list[str]:
        """Abort every running run whose last heartbeat is before ``older_than``; their ids.

        One UPDATE: safe to run from several servers at once, each run is reported once.
        """

    @abc.abstractmethod
    def abort_kernel_runs(
        self, kernel_id: str, created_before: dt.datetime | None = None
    ) -> list[str]:
        """Abort every running run of this Jupyter kernel (made before ``created_before``, if
        given); their ids."""

    # series
    @abc.abstractmethod
    def list_series(self, principal: Principal, run_id: str) -> list[SeriesSummary]: ...

    @abc.abstractmethod
    def read_points(
        self,
        principal: Principal,
        run_id: str,
        name: str,
        step_min: float | None = None,
        step_max: float | None = None,
    ) -> PointArrays: ...

    @abc.abstractmethod
    def read_downsampled(
        self,
        principal: Principal,
        run_id: str,
        name: str,
        buckets: int,
        step_min: float | None = None,
        step_max: float | None = None,
    ) -> Downsampled: ...

    @abc.abstractmethod
    def read_entries(
        self,
        principal: Principal,
        run_id: str,
        name: str,
        step_min: float | None = None,
        step_max: float | None = None,
        limit: int = 1000,
    ) -> list[TextPoint] | list[ImagePoint]: ...

    # files
    @abc.abstractmethod
    def check_run_writable(self, principal: Principal, run_id: str) -> None:
        """NotFound or Forbidden unless the caller may write to this run; cheap."""

    @abc.abstractmethod
    def record_file(
        self, principal: Principal, run_id: str, kind: FileKind, path: str, blob: BlobInfo
    ) -> StoredFile: ...

    @abc.abstractmethod
    def list_files(self, principal: Principal, run_id: str, kind: FileKind) -> list[StoredFile]: ...

    @abc.abstractmethod
    def get_file(
        self, principal: Principal, run_id: str, kind: FileKind, path: str
    ) -> StoredFile: ...

    # notebooks
    @abc.abstractmethod
    def create_checkpoint(
        self, principal: Principal, new: NewCheckpoint
    ) -> tuple[Checkpoint, bool]:
        """Store the next checkpoint of a notebook and link ``new.run_id`` to it, if given.

        The notebook is found by ``new.notebook_id`` (following a rename or move to
        ``new.path``; Conflict if another notebook has that path), else by path, else made.
        Returns the checkpoint and ``True``; or ``False`` when nothing new was stored: the
        notebook's latest checkpoint had the same content (it is returned, and the run linked
        to it), or ``new`` came from disk for a run that has an editor checkpoint (that one is
        returned, and the run keeps it). The content goes to the blob store only after every
        check has passed.
        """

    @abc.abstractmethod
    def list_notebooks(self, principal: Principal, project: str) -> list[NotebookSummary]: ...

    @abc.abstractmethod
    def list_checkpoints(
        self,
        principal: Principal,
        project: str,
        path: str | None,
        notebook_id: str | None = None,
    ) -> list[Checkpoint]:
        """Newest first; the notebook named by ``notebook_id`` if given, else by ``path``."""

    @abc.abstractmethod
    def get_checkpoint(
        self,
        principal: Principal,
        project: str,
        path: str | None,
        number: int,
        notebook_id: str | None = None,
    ) -> Checkpoint: ...

    @abc.abstractmethod
    def get_image_blob(self, principal: Principal, run_id: str, sha256: str) -> str:
        """The content type of the image of this run with that hash; NotFound if none."""

    def open_blob(self, sha256: str) -> BinaryIO:
        return self.blobs.open(sha256)

    @abc.abstractmethod
    def close(self) -> None: ...
