"""Another tracker, called on the browser's behalf with the token of the Configure settings.

``check_remote`` validates settings against a tracker before they are saved; ``Relay`` passes one
browser request to it and its reply back. The token goes only into the ``Authorization`` header
of these calls: never into a URL, a reply to the browser or a log line.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, cast
from urllib.parse import quote, urlsplit

from jupyter_server.base.handlers import APIHandler
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse
from tornado.httputil import HTTPHeaders, parse_response_start_line

from ..client.http import API_PREFIX
from .client_config import ClientConfig

CHECK_TIMEOUT = 10.0
CONNECT_TIMEOUT = 10.0
# A forwarded upload or download may take long; the remote applies its own limits.
FORWARD_TIMEOUT = 3600.0
# As large as the biggest upload a tracker accepts (artifacts), far above the 256 MiB of a
# notebook checkpoint: replies are streamed through, never held whole in memory.
MAX_FORWARDED_BYTES = 16 * 1024**3
RELAYED_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "Content-Length",
    "Cache-Control",
    "X-Content-Type-Options",
)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class RemoteError(Exception):
    """Settings that the remote tracker refused, or could not check; ``field`` is at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class BadGateway(Exception):
    """The remote tracker did not answer a forwarded request."""

    def __init__(self, url: str, error: BaseException) -> None:
        self.message = f"the tracker at {url} did not answer: {describe(error)}"
        super().__init__(self.message)


def describe(error: BaseException) -> str:
    if isinstance(error, HTTPClientError) and error.code == 599:
        return error.message or "timed out"
    return str(error) or type(error).__name__


def api_url(base: str, path: str, query: str = "") -> str:
    """``{base}/jupyter-tracker/api/v1{path}?{query}``; ``path`` starts with ``/``."""
    return f"{base}/{API_PREFIX}{path}" + (f"?{query}" if query else "")


def error_message(response: HTTPResponse) -> str:
    """The ``message`` of a tracker's JSON error, else the HTTP status."""
    try:
        message = json.loads(response.body or b"null")["message"]
    except (ValueError, TypeError, KeyError):
        message = None
    return message if isinstance(message, str) and message else f"HTTP {response.code}"


async def _call(config: ClientConfig, method: str, path: str, data: Any = None) -> HTTPResponse:
    client = AsyncHTTPClient(force_instance=True)
    headers = {"Authorization": f"Bearer {config.api_token}", "Accept": "application/json"}
    body = None
    if data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    request = HTTPRequest(
        api_url(config.url, path),
        method=method,
        headers=headers,
        body=body,
        connect_timeout=CHECK_TIMEOUT,
        request_timeout=CHECK_TIMEOUT,
        follow_redirects=False,
    )
    try:
        return await client.fetch(request, raise_error=False)
    except Exception as e:
        raise RemoteError(
            "url", f"could not reach the tracker at {config.url}: {describe(e)}"
        ) from None
    finally:
        client.close()


async def remote_user(config: ClientConfig) -> str:
    """Whom the token stands for on the remote tracker; ``RemoteError`` if it is refused."""
    response = await _call(config, "GET", "/me")
    if response.code == 401:
        raise RemoteError(
            "api_token",
            f"the tracker at {config.url} refused the token: {error_message(response)}",
        )
    if response.code != 200:
        raise RemoteError(
            "url",
            f"{config.url} did not answer as a jupyter_tracker server"
            f" ({error_message(response)} at /{API_PREFIX}/me)",
        )
    try:
        user = json.loads(response.body)["user"]
    except (ValueError, TypeError, KeyError):
        user = None
    if not isinstance(user, str):
        raise RemoteError("url", f"{config.url} did not answer as a jupyter_tracker server")
    return user


async def check_remote(config: ClientConfig, *, create_project: bool) -> str:
    """The remote user, once the token and the project are known good there (the project
    created first if asked to)."""
    user = await remote_user(config)
    name = config.project
    response = await _call(config, "GET", "/projects/" + quote(name, safe="/"))
    if response.code == 200:
        return user
    if response.code == 404 and create_project:
        created = await _call(config, "POST", "/projects", {"name": name})
        if created.code in (200, 201):
            return user
        raise RemoteError(
            "project",
            f"the tracker at {config.url} did not create project '{name}':"
            f" {error_message(created)}",
        )
    if response.code == 404:
        raise RemoteError(
            "project",
            f"the tracker at {config.url} has no project '{name}'"
            ' (save with "create_project": true to create it)',
        )
    if response.code == 403:
        raise RemoteError(
            "project", f"the token does not cover project '{name}' on the tracker at {config.url}"
        )
    raise RemoteError(
        "project",
        f"the tracker at {config.url} refused project '{name}': {error_message(response)}",
    )


