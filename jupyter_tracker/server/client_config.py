"""The user's tracker settings, as JupyterLab's Configure dialog keeps them.

They live in ``jupyter_tracker_client.json`` (``jupyter_tracker.client.config.config_file()``),
the file the Python client reads too: ``url`` (empty: this Jupyter server), ``api_token`` and
``project``. The server reads it once at start and again after each change it writes itself.
No tornado here: the HTTP side is in ``forward.py`` and ``handlers/config.py``.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..client.config import ENV_PROJECT, ENV_TOKEN, ENV_URL

KEYS = ("url", "api_token", "project")
# What a user may paste: the tracker's address, or the API's own address under it.
API_SUFFIX = "/jupyter-tracker/api/v1"


def normalise_url(url: str) -> str:
    """``url`` as stored: ``""`` or ``http(s)://host[:port][/path]`` with no trailing slash.

    Raises ``ValueError`` with a message for the user if it is not such a URL (credentials,
    a query or a fragment in it are refused: a token goes in its own field, never in a URL).
    """
    url = url.strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError("the URL is not valid") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the URL must start with http:// or https:// and name a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the URL must not hold a user name or password; use the API token")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValueError("the URL must not have a query or a fragment")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise ValueError("the URL must not contain spaces or control characters")
    path = parts.path.rstrip("/")
    if path.endswith(API_SUFFIX):
        path = path[: -len(API_SUFFIX)]
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def token_hint(token: str) -> str | None:
    """What may be shown of a token: its prefix and last four characters."""
    return f"jtt_…{token[-4:]}" if token else None


@dataclass(frozen=True)
class ClientConfig:
    """``url`` empty means this Jupyter server; ``api_token`` empty means none."""

    url: str = ""
    api_token: str = ""
    project: str = "sandbox"

    @property
    def remote(self) -> bool:
        return bool(self.url)

    def __repr__(self) -> str:
        # Never show the token, not even in a traceback or a log line.
        token = "set" if self.api_token else "none"
        return f"ClientConfig(url={self.url!r}, api_token={token}, project={self.project!r})"


@dataclass(frozen=True)
class OwnTracker:
    """What this server exported to its kernels at start: its own URL and a kernel token."""

    url: str
    api_token: str


class ConfigStore:
    """The settings file: read at start, written atomically with owner-only permissions.

    When the server exported its own URL and token to kernels (``export_to_kernels``), every
    change also updates the environment that kernels started later inherit.
    """

    def __init__(
        self,
        path: Path,
        default_project: str,
        log: logging.Logger | logging.LoggerAdapter[Any],
        environ: MutableMapping[str, str] | None = None,
    ) -> None:
        self.path = path
        self.default_project = default_project
        self.log = log
        self.environ = os.environ if environ is None else environ
        self.own: OwnTracker | None = None
        self.project_in_file = False
        self.current = self._load()

    def _read_raw(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            self.log.warning("jupyter_tracker: %s is unreadable (%s); ignoring it", self.path, e)
            return {}
        if not isinstance(data, dict):
            self.log.warning("jupyter_tracker: %s is not a JSON object; ignoring it", self.path)
            return {}
        return data

    def _load(self) -> ClientConfig:
        data = self._read_raw()
        values: dict[str, str] = {}
        for key in KEYS:
            value = data.get(key)
            values[key] = value if isinstance(value, str) else ""
        try:
            url = normalise_url(values["url"])
        except ValueError as e:
            self.log.warning(
                "jupyter_tracker: the url in %s is ignored: %s; this server is used", self.path, e
            )
            url = ""
        self.project_in_file = bool(values["project"])
        project = values["project"] or self.default_project
        return ClientConfig(url, values["api_token"].strip(), project)

    def save(self, config: ClientConfig) -> None:
        """Write the file (keys of the file that are not ours are kept), then use it."""
        data = self._read_raw()
        data.update({"url": config.url, "api_token": config.api_token, "project": config.project})
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the file readable and writable by its owner only (0600); the token
        # is never in a file that anyone else could read, not even for a moment.
        fd, tmp = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.current = config
        self.project_in_file = True
        self.log.info(
            "jupyter_tracker: %s now names %s, project %s",
            self.path,
            config.url or "this Jupyter server",
            config.project,
        )
        self._update_kernel_environment()

    def export_to_kernels(self, own: OwnTracker) -> None:
        """The server exported its own tracker to kernels: from now on the settings decide."""
        self.own = own
        self._update_kernel_environment()

    def _update_kernel_environment(self) -> None:
        if self.own is None:
            return
        config = self.current
        if config.remote:
            self.environ[ENV_URL] = config.url
            self.environ[ENV_TOKEN] = config.api_token
        else:
            self.environ[ENV_URL] = self.own.url
            self.environ[ENV_TOKEN] = self.own.api_token
        # A project set in the environment before Jupyter started stays, until the file names one.
        if self.project_in_file:
            self.environ[ENV_PROJECT] = config.project
