"""Notebook checkpoints: upload a new one (optionally linked to a run), list, download."""

from __future__ import annotations

import json

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import serialize
from .base import TrackerHandler
from .files import send_inert

MAX_NOTEBOOK_BYTES = 256 * 1024 * 1024


class NotebooksHandler(TrackerHandler):
    """``GET ?project=``: the project's notebooks that have checkpoints."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        project = self.get_query_argument("project", self.service.default_project)
        items = await self.call(self.service.store.list_notebooks, self.principal, project)
        self.send_json({"notebooks": [serialize.notebook(n) for n in items]})


class CheckpointsHandler(TrackerHandler):
    """``GET ?project=&path=`` lists checkpoints, newest first; ``POST`` with the notebook
    JSON as the body stores the next one (``run_id=`` links a run to it)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        project = self.get_query_argument("project", self.service.default_project)
        path = self.get_query_argument("path", "")
        items = await self.call(self.service.store.list_checkpoints, self.principal, project, path)
        self.send_json({"checkpoints": [serialize.checkpoint(c) for c in items]})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        project = self.get_query_argument("project", self.service.default_project)
        path = self.get_query_argument("path", "")
        run_id = self.get_query_argument("run_id", None)
        description = self.get_query_argument("description", "")
        body = self.request.body
        if len(body) > MAX_NOTEBOOK_BYTES:
            raise self.invalid("the notebook is larger than 256 MiB", "body")
        try:
            notebook = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise self.invalid("the body must be a notebook (JSON)", "body") from None
        if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
            raise self.invalid("the body must be a notebook with a 'cells' list", "body")
        store = self.service.store
        checkpoint = await self.call(
            store.create_checkpoint, self.principal, project, path, body, description, run_id
        )
        self.send_json(serialize.checkpoint(checkpoint), 201)


class CheckpointContentHandler(TrackerHandler):
    """``GET ?project=&path=&number=``: the notebook as it was at that checkpoint."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        project = self.get_query_argument("project", self.service.default_project)
        path = self.get_query_argument("path", "")
        raw = self.get_query_argument("number", "")
        if not raw.isdigit() or len(raw) > 9:
            raise self.invalid("number must be a positive integer", "number")
        store = self.service.store
        checkpoint = await self.call(store.get_checkpoint, self.principal, project, path, int(raw))
        data = await self.call(store.blobs.read, checkpoint.sha256)
        send_inert(self, "application/json", None)
        self.finish(data, set_content_type="application/json")
