"""jupyter_tracker: self-hosted experiment tracking that lives in JupyterLab."""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .client import *  # noqa: F403  (the client API is the package's API)
from .client import __all__ as _client_api

__all__ = ["__version__", *_client_api]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-tracker"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.app import TrackerExtension

    return [{"module": "jupyter_tracker.server.app", "app": TrackerExtension}]
