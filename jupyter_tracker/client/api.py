"""The module-level calls of the legacy neptune-client API, acting on the current project and
experiment: ``init``, ``create_experiment``, ``log_metric`` and the rest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import config
from .experiment import Experiment
from .project import Project, track
from .worker import Delivery

_project: Project | None = None


def init(
    project_qualified_name: str | None = None,
    api_token: str | None = None,
    url: str | None = None,
    mode: str | None = None,
) -> Project:
    """Choose the project (``sandbox`` by default) and the tracker to log to.

    Inside JupyterLab nothing is needed: the server tells its kernels where it is. Elsewhere
    the URL and token come from the arguments, then ``JUPYTER_TRACKER_URL`` /
    ``JUPYTER_TRACKER_API_TOKEN`` / ``JUPYTER_TRACKER_PROJECT``, then the config file.
    ``mode="offline"`` logs to the on-disk journal only; ``jupyter tracker sync`` uploads it.
    """
    global _project
    settings = config.resolve(project_qualified_name, api_token, url, mode)
    _project = Project(settings)
    track(_project)
    return _project


def project() -> Project:
    if _project is None:
        raise RuntimeError("call jupyter_tracker.init() first")
    return _project


def current_experiment() -> Experiment:
    experiment = project().current
    if experiment is None:
        raise RuntimeError("no experiment is running: call create_experiment() first")
    return experiment


def create_experiment(*args: Any, **kwargs: Any) -> Experiment:
    """``Project.create_experiment`` on the project of the last ``init`` (``init()`` first if
    there was none)."""
    if _project is None:
        init()
    return project().create_experiment(*args, **kwargs)


def get_experiment() -> Experiment:
    return current_experiment()


def log_metric(log_name: str, x: Any, y: Any = None, timestamp: Any = None) -> None:
    experiment = _project.current if _project is not None else None
    if experiment is None:
        experiment = current_experiment()
    experiment.log_metric(log_name, x, y, timestamp)


def log_metrics(metrics: dict[str, Any], step: Any = None) -> None:
    current_experiment().log_metrics(metrics, step)


def log_text(log_name: str, x: Any, y: Any = None, timestamp: Any = None) -> None:
    current_experiment().log_text(log_name, x, y, timestamp)


def log_image(
    log_name: str,
    x: Any,
    y: Any = None,
    image_name: str | None = None,
    description: str | None = None,
    timestamp: Any = None,
) -> None:
    current_experiment().log_image(log_name, x, y, image_name, description, timestamp)


def log_artifact(artifact: Any, destination: str | None = None) -> None:
    current_experiment().log_artifact(artifact, destination)


def set_property(key: str, value: Any) -> None:
    current_experiment().set_property(key, value)


def remove_property(key: str) -> None:
    current_experiment().remove_property(key)


def append_tag(tag: str, *tags: str) -> None:
    current_experiment().append_tag(tag, *tags)


def append_tags(tag: str, *tags: str) -> None:
    current_experiment().append_tag(tag, *tags)


def remove_tag(tag: str) -> None:
    current_experiment().remove_tag(tag)


def stop(traceback: str | None = None) -> Delivery:
    return current_experiment().stop(traceback)


def get_experiments(
    id: str | Sequence[str] | None = None,
    state: str | Sequence[str] | None = None,
    owner: str | Sequence[str] | None = None,
    tag: str | Sequence[str] | None = None,
) -> list[Experiment]:
    return project().get_experiments(id, state, owner, tag)
