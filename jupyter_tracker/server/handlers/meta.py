"""Who am I, and the OpenAPI document of this API."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from .base import TrackerHandler

OPENAPI = Path(__file__).parent.parent / "openapi.json"


@cache
def openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
    return document


class MeHandler(TrackerHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        p = self.principal
        self.send_json(
            {
                "user": p.user.name,
                "via_token": p.via_token,
                "projects": sorted(p.projects) if p.projects is not None else None,
                "default_project": self.service.default_project,
            }
        )


class OpenAPIHandler(TrackerHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.send_json(openapi_document())
