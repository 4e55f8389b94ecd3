"""HTTP handlers of the tracker API; ``routes`` is the one route table."""

from __future__ import annotations

import re
from typing import Any

from jupyter_server.utils import url_path_join

from ..service import TrackerService
from .config import ConfigHandler
from .diffs import DiffHandler
from .files import FileContentHandler, FilesHandler, ImageHandler
from .meta import MeHandler, OpenAPIHandler
from .notebooks import CheckpointContentHandler, CheckpointsHandler, NotebooksHandler
from .runs import BatchHandler, ProjectHandler, ProjectsHandler, RunHandler, RunsHandler
from .series import EntriesHandler, PointsHandler, SeriesListHandler
from .tokens import TokenHandler, TokensHandler

API_PREFIX = "jupyter-tracker/api/v1"
PATH_PARAMS = {
    "name": r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)?",
    "run_id": r"[A-Za-z0-9]+-[0-9]+",
    "sha256": r"[0-9a-f]{64}",
    "token_id": r"[0-9]{1,18}",
}

# The route table: a path template under API_PREFIX, its handler, and extra handler kwargs.
ROUTE_TABLE: list[tuple[str, Any, dict[str, Any]]] = [
    ("/openapi.json", OpenAPIHandler, {}),
    ("/me", MeHandler, {}),
    ("/config", ConfigHandler, {}),
    ("/projects", ProjectsHandler, {}),
    ("/projects/{name}", ProjectHandler, {}),
    ("/runs", RunsHandler, {}),
    ("/runs/{run_id}", RunHandler, {}),
    ("/runs/{run_id}/batches", BatchHandler, {}),
    ("/runs/{run_id}/series", SeriesListHandler, {}),
    ("/runs/{run_id}/points", PointsHandler, {}),
    ("/runs/{run_id}/entries", EntriesHandler, {}),
    ("/runs/{run_id}/images/{sha256}", ImageHandler, {}),
    ("/runs/{run_id}/artifacts", FilesHandler, {"kind": "artifact"}),
    ("/runs/{run_id}/artifacts/content", FileContentHandler, {"kind": "artifact"}),
    ("/runs/{run_id}/source-files", FilesHandler, {"kind": "source"}),
    ("/runs/{run_id}/source-files/content", FileContentHandler, {"kind": "source"}),
    ("/notebooks", NotebooksHandler, {}),
    ("/notebooks/checkpoints", CheckpointsHandler, {}),
    ("/notebooks/checkpoints/content", CheckpointContentHandler, {}),
    ("/notebooks/diff", DiffHandler, {}),
    ("/tokens", TokensHandler, {}),
    ("/tokens/{token_id}", TokenHandler, {}),
]


def path_pattern(template: str) -> str:
    """The tornado regex of a path template: ``{run_id}`` becomes a named group."""
    parts = re.split(r"\{(\w+)\}", template)
    # Odd parts are parameter names; even parts are literal text, escaped ('.' in openapi.json).
    return "".join(
        f"(?P<{part}>{PATH_PARAMS[part]})" if i % 2 else re.escape(part)
        for i, part in enumerate(parts)
    )


def routes(base_url: str, service: TrackerService) -> list[tuple[str, Any, dict[str, Any]]]:
    """Every route of the API, each handed the service through its kwargs."""
    return [
        (
            url_path_join(base_url, API_PREFIX) + path_pattern(template),
            handler,
            {"service": service, **kwargs},
        )
        for template, handler, kwargs in ROUTE_TABLE
    ]
