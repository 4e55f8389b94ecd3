"""Shared fixtures of the client tests: an isolated environment per test, and a real tracker
server (the extension in pytest-jupyter's server) that the in-process client logs to.

The client blocks on HTTP while the server runs on the test's event loop, in the same thread;
so client code runs in a worker thread (``await tracker_server.client(fn)``), and the test reads
the results back through the REST API (``await tracker_server.get(...)``) on the loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from jupyter_core.paths import jupyter_data_dir

import jupyter_tracker.client.api as client_api
from jupyter_tracker.client import config as client_config
from jupyter_tracker.client.journal import journal_root
from jupyter_tracker.client.project import _projects as live_projects

T = TypeVar("T")

API = "jupyter-tracker/api/v1"
TRACKER_ENV = (
    "JUPYTER_TRACKER_URL",
    "JUPYTER_TRACKER_API_TOKEN",
    "JUPYTER_TRACKER_PROJECT",
    "JUPYTER_TRACKER_EXPORTED",
)


class ClientDirs:
    """Where the client keeps its files in this test (read when asked: a server fixture may
    point the Jupyter directories elsewhere after this fixture ran)."""

    @property
    def data(self) -> Path:
        return Path(jupyter_data_dir())

    @property
    def journals(self) -> Path:
        """The folder holding one journal folder per run."""
        return journal_root(client_config.data_dir())

    @property
    def config_file(self) -> Path:
        return client_config.config_file()

    def journal_folders(self) -> list[Path]:
        root = self.journals
        return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


@pytest.fixture(autouse=True)
def client_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ClientDirs]:
    """Each test gets its own Jupyter data and config directories (journals, config file), no
    tracker settings from the environment, and no client state left by an earlier test.

    A server started by the test may export ``JUPYTER_TRACKER_*`` into ``os.environ`` itself;
    those variables are put back as they were afterwards.
    """
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "client-data"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "client-config"))
    dirs = ClientDirs()
    saved = {name: os.environ.get(name) for name in TRACKER_ENV}
    for name in TRACKER_ENV:
        os.environ.pop(name, None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(client_api, "_project", None)
    yield dirs
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def stop_leftover_experiments() -> None:
    """End the runs a test left running, so that no worker thread outlives it."""
    for project in list(live_projects):
        for experiment in list(project._live):
            experiment._finish("aborted", None, 10.0)


def in_client_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(...)``, then close the keep-alive connections it opened from this thread (the
    client keeps one per thread, and this pool thread outlives the call)."""
    try:
        return fn(*args, **kwargs)
    finally:
        for project in list(live_projects):
            if project._api is not None:
                project._api.close()


@dataclass
class TrackerServer:
    """The test's tracker: its URL, a tracker API token of the local user, and reads through
    the REST API with Jupyter's own token."""

    url: str
    token: str
    user: str
    store: Any
    serverapp: Any
    fetch: Any
    base_url: str
    loop: Any

    async def client(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking client code in a thread while the server answers on this loop."""
        return await asyncio.to_thread(in_client_thread, fn, *args, **kwargs)

    async def request(self, route: str, method: str = "GET", **params: Any) -> tuple[int, bytes]:
        """``route`` under the API prefix; a list as a parameter value repeats it."""
        pairs = [
            (key, item)
            for key, value in params.items()
            if value is not None
            for item in (value if isinstance(value, list | tuple) else [value])
        ]
        response = await self.fetch(
            API, route.strip("/"), method=method, params=pairs, raise_error=False
        )
        return response.code, response.body or b""

    async def get(self, route: str, **params: Any) -> Any:
        """The JSON reply of a GET that must succeed."""
        code, body = await self.request(route, **params)
        assert code == 200, (route, code, body[:300])
        return json.loads(body)

    async def get_bytes(self, route: str, **params: Any) -> bytes:
        code, body = await self.request(route, **params)
        assert code == 200, (route, code, body[:300])
        return body

    async def runs(self, project: str = "sandbox", **params: Any) -> list[dict[str, Any]]:
        page = await self.get("runs", project=project, limit=1000, **params)
        runs: list[dict[str, Any]] = page["runs"]
        return runs

    async def points(self, run_id: str, name: str) -> dict[str, Any]:
        points: dict[str, Any] = await self.get(f"runs/{run_id}/points", name=name)
        return points

    async def entries(self, run_id: str, name: str) -> list[dict[str, Any]]:
        reply = await self.get(f"runs/{run_id}/entries", name=name)
        entries: list[dict[str, Any]] = reply["entries"]
        return entries

    async def series(self, run_id: str) -> dict[str, dict[str, Any]]:
        listing = await self.get(f"runs/{run_id}/series")
        return {s["name"]: s for s in listing["series"]}

    async def artifact(self, run_id: str, path: str) -> bytes:
        return await self.get_bytes(f"runs/{run_id}/artifacts/content", path=path)

    def new_token(self, projects: tuple[str, ...] | None = None, name: str = "client") -> str:
        """Another tracker API token of the local user (all projects unless named)."""
        _, secret = self.store.create_token(self.user, name, projects)
        return str(secret)


@pytest.fixture
def tracker_server(
    jp_serverapp: Any,
    http_server_client: Any,
    jp_fetch: Any,
    jp_base_url: str,
    jp_asyncio_loop: Any,
) -> Iterator[TrackerServer]:
    """A listening Jupyter server with the extension on this test's database, and a tracker
    API token for the client. Runs a test leaves running are aborted at its end."""
    (extension,) = jp_serverapp.extension_manager.extension_apps["jupyter_tracker"]
    store = extension.service.store
    user = extension.user
    port = http_server_client.get_http_port()
    _, secret = store.create_token(user, "client tests", None)
    server = TrackerServer(
        url=f"http://127.0.0.1:{port}{jp_base_url}",
        token=secret,
        user=user,
        store=store,
        serverapp=jp_serverapp,
        fetch=jp_fetch,
        base_url=jp_base_url,
        loop=jp_asyncio_loop,
    )
    yield server
    jp_asyncio_loop.run_until_complete(
        asyncio.to_thread(in_client_thread, stop_leftover_experiments)
    )
