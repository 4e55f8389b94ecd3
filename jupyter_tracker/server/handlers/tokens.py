"""API tokens of the calling user: create (the secret is shown once), list, revoke."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ...store.entities import ApiToken
from .. import serialize
from .base import TrackerHandler


class _TokenHandler(TrackerHandler):
    def within_scope(self, token: ApiToken) -> bool:
        """A token scoped to projects sees and manages only tokens inside its own scope."""
        held = self.principal.projects
        return held is None or (token.projects is not None and set(token.projects) <= held)


class TokensHandler(_TokenHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        tokens = await self.call(self.service.store.list_tokens, self.principal.user.name)
        self.send_json({"tokens": [serialize.token(t) for t in tokens if self.within_scope(t)]})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        if not isinstance(body, dict):
            raise self.invalid("the body must be a JSON object", "body")
        unknown = sorted(set(body) - {"name", "projects"})
        if unknown:
            raise self.invalid(f"body has unknown field '{unknown[0]}'", f"body.{unknown[0]}")
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


class TokenHandler(_TokenHandler):
    @web.authenticated
    @authorized
    async def delete(self, token_id: str) -> None:
        tokens = await self.call(self.service.store.list_tokens, self.principal.user.name)
        target = next((t for t in tokens if t.id == int(token_id)), None)
        if target is not None and not self.within_scope(target):
            raise self.forbidden("a scoped API token can only revoke tokens within its scope")
        token = await self.call(
            self.service.store.revoke_token, self.principal.user.name, int(token_id)
        )
        self.send_json(serialize.token(token))
