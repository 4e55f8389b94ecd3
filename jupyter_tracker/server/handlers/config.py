"""The Configure dialog's settings: which tracker, which API token, which default project.

Only JupyterLab itself (a Jupyter-authenticated request) may read or change them: an API token
is refused. The token is checked before anything is saved, and never sent back: the reply shows
a hint of it.
"""

from __future__ import annotations

import re
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ...store import validation
from ...store.errors import NotFound, TrackerError, Unauthenticated
from ..client_config import ClientConfig, ConfigStore, normalise_url, token_hint
from ..forward import RemoteError, check_remote, remote_user
from .base import TrackerHandler, TrackerHTTPError

FIELDS = ("url", "api_token", "project", "create_project")
TOKEN_FORM = re.compile(r"jtt_[A-Za-z0-9_-]{1,200}")


class ConfigHandler(TrackerHandler):
    """``GET`` the settings; ``PUT`` checks new ones against their tracker, then saves them."""

    # The settings are this Jupyter server's own, whatever tracker they name.
    forwardable = False

    def config_store(self) -> ConfigStore:
        if self.principal.via_token:
            raise self.forbidden(
                "the Configure settings are open to JupyterLab only, not to API tokens"
            )
        if self.service.config is None:
            raise TrackerHTTPError(
                404, "this tracker has no Configure settings", kind="not_found", field=None
            )
        return self.service.config

    @web.authenticated
    @authorized
    async def get(self) -> None:
        config = self.config_store().current
        self.send_json(self.describe(config, await self.user_of(config)))

    @web.authenticated
    @authorized
    async def put(self) -> None:
        store = self.config_store()
        config, create_project = self.parse(self.json_body(), store.current)
        user: str | None
        if config.remote:
            if not config.api_token:
                raise self.invalid(
                    f"the tracker at {config.url} needs an API token from it", "api_token"
                )
            try:
                user = await check_remote(config, create_project=create_project)
            except RemoteError as e:
                raise self.invalid(e.message, e.field) from None
        else:
            user = await self.check_local(config, create_project)
        await self.service.call(store.save, config)
        self.set_header("Cache-Control", "no-store")
        self.send_json(self.describe(config, user))

    def parse(self, body: Any, current: ClientConfig) -> tuple[ClientConfig, bool]:
        if not isinstance(body, dict):
            raise self.invalid("the body must be a JSON object", "body")
        unknown = sorted(set(body) - set(FIELDS))
        if unknown:
            raise self.invalid(f"body has unknown field '{unknown[0]}'", unknown[0])
        url = body.get("url", "")
        if not isinstance(url, str):
            raise self.invalid("url must be a string; empty means this Jupyter server", "url")
        try:
            url = normalise_url(url)
        except ValueError as e:
            raise self.invalid(str(e), "url") from None
        token = body.get("api_token")
        if token is None:
            token = current.api_token
        elif not isinstance(token, str):
            raise self.invalid(
                "api_token must be a string, null (keep) or empty (none)", "api_token"
            )
        token = token.strip()
        if token and not TOKEN_FORM.fullmatch(token):
            raise self.invalid(
                "this is not a tracker API token: those start with jtt_ and hold only letters,"
                " digits, '-' and '_'",
                "api_token",
            )
        try:
            project = validation.project_name(body.get("project", current.project), "project")
        except TrackerError as e:
            raise self.invalid(e.message, "project") from None
        create_project = body.get("create_project", False)
        if not isinstance(create_project, bool):
            raise self.invalid("create_project must be true or false", "create_project")
        return ClientConfig(url, token, project), create_project

    async def check_local(self, config: ClientConfig, create_project: bool) -> str | None:
        """The user the settings log as on this server, once the token and project are good."""
        store = self.service.store
        user = self.service.local_user
        if config.api_token:
            try:
                principal = await self.service.call(store.authenticate, config.api_token)
            except Unauthenticated as e:
                raise self.invalid(
                    f"this Jupyter server's tracker refused the token: {e.message}", "api_token"
                ) from None
            if not principal.may_access(config.project):
                raise self.invalid(
                    f"the token does not cover project '{config.project}' on this Jupyter server",
                    "project",
                )
            user = principal.user.name
        try:
            await self.service.call(store.get_project, self.principal, config.project)
        except NotFound:
            if not create_project:
                raise self.invalid(
                    f"this Jupyter server has no project '{config.project}'"
                    ' (save with "create_project": true to create it)',
                    "project",
                ) from None
            await self.call(store.create_project, self.principal, config.project)
        return user

    async def user_of(self, config: ClientConfig) -> str | None:
        """Whom the settings log as now; ``None`` if their token is refused or unchecked."""
        if config.remote:
            try:
                return await remote_user(config)
            except RemoteError:
                return None
        if not config.api_token:
            return self.service.local_user
        try:
            principal = await self.service.call(self.service.store.authenticate, config.api_token)
        except TrackerError:
            return None
        return principal.user.name

    def describe(self, config: ClientConfig, user: str | None) -> dict[str, Any]:
        return {
            "url": config.url,
            "project": config.project,
            "api_token_set": bool(config.api_token),
            "api_token_hint": token_hint(config.api_token),
            "remote": config.remote,
            "user": user,
        }
