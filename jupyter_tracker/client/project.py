"""A project: where experiments are created, listed and compared."""

from __future__ import annotations

import atexit
import logging
import shutil
import sys
import traceback as tb
import uuid
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import validate
from .buffers import Buffers
from .config import Settings, data_dir
from .experiment import Experiment
from .http import ApiClient, ApiError, TransportError
from .journal import Journal, journal_root
from .reading import _pandas, api_float
from .worker import RunLink, Worker

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("jupyter_tracker.client")
CREATE_TIMEOUT = 10.0


class Project:
    """The project experiments go to; ``jupyter_tracker.init`` returns one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.name = settings.project
        self._api: ApiClient | None = None
        if settings.mode != "offline" and settings.url:
            self._api = ApiClient(settings.url, settings.api_token)
        self._live: weakref.WeakSet[Experiment] = weakref.WeakSet()
        self.current: Experiment | None = None

    def __repr__(self) -> str:
        return f"Project({self.name!r})"

    def create_experiment(
        self,
        name: str | None = None,
        description: str | None = None,
        params: Any = None,
        properties: dict[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        upload_source_files: Sequence[str] | str | None = None,
        upload_stdout: bool = True,
        upload_stderr: bool = True,
        send_hardware_metrics: bool = True,
        handle_uncaught_exceptions: bool = True,
        git_info: Any = None,
        hostname: str | None = None,
        notebook_path: str | None = None,
    ) -> Experiment:
        """Start a run; logging calls return at once and a background thread delivers."""
        if description is not None:
            validate.string(description, "description", validate.MAX_DESCRIPTION)
        body: dict[str, Any] = {
            "project": self.name,
            "name": validate.name(name, "name") if name is not None else "Untitled",
            "description": description or "",
            "params": validate.params(params),
            "properties": validate.properties(properties),
            "tags": validate.tags(tags),
            "client_key": uuid.uuid4().hex,
        }
        from .capture_setup import Capture

        capture = Capture(
            upload_source_files=upload_source_files,
            upload_stdout=upload_stdout,
            upload_stderr=upload_stderr,
            send_hardware_metrics=send_hardware_metrics,
            handle_uncaught_exceptions=handle_uncaught_exceptions,
            git_info=git_info,
            hostname=hostname,
            notebook_path=notebook_path,
        )
        capture.describe(body)
        folder = journal_root(data_dir()) / body["client_key"]
        journal = Journal(folder)
        journal.write_meta(
            {
                "client_key": body["client_key"],
                "url": self.settings.url,
                "project": self.name,
                "create": body,
                "run_id": None,
            }
        )
        link = RunLink(journal, self._api)
        if self._api is not None:
            self._create_now(link, journal)
        buffers = Buffers()
        worker = Worker(buffers, journal, link)
        experiment = Experiment(
            self,
            run_id=link.run_id,
            client_key=body["client_key"],
            worker=worker,
            buffers=buffers,
            journal_dir=folder,
        )
        worker.start()
        self._live.add(experiment)
        self.current = experiment
        capture.start(experiment)
        _register_exit_hook()
        return experiment

    def _create_now(self, link: RunLink, journal: Journal) -> None:
        """Create the run on the server at once if it answers; else the worker keeps trying."""
        assert self._api is not None
        timeout = self._api.timeout
        self._api.timeout = CREATE_TIMEOUT
        try:
            link.ensure()
        except TransportError as e:
            log.warning(
                "jupyter_tracker: the tracker is unreachable (%s); logging to the"
                " journal and sending when it answers",
                e,
            )
        except ApiError:
            # Refused for good (token, project): the caller learns it now, and no journal is
            # left for 'jupyter tracker sync' to create the run later.
            journal.close()
            shutil.rmtree(journal.folder, ignore_errors=True)
            raise
        finally:
            self._api.timeout = timeout
            self._api.close()

    def _forget(self, experiment: Experiment) -> None:
        self._live.discard(experiment)
        if self.current is experiment:
            self.current = None

    def get_experiments(
        self,
        id: str | Sequence[str] | None = None,
        state: str | Sequence[str] | None = None,
        owner: str | Sequence[str] | None = None,
        tag: str | Sequence[str] | None = None,
    ) -> list[Experiment]:
        """The project's experiments, filtered as in neptune: each filter is 'any of'."""
        return [Experiment(self, run_id=r["id"]) for r in self._list(id, state, owner, tag)]

    def _list(self, ids: Any, state: Any, owner: Any, tag: Any) -> list[dict[str, Any]]:
        api = self._read_api()

        def many(value: Any) -> list[str] | None:
            return None if value is None else [value] if isinstance(value, str) else list(value)

        wanted_ids, owners, tags = many(ids), many(owner), many(tag)
        runs: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = api.json(
                "GET",
                api.path(
                    "runs",
                    project=self.name,
                    state=many(state),
                    limit=1000,
                    offset=offset,
                    sort="number",
                ),
            )
            runs.extend(page["runs"])
            offset += len(page["runs"])
            if offset >= page["total"] or not page["runs"]:
                break
        return [
            r
            for r in runs
            if (wanted_ids is None or r["id"] in wanted_ids)
            and (owners is None or r["owner"] in owners)
            and (tags is None or set(tags) & set(r["tags"]))
        ]

    def _read_api(self) -> ApiClient:
        if self._api is None:
            raise RuntimeError("reading runs back needs a server; this project is offline")
        for experiment in list(self._live):
            experiment.flush(10.0)
        return self._api

    def get_leaderboard(self) -> pd.DataFrame:
        """One row per experiment: id, name, state, owner, times, tags, params, properties
        and the last value of every metric."""
        pandas = _pandas()
        api = self._read_api()
        rows = []
        for run in self._list(None, None, None, None):
            listing = api.json("GET", api.path("runs", run["id"], "series"))
            row: dict[str, Any] = {
                "id": run["id"],
                "name": run["name"],
                "state": run["state"],
                "owner": run["owner"],
                "created": run["created_at"],
                "finished": run["finished_at"],
                "tags": list(run["tags"]),
            }
            row.update({f"parameter_{k}": v for k, v in run["params"].items()})
            row.update({f"property_{k}": v for k, v in run["properties"].items()})
            row.update(
                {
                    f"channel_{s['name']}": api_float(s["last"])
                    for s in listing["series"]
                    if s["kind"] == "numeric"
                }
            )
            rows.append(row)
        return pandas.DataFrame(rows)


_exit_hook_registered = False
_projects: weakref.WeakSet[Project] = weakref.WeakSet()


def _register_exit_hook() -> None:
    global _exit_hook_registered
    if not _exit_hook_registered:
        atexit.register(_at_exit)
        _exit_hook_registered = True


def track(project: Project) -> None:
    _projects.add(project)


def _at_exit() -> None:
    """Experiments still running when the interpreter ends: a script that ended normally
    succeeded; a kernel that is shut down aborts them."""
    in_kernel = "ipykernel" in sys.modules
    for project in list(_projects):
        for experiment in list(project._live):
            try:
                if in_kernel:
                    experiment._finish("aborted", None, 10.0)
                else:
                    experiment.stop(timeout=10.0)
            except Exception:
                log.debug("stopping %s at exit failed", experiment, exc_info=True)


def format_exception(exc_type: Any, exc: Any, trace: Any) -> str:
    return "".join(tb.format_exception(exc_type, exc, trace))
