"""Projects, runs, run updates and batches."""

from __future__ import annotations

import dataclasses
import time

from jupyter_server.auth.decorator import authorized
from tornado import web

from ...store.inputs import ImageAppend
from .. import parsing, serialize
from .base import TrackerHandler


class ProjectsHandler(TrackerHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        projects = await self.call(self.service.store.list_projects, self.principal)
        self.send_json({"projects": [serialize.project(p) for p in projects]})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise self.invalid("name is required: 'name' or 'namespace/name'", "name")
        unknown = sorted(set(body) - {"name", "description"})
        if unknown:
            raise self.invalid(f"body has unknown field '{unknown[0]}'", f"body.{unknown[0]}")
        description = body.get("description", "")
        if not isinstance(description, str):
            raise self.invalid("description must be a string", "description")
        if self.principal.projects is not None:
            raise self.forbidden("an API token scoped to projects cannot create projects")
        project = await self.call(
            self.service.store.create_project, self.principal, body["name"], description
        )
        self.send_json(serialize.project(project), 201)


class ProjectHandler(TrackerHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        project = await self.call(self.service.store.get_project, self.principal, name)
        self.send_json(serialize.project(project))


class RunsHandler(TrackerHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = await self.call(
            parsing.run_query, self.request.query_arguments, self.service.default_project
        )
        page = await self.call(self.service.store.list_runs, self.principal, query)
        self.send_json(serialize.run_page(page))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        new = await self.call(
            parsing.new_run,
            self.json_body(),
            self.principal.user.name,
            self.service.default_project,
        )
        run, created = await self.call(self.service.store.create_run, self.principal, new)
        self.set_header("Location", self.request.path.rstrip("/") + "/" + run.id)
        # 200: a run with this client_key existed already, and is returned as it is.
        self.send_json(serialize.run(run), 201 if created else 200)


class RunHandler(TrackerHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        run = await self.call(self.service.store.get_run, self.principal, run_id)
        self.send_json(serialize.run(run))

    @web.authenticated
    @authorized
    async def patch(self, run_id: str) -> None:
        update = await self.call(parsing.run_update, self.json_body())
        await self.call(self.service.store.apply_batch, self.principal, run_id, update)
        run = await self.call(self.service.store.get_run, self.principal, run_id)
        self.send_json(serialize.run(run))


class BatchHandler(TrackerHandler):
    """Appends any mix of points and metadata to a run, in one transaction, once per seq."""

    @web.authenticated
    @authorized
    async def post(self, run_id: str) -> None:
        body = self.json_body()
        if not isinstance(body, dict):
            raise self.invalid("the batch must be a JSON object", "body")
        store = self.service.store
        await self.call(store.check_run_writable, self.principal, run_id)
        batch = await self.call(parsing.batch, body)
        decoded = [
            await self.call(parsing.image_fields, item, i)
            for i, item in enumerate(await self.call(parsing.as_list, body.get("images"), "images"))
        ]
        # Image bytes go to the content-addressed blob store first; an unreferenced blob is
        # harmless if the batch is then refused, and the database holds nothing of it.
        images: list[ImageAppend] = []
        for i, (fields, data) in enumerate(decoded):
            blob = await self.call(store.blobs.put, data)
            images.append(await self.call(parsing.image, fields, i, blob.sha256, time.time()))
        batch = dataclasses.replace(batch, images=tuple(images))
        result = await self.call(store.apply_batch, self.principal, run_id, batch)
        self.send_json(
            {
                "run_id": result.run_id,
                "seq": result.seq,
                "applied": result.applied,
                "points": result.points,
            }
        )
