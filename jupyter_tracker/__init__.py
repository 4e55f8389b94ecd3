"""jupyter_tracker: self-hosted experiment tracking that lives in JupyterLab."""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .client import (
    ApiError,
    Delivery,
    Experiment,
    Project,
    TransportError,
    append_tag,
    append_tags,
    create_experiment,
    current_experiment,
    get_experiment,
    get_experiments,
    init,
    log_artifact,
    log_image,
    log_metric,
    log_metrics,
    log_text,
    project,
    remove_property,
    remove_tag,
    set_property,
    stop,
)

__all__ = [
    "ApiError",
    "Delivery",
    "Experiment",
    "Project",
    "TransportError",
    "__version__",
    "append_tag",
    "append_tags",
    "create_experiment",
    "current_experiment",
    "get_experiment",
    "get_experiments",
    "init",
    "log_artifact",
    "log_image",
    "log_metric",
    "log_metrics",
    "log_text",
    "project",
    "remove_property",
    "remove_tag",
    "set_property",
    "stop",
]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-tracker"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.app import TrackerExtension

    return [{"module": "jupyter_tracker.server.app", "app": TrackerExtension}]
