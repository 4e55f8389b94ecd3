"""The same API as a standalone team server: a tornado app where only API tokens get in."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from jupyter_server.auth.authorizer import AllowAllAuthorizer
from jupyter_server.auth.identity import IdentityProvider, User
from jupyter_server.base.handlers import JupyterHandler
from tornado import web
from tornado.httpserver import HTTPServer

from .handlers import routes
from .lifecycle import HeartbeatReaper
from .service import TrackerService

log = logging.getLogger("jupyter_tracker.serve")


class NoLoginIdentityProvider(IdentityProvider):
    """Knows nobody: without a tracker API token, every request is anonymous and refused."""

    def get_user(self, handler: web.RequestHandler) -> User | None:
        return None

    @property
    def auth_enabled(self) -> bool:
        return True


class NotFoundHandler(JupyterHandler):
    """Everything outside the API: a JSON 404 that says where the API is."""

    def prepare(self) -> None:  # type: ignore[override]
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish('{"message": "not found; the API is under /jupyter-tracker/api/v1/"}')


def make_app(service: TrackerService, *, allow_remote: bool) -> web.Application:
    settings: dict[str, Any] = {
        "base_url": "/",
        "identity_provider": NoLoginIdentityProvider(),
        "authorizer": AllowAllAuthorizer(),
        "allow_remote_access": allow_remote,
        "local_hostnames": ["localhost", "127.0.0.1", "::1"],
        "headers": {},
        "serverapp": None,
        "xsrf_cookies": False,
        "default_handler_class": NotFoundHandler,
    }
    return web.Application(routes("/", service), **settings)


async def serve(
    service: TrackerService,
    ip: str,
    port: int,
    *,
    heartbeat_timeout: float = 120.0,
    heartbeat_check_interval: float = 30.0,
) -> None:
    """Serve until SIGINT or SIGTERM, then close the store.

    Meanwhile, running runs with no heartbeat for ``heartbeat_timeout`` seconds (0: never) are
    marked aborted, checked every ``heartbeat_check_interval`` seconds.
    """
    app = make_app(service, allow_remote=ip not in ("127.0.0.1", "localhost", "::1"))
    server = HTTPServer(app, max_body_size=16 * 1024**3, idle_connection_timeout=300)
    server.listen(port, address=ip)
    reaper = HeartbeatReaper(service, heartbeat_timeout, heartbeat_check_interval, log)
    reaper.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("jupyter_tracker API at http://%s:%d/jupyter-tracker/api/v1/", ip, port)
    try:
        await stop.wait()
    finally:
        server.stop()
        await reaper.stop()
        await server.close_all_connections()
        service.close()
