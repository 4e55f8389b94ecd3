"""The one base handler: authentication (Jupyter's or our bearer token) and JSON errors."""

from __future__ import annotations

import json
import re
from http.client import responses
from typing import Any, ParamSpec, TypeVar

from jupyter_server.auth.identity import User as JupyterUser
from jupyter_server.base.call_context import CallContext
from jupyter_server.base.handlers import APIHandler
from tornado import web

from ...store.entities import TOKEN_PREFIX, Principal, User
from ...store.errors import TrackerError, Unauthenticated
from ..service import TrackerService

P = ParamSpec("P")
T = TypeVar("T")
AUTH_RESOURCE = "jupyter_tracker"
QUERY_SECRETS = ("token", "api_token", "access_token")


class TrackerHTTPError(web.HTTPError):
    """An HTTP error with the machine-readable reason and the field at fault."""

    def __init__(self, status: int, message: str, *, kind: str, field: str | None) -> None:
        super().__init__(status, "%s", message)
        self.message = message
        self.kind = kind
        self.field = field


def unstorable(text: str) -> bool:
    """A NUL (PostgreSQL cannot store it) or a lone surrogate (not valid UTF-8)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def bad_string_path(value: Any, path: str = "") -> str | None:
    """Where in a parsed JSON body a string cannot be stored: ``body``, ``params.x``,
    ``texts[0].values[3]``...; ``None`` if nowhere."""
    if isinstance(value, str):
        return (path or "body") if unstorable(value) else None
    items: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if unstorable(key):
                return path or "body"
            items.append((f"{path}.{key}" if path else key, item))
    elif isinstance(value, list):
        items = [(f"{path or 'body'}[{i}]", item) for i, item in enumerate(value)]
    for child, item in items:
        found = bad_string_path(item, child)
        if found is not None:
            return found
    return None


def _kind(error: TrackerError) -> str:
    name = type(error).__name__
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class TrackerHandler(APIHandler):
    """Base of every tracker route.

    A request carrying ``Authorization: Bearer jtt_...`` is authenticated by our API token and
    needs no XSRF token (a header cannot be forged cross-site). Any other request goes through
    jupyter_server's own authentication and XSRF checks and acts as the local user.
    """

    auth_resource = AUTH_RESOURCE
    service: TrackerService
    principal: Principal
    _tracker_token: bool = False

    def initialize(self, service: TrackerService) -> None:
        self.service = service

    async def prepare(self) -> None:  # type: ignore[override]
        for name in QUERY_SECRETS:
            if name in self.request.query_arguments:
                self._reject(
                    400,
                    f"'{name}' is refused in the query string; send it in the Authorization header",
                    "invalid",
                    name,
                )
        for name, values in self.request.query_arguments.items():
            if "\x00" in name or any(b"\x00" in value for value in values):
                self._reject(400, f"'{name}' must not contain NUL characters", "invalid", name)
        scheme, _, credential = self.request.headers.get("Authorization", "").partition(" ")
        credential = credential.strip()
        if scheme.lower() == "bearer" and credential.startswith(TOKEN_PREFIX):
            await self._prepare_with_tracker_token(credential)
            return
        await super().prepare()
        if self.current_user is not None:
            if self.service.local_user is None:
                raise web.HTTPError(403)
            self.principal = Principal(
                User(0, self.service.local_user), projects=None, via_token=False
            )

    async def _prepare_with_tracker_token(self, secret: str) -> None:
        CallContext.set(CallContext.JUPYTER_HANDLER, self)
        if not self.check_host():
            raise web.HTTPError(403)
        try:
            principal = await self.service.call(self.service.store.authenticate, secret)
        except Unauthenticated as e:
            self._reject(401, e.message, "unauthenticated", "Authorization")
        self.principal = principal
        self._tracker_token = True
        user = JupyterUser(username=principal.user.name)
        self.current_user = self._jupyter_current_user = user
        if not self.check_origin():
            raise web.HTTPError(404)

    @property
    def token_authenticated(self) -> bool:
        return self._tracker_token or super().token_authenticated

    def _reject(self, status: int, message: str, kind: str, field: str | None) -> None:
        raise TrackerHTTPError(status, message, kind=kind, field=field)

    async def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """A store call off the event loop, with domain errors turned into HTTP errors."""
        try:
            return await self.service.call(fn, *args, **kwargs)
        except TrackerError as e:
            raise TrackerHTTPError(e.status, e.message, kind=_kind(e), field=e.field) from None

    def invalid(self, message: str, field: str) -> TrackerHTTPError:
        return TrackerHTTPError(400, message, kind="invalid", field=field)

    def forbidden(self, message: str) -> TrackerHTTPError:
        return TrackerHTTPError(403, message, kind="forbidden", field=None)

    def json_body(self) -> Any:
        try:
            body = json.loads(self.request.body or b"null")
        except (ValueError, UnicodeDecodeError) as e:
            raise self.invalid(f"the request body is not valid JSON: {e}", "body") from None
        # JSON spells a NUL only as \u0000 and a lone surrogate only as \udXXX: look for them
        # only in bodies that have such an escape.
        raw = self.request.body or b""
        if b"\\u0000" in raw or re.search(rb"\\u[dD][89a-fA-F]", raw):
            where = bad_string_path(body)
            if where is not None:
                raise self.invalid(
                    f"{where} must not contain NUL characters or lone surrogates", where
                )
        return body

    def send_json(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload, allow_nan=False, separators=(",", ":")))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json")
        reply: dict[str, Any] = {"message": responses.get(status_code, "Unknown HTTP Error")}
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, TrackerHTTPError):
            reply = {"message": error.message, "reason": error.kind, "field": error.field}
        elif isinstance(error, web.HTTPError):
            if error.log_message:
                reply["message"] = (
                    error.log_message % error.args if error.args else error.log_message
                )
            reply["reason"] = error.reason or responses.get(status_code, "error")
        else:
            reply = {"message": "Internal server error", "reason": "internal"}
        self.finish(json.dumps(reply))
