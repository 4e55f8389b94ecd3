"""A small HTTP client for the tracker API: keep-alive, bearer token, JSON or raw bodies."""

from __future__ import annotations

import http.client
import json
import threading
from typing import IO, Any
from urllib.parse import quote, urlencode, urlsplit

API_PREFIX = "jupyter-tracker/api/v1"


class TransportError(Exception):
    """The server could not be reached or answered 5xx: worth retrying later."""


class ApiError(Exception):
    """The server refused the request (4xx): retrying the same request will not help."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.field = field


class ApiClient:
    """One keep-alive connection per thread to ``<url>/jupyter-tracker/api/v1``."""

    def __init__(self, url: str, api_token: str | None, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be an http(s) URL, not {url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._base = parts.path.rstrip("/") + "/" + API_PREFIX
        self._token = api_token
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def path(self, *segments: str, **query: Any) -> str:
        path = self._base + "".join("/" + quote(s, safe="") for s in segments)
        args = {k: v for k, v in query.items() if v is not None}
        return path + ("?" + urlencode(args, doseq=True) if args else "")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | IO[bytes] | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": content_type}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        for attempt in range(2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as e:
                self.close()
                # A kept-alive connection the server closed fails once; try a fresh one.
                stale = isinstance(e, http.client.RemoteDisconnected | BrokenPipeError)
                if attempt == 0 and stale and (body is None or isinstance(body, bytes)):
                    continue
                raise TransportError(f"{method} {path.split('?')[0]}: {e}") from None
            if response.status >= 500:
                raise TransportError(f"{method} {path.split('?')[0]}: HTTP {response.status}")
            if response.status >= 400:
                raise _api_error(response.status, data)
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        raise TransportError(f"{method} {path}: connection lost")

    def json(self, method: str, path: str, payload: Any = None) -> Any:
        body = None if payload is None else json.dumps(payload).encode()
        _, _, data = self.request(method, path, body)
        return json.loads(data) if data else None


def _api_error(status: int, data: bytes) -> ApiError:
    try:
        reply = json.loads(data)
        return ApiError(status, str(reply.get("message")), reply.get("field"))
    except (ValueError, AttributeError):
        return ApiError(status, data[:200].decode("utf-8", "replace"))
