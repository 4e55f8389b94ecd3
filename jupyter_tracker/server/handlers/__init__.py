"""HTTP handlers of the tracker API; ``routes`` is the one route table."""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join

from ..service import TrackerService
from .files import FileContentHandler, FilesHandler, ImageHandler
from .meta import MeHandler, OpenAPIHandler
from .runs import BatchHandler, ProjectHandler, ProjectsHandler, RunHandler, RunsHandler
from .series import EntriesHandler, PointsHandler, SeriesListHandler
from .tokens import TokenHandler, TokensHandler

API_PREFIX = "jupyter-tracker/api/v1"
_PROJECT = r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)?)"
_RUN = r"(?P<run_id>[A-Za-z0-9]+-[0-9]+)"


def routes(base_url: str, service: TrackerService) -> list[tuple[str, Any, dict[str, Any]]]:
    """Every route of the API, each handed the service through its kwargs."""
    table: list[tuple[str, Any, dict[str, Any]]] = [
        ("/openapi.json", OpenAPIHandler, {}),
        ("/me", MeHandler, {}),
        ("/projects", ProjectsHandler, {}),
        (f"/projects/{_PROJECT}", ProjectHandler, {}),
        ("/runs", RunsHandler, {}),
        (f"/runs/{_RUN}", RunHandler, {}),
        (f"/runs/{_RUN}/batches", BatchHandler, {}),
        (f"/runs/{_RUN}/series", SeriesListHandler, {}),
        (f"/runs/{_RUN}/points", PointsHandler, {}),
        (f"/runs/{_RUN}/entries", EntriesHandler, {}),
        (f"/runs/{_RUN}/images/(?P<sha256>[0-9a-f]{{64}})", ImageHandler, {}),
        (f"/runs/{_RUN}/artifacts", FilesHandler, {"kind": "artifact"}),
        (f"/runs/{_RUN}/artifacts/content", FileContentHandler, {"kind": "artifact"}),
        (f"/runs/{_RUN}/source-files", FilesHandler, {"kind": "source"}),
        (f"/runs/{_RUN}/source-files/content", FileContentHandler, {"kind": "source"}),
        ("/tokens", TokensHandler, {}),
        (r"/tokens/(?P<token_id>[0-9]{1,18})", TokenHandler, {}),
    ]
    return [
        (url_path_join(base_url, API_PREFIX) + pattern, handler, {"service": service, **kwargs})
        for pattern, handler, kwargs in table
    ]
