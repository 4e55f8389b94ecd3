"""The jupyter_server extension: builds the store and service, registers the routes."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, TraitError, Unicode, default, validate

from ..client.config import config_file
from ..store.blobs import LocalBlobStore
from ..store.engine import redact
from ..store.errors import Unauthenticated
from ..store.sql import SqlTrackerStore
from .client_config import ConfigStore, OwnTracker
from .handlers import routes
from .lifecycle import HeartbeatReaper, KernelRunsWatcher
from .service import TrackerService

KERNEL_TOKEN_NAME = "JupyterLab kernels"
# Set beside the variables we export, so that a later start knows they are ours to replace.
EXPORT_MARKER = "JUPYTER_TRACKER_EXPORTED"


def default_data_dir() -> Path:
    return Path(jupyter_data_dir()) / "jupyter_tracker"


class TrackerExtension(ExtensionApp):
    """Experiment tracking inside Jupyter: runs, metrics, artifacts, behind a REST API."""

    name = "jupyter_tracker"
    load_other_extensions = True

    db_url = Unicode(
        help="SQLAlchemy URL of the database; SQLite in the Jupyter data directory by default."
        " Also read from JUPYTER_TRACKER_DB_URL.",
    ).tag(config=True)
    blob_dir = Unicode(help="Directory of content-addressed blobs.").tag(config=True)
    default_project = Unicode("sandbox", help="The project used when none is named.").tag(
        config=True
    )
    user = Unicode(help="Whom browser requests act as; the OS user by default.").tag(config=True)
    export_environment = Bool(
        True,
        help="Export JUPYTER_TRACKER_URL and JUPYTER_TRACKER_API_TOKEN to kernels this server"
        " starts, so that they log with no set-up.",
    ).tag(config=True)
    heartbeat_timeout = Float(
        120.0,
        help="Seconds without a heartbeat after which a running run is marked aborted;"
        " 0 disables the check.",
    ).tag(config=True)
    heartbeat_check_interval = Float(
        30.0, help="Seconds between two checks for runs whose heartbeat stopped."
    ).tag(config=True)

    reaper: HeartbeatReaper | None = None
    kernel_watcher: KernelRunsWatcher | None = None

    @validate("heartbeat_check_interval")
    def _check_interval(self, proposal: Any) -> float:
        value = float(proposal["value"])
        if not value > 0:
            raise TraitError("heartbeat_check_interval must be a positive number of seconds")
        return value

    @default("db_url")
    def _default_db_url(self) -> str:
        from_env = os.environ.get("JUPYTER_TRACKER_DB_URL")
        if from_env:
            return from_env
        return f"sqlite:///{default_data_dir() / 'tracker.db'}"

    @default("blob_dir")
    def _default_blob_dir(self) -> str:
        return str(default_data_dir() / "blobs")

    @default("user")
    def _default_user(self) -> str:
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "jovyan"

    def initialize_settings(self) -> None:
        if self.db_url.startswith("sqlite:///"):
            Path(self.db_url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        store = SqlTrackerStore(self.db_url, LocalBlobStore(self.blob_dir))
        store.ensure_project(self.default_project)
        store.ensure_user(self.user)
        # The Configure settings: read once here, again after each change made through PUT /config.
        settings = ConfigStore(config_file(), self.default_project, self.log)
        self.service = TrackerService(store, self.user, self.default_project, settings)
        self.log.info(
            "jupyter_tracker: database %s, blobs in %s", redact(self.db_url), self.blob_dir
        )
        # Kernels name their notebook relative to this, as Jupyter's contents API does, whatever
        # tracker they log to.
        assert self.serverapp is not None
        os.environ["JUPYTER_TRACKER_ROOT_DIR"] = str(self.serverapp.root_dir)
        if self.export_environment:
            self._export_environment(store, settings)
        self._start_lifecycle()

    def _start_lifecycle(self) -> None:
        """The heartbeat reaper and the kernel watcher. Both start here, not in
        ``_start_jupyter_server_extension``, so that they also run in servers that are never
        started through ``ServerApp.start`` (embedded ones, tests); the checks are scheduled on
        the server's IOLoop and run once it does."""
        self.reaper = HeartbeatReaper(
            self.service, self.heartbeat_timeout, self.heartbeat_check_interval, self.log
        )
        self.reaper.start()
        assert self.serverapp is not None
        event_logger = getattr(self.serverapp, "event_logger", None)
        if event_logger is not None:
            self.kernel_watcher = KernelRunsWatcher(self.service, event_logger, self.log)
            self.kernel_watcher.start()

    def _export_environment(self, store: SqlTrackerStore, settings: ConfigStore) -> None:
        """Give kernels started by this server a token of the local user and the server URL,
        or, when the Configure settings name another tracker, that tracker's URL and token.

        A tracker URL that the user set before starting Jupyter (a team server, say) wins over
        both, and is then never changed.
        """
        if os.environ.get("JUPYTER_TRACKER_URL") and not os.environ.get(EXPORT_MARKER):
            self.log.info("jupyter_tracker: kernels keep the JUPYTER_TRACKER_URL already set")
            return
        token_file = Path(self.blob_dir).parent / "kernel-token"
        secret = None
        if token_file.exists():
            secret = token_file.read_text(encoding="utf-8").strip()
            try:
                if store.authenticate(secret).user.name != self.user:
                    secret = None
            except Unauthenticated:
                secret = None
        if secret is None:
            _, secret = store.create_token(self.user, KERNEL_TOKEN_NAME, None)
            token_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(secret)
        os.environ[EXPORT_MARKER] = "1"
        os.environ["JUPYTER_TRACKER_API_TOKEN"] = secret
        assert self.serverapp is not None
        os.environ["JUPYTER_TRACKER_URL"] = self.serverapp.connection_url
        if "JUPYTER_TRACKER_PROJECT" not in os.environ:
            os.environ["JUPYTER_TRACKER_PROJECT"] = self.default_project
        settings.export_to_kernels(OwnTracker(self.serverapp.connection_url, secret))

    def initialize_handlers(self) -> None:
        # ExtensionApp prepends the server's base_url to these patterns itself.
        self.handlers.extend(routes("/", self.service))

    async def stop_extension(self) -> None:
        """Stop the checks and close the store. The server shuts its kernels down only after
        its extensions stop, so the runs of those kernels are aborted here, while the store is
        still open."""
        if self.reaper is not None:
            await self.reaper.stop()
            self.reaper = None
        if self.kernel_watcher is not None:
            kernel_manager = getattr(self.serverapp, "kernel_manager", None)
            live = list(kernel_manager.list_kernel_ids()) if kernel_manager is not None else []
            await self.kernel_watcher.stop(kernels_to_end=live)
            self.kernel_watcher = None
        service = getattr(self, "service", None)
        if service is not None:
            service.close()
