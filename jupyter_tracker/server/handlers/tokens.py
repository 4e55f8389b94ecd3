"""API tokens of the calling user: create (the secret is shown once), list, revoke."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import serialize
from .base import TrackerHandler


class TokensHandler(TrackerHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        tokens = await self.call(self.service.store.list_tokens, self.principal.user.name)
        self.send_json({"tokens": [serialize.token(t) for t in tokens]})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        if not isinstance(body, dict):
            raise self.invalid("the body must be a JSON object", "body")
        name = body.get("name", "API token")
        projects = body.get("projects")
        if projects is not None and (
            not isinstance(projects, list) or not all(isinstance(p, str) for p in projects)
        ):
            raise self.invalid("projects must be a list of project names, or omitted", "projects")
        scope = tuple(projects) if projects is not None else None
        # A scoped token may only hand out what it holds itself.
        held = self.principal.projects
        if held is not None and (scope is None or not set(scope) <= held):
            raise self.forbidden("a scoped API token can only create tokens within its scope")
        token, secret = await self.call(
            self.service.store.create_token, self.principal.user.name, name, scope
        )
        self.set_header("Cache-Control", "no-store")
        self.send_json({**serialize.token(token), "token": secret}, 201)


class TokenHandler(TrackerHandler):
    @web.authenticated
    @authorized
    async def delete(self, token_id: str) -> None:
        token = await self.call(
            self.service.store.revoke_token, self.principal.user.name, int(token_id)
        )
        self.send_json(serialize.token(token))
