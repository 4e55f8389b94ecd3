"""Where the client finds the tracker: arguments, then the environment, then the config file."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_URL = "JUPYTER_TRACKER_URL"
ENV_TOKEN = "JUPYTER_TRACKER_API_TOKEN"
ENV_PROJECT = "JUPYTER_TRACKER_PROJECT"
DEFAULT_PROJECT = "sandbox"
MODES = ("async", "offline")


def config_file() -> Path:
    """The user config file that JupyterLab's Configure dialog writes."""
    from jupyter_core.paths import jupyter_config_dir

    return Path(jupyter_config_dir()) / "jupyter_tracker_client.json"


def data_dir() -> Path:
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "jupyter_tracker"


def _read_config_file() -> dict[str, Any]:
    path = config_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class Settings:
    url: str | None
    api_token: str | None
    project: str
    mode: str

    def __repr__(self) -> str:
        # Never show the token, not even in a traceback or a log line.
        token = "set" if self.api_token else "none"
        return f"Settings(url={self.url!r}, api_token={token}, project={self.project!r})"


def resolve(
    project: str | None = None,
    api_token: str | None = None,
    url: str | None = None,
    mode: str | None = None,
) -> Settings:
    """Each setting from the first place that has it: argument, environment, config file."""
    for name, value in (
        ("project_qualified_name", project),
        ("api_token", api_token),
        ("url", url),
        ("mode", mode),
    ):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    mode = mode or "async"
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    file = _read_config_file()
    resolved_url = url or os.environ.get(ENV_URL) or file.get("url") or None
    token = api_token or os.environ.get(ENV_TOKEN) or file.get("api_token") or None
    name = project or os.environ.get(ENV_PROJECT) or file.get("project") or DEFAULT_PROJECT
    if mode != "offline" and not resolved_url:
        raise ValueError(
            f"no tracker URL: pass url=..., set {ENV_URL}, or use mode='offline' and"
            " 'jupyter tracker sync' later"
        )
    return Settings(resolved_url, token, str(name), mode)