class Relay:
    """One browser request passed to the remote tracker, and its reply passed back.

    The reply is streamed through as it arrives. A request whose handler streams its body
    (``@stream_request_body``) is streamed on too: ``start`` it, ``feed`` each chunk, then
    ``finish`` it; other requests are relayed at once by ``run``.
    """

    def __init__(
        self, handler: APIHandler, config: ClientConfig, path: str, local_prefix: str
    ) -> None:
        self.handler = handler
        self.config = config
        self.url = api_url(config.url, path, handler.request.query)
        self.local_prefix = local_prefix
        self._status: tuple[int, str] | None = None
        self._headers = HTTPHeaders()
        self._started = False
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=8)
        self._task: asyncio.Future[None] | None = None

    async def run(self) -> None:
        """Relay a request whose body has arrived whole."""
        method = self.handler.request.method or "GET"
        body = self.handler.request.body if method in BODY_METHODS else None
        await self._exchange(body, None)

    def start(self) -> None:
        """Begin a request whose body will come through ``feed``."""
        self._task = asyncio.ensure_future(self._exchange(None, self._produce))

    async def feed(self, chunk: bytes) -> None:
        """Pass a chunk on; waits while the remote is slower than the browser."""
        await self._put(chunk)

    async def finish(self) -> None:
        """The body is complete: wait for the remote's reply, relayed to the browser."""
        assert self._task is not None
        await self._put(None)
        await self._task

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _put(self, item: bytes | None) -> None:
        task = self._task
        if task is None or task.done():
            return  # the remote answered (or failed) early: the rest is not needed
        put = asyncio.ensure_future(self._queue.put(item))
        await asyncio.wait({put, task}, return_when=asyncio.FIRST_COMPLETED)
        if not put.done():
            put.cancel()

    async def _produce(self, write: Callable[[bytes], Awaitable[None]]) -> None:
        while (chunk := await self._queue.get()) is not None:
            await write(chunk)

    async def _exchange(
        self, body: bytes | None, producer: Callable[[Any], Awaitable[None]] | None
    ) -> None:
        request = self.handler.request
        method = request.method or "GET"
        headers = {"Authorization": f"Bearer {self.config.api_token}"}
        for name in ("Content-Type", "Accept"):
            if name in request.headers:
                headers[name] = request.headers[name]
        if producer is not None and "Content-Length" in request.headers:
            headers["Content-Length"] = request.headers["Content-Length"]
        if method in BODY_METHODS and body is None and producer is None:
            body = b""
        client = AsyncHTTPClient(force_instance=True, max_body_size=MAX_FORWARDED_BYTES)
        try:
            response = await client.fetch(
                HTTPRequest(
                    self.url,
                    method=method,
                    headers=headers,
                    body=body,
                    body_producer=cast(Any, producer),
                    header_callback=self._header_line,
                    streaming_callback=self._chunk,
                    connect_timeout=CONNECT_TIMEOUT,
                    request_timeout=FORWARD_TIMEOUT,
                    follow_redirects=False,
                    decompress_response=False,
                    allow_nonstandard_methods=True,
                ),
                raise_error=False,
            )
        except Exception as e:
            if self._started:
                raise  # part of the reply is out: tornado closes the connection
            raise BadGateway(self.config.url, e) from None
        finally:
            client.close()
        if not self._started:
            self._status = (response.code, response.reason or "")
            self._begin()
        content_type = self._headers.get("Content-Type", "application/octet-stream")
        self.handler.finish(set_content_type=content_type)

    def _header_line(self, line: str) -> None:
        if line.startswith("HTTP/"):
            start = parse_response_start_line(line.strip())
            self._status = (start.code, start.reason)
            self._headers = HTTPHeaders()
        elif line.strip():
            self._headers.parse_line(line)

    def _begin(self) -> None:
        self._started = True
        assert self._status is not None
        self.handler.set_status(*self._status)
        for name in RELAYED_HEADERS:
            value = self._headers.get(name)
            if value is not None:
                self.handler.set_header(name, value)
        location = self._headers.get("Location")
        if location is not None:
            # The tracker names its own URL or path: name ours instead.
            remote = api_url(self.config.url, "")
            for prefix in (remote, urlsplit(remote).path):
                if location.startswith(prefix + "/"):
                    location = self.local_prefix + location[len(prefix) :]
                    break
            self.handler.set_header("Location", location)

    def _chunk(self, data: bytes) -> None:
        if not self._started:
            self._begin()
        self.handler.write(data)
        flushed = self.handler.flush()
        # A browser that went away fails the flush; the fetch finishes regardless.
        flushed.add_done_callback(lambda f: f.cancelled() or f.exception())
