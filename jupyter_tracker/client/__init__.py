"""The Python client: log runs from notebooks and scripts with the legacy neptune API."""

from .api import (
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
from .experiment import Experiment
from .http import ApiError, TransportError
from .project import Project
from .worker import Delivery

__all__ = [
    "ApiError",
    "Delivery",
    "Experiment",
    "Project",
    "TransportError",
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
