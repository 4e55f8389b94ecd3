"""The one base handler: authentication (Jupyter's or our bearer token) and JSON errors."""

from __future__ import annotations

import json
import re
from http.client import responses
from typing import Any, ParamSpec, TypeVar

from jupyter_core.utils import ensure_async
from jupyter_server.auth.identity import User as JupyterUser
from jupyter_server.auth.utils import HTTP_METHOD_TO_AUTH_ACTION
from jupyter_server.base.call_context import CallContext
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from ...client.http import API_PREFIX
from ...store.entities import TOKEN_PREFIX, Principal, User
from ...store.errors import TrackerError, Unauthenticated
from ..forward import BODY_METHODS, BadGateway, Relay
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
    jupyter_server's own authentication and XSRF checks and acts as the local user; when the
    Configure settings name another tracker, that tracker answers it instead (``Relay``),
    unless the handler is not ``forwardable``.
    """

    auth_resource = AUTH_RESOURCE
    forwardable = True
    service: TrackerService
    principal: Principal
    _tracker_token: bool = False
    _relay: Relay | None = None

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
            if self.forwardable:
                await self._forward_to_remote()

    async def _forward_to_remote(self) -> None:
        """Pass a browser request to the tracker that the Configure settings name, if any.

        Jupyter has authenticated the caller (and checked XSRF); its authorizer is asked here as
        the handler's methods would. A handler that streams its request body must call
        ``finish_forwarded`` from its method when ``forwarded`` is true; any other request is
        answered right here.
        """
        settings = self.service.config
        if settings is None or not settings.current.remote:
            return
        method = self.request.method or "GET"
        action = HTTP_METHOD_TO_AUTH_ACTION.get(method, "write")
        allowed = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, action, self.auth_resource)
        )
        if not allowed:
            raise web.HTTPError(403, f"User is not authorized to {action} on {AUTH_RESOURCE}.")
        local_prefix = url_path_join(self.base_url, API_PREFIX)
        relay = Relay(self, settings.current, self.request.path[len(local_prefix) :], local_prefix)
        if getattr(type(self), "_stream_request_body", False) and method in BODY_METHODS:
            self._relay = relay
            relay.start()
            return
        try:
            await relay.run()
        except BadGateway as e:
            raise TrackerHTTPError(502, e.message, kind="bad_gateway", field=None) from None

    @property
    def forwarded(self) -> bool:
        """This request's body is being streamed to another tracker."""
        return self._relay is not None

    def forward_chunk(self, chunk: bytes) -> Any:
        assert self._relay is not None
        return self._relay.feed(chunk)

    async def finish_forwarded(self) -> None:
        assert self._relay is not None
        try:
            await self._relay.finish()
        except BadGateway as e:
            raise TrackerHTTPError(502, e.message, kind="bad_gateway", field=None) from None

    def on_connection_close(self) -> None:
        if self._relay is not None:
            self._relay.cancel()
        super().on_connection_close()

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
