"""Notebook checkpoints: upload a new one (optionally linked to a run), list, download."""

from __future__ import annotations

import dataclasses

from jupyter_server.auth.decorator import authorized
from tornado import web

from ...notebooks import Snapshot, prepare
from ...store.errors import Invalid
from .. import parsing, serialize
from .base import TrackerHandler
from .files import send_inert

MAX_NOTEBOOK_BYTES = 256 * 1024 * 1024


def snapshot(
    body: bytes, origin: str, running_cell: tuple[str | None, int | None] | None = None
) -> Snapshot:
    """The notebook in ``body`` parsed, made canonical and checked for hidden state; a bad one
    is refused naming the body. Slow for big notebooks: call it on the service's pool."""
    if len(body) > MAX_NOTEBOOK_BYTES:
        raise Invalid("the notebook is larger than 256 MiB", field="body")
    try:
        return prepare(body, origin=origin, running_cell=running_cell)
    except ValueError as e:
        raise Invalid(str(e) or "the body must be a notebook (JSON)", field="body") from None


class NotebookHandler(TrackerHandler):
    """Shared by the notebook routes: the query string as ``{name: value or None}``."""

    QUERY_NAMES: tuple[str, ...] = ("project", "path", "notebook_id")

    def query(self) -> parsing.Query:
        return {name: self.get_query_argument(name, None) for name in self.QUERY_NAMES}


class NotebooksHandler(TrackerHandler):
    """``GET ?project=``: the project's notebooks that have checkpoints."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        project = self.get_query_argument("project", self.service.default_project)
        items = await self.call(self.service.store.list_notebooks, self.principal, project)
        self.send_json({"notebooks": [serialize.notebook(n) for n in items]})


class CheckpointsHandler(NotebookHandler):
    """``GET ?project=&path=`` (or ``&notebook_id=``) lists checkpoints, newest first;
    ``POST`` with the notebook JSON (or ``{"notebook": ..., "history": ...}``) as the body
    stores the next one (``run_id=`` links a run to it)."""

    QUERY_NAMES = (
        "project",
        "path",
        "notebook_id",
        "description",
        "run_id",
        "origin",
        "cell_id",
        "execution_count",
    )

    @web.authenticated
    @authorized
    async def get(self) -> None:
        project, path, notebook_id = await self.call(
            parsing.notebook_ref, self.query(), self.service.default_project
        )
        store = self.service.store
        items = await self.call(store.list_checkpoints, self.principal, project, path, notebook_id)
        self.send_json({"checkpoints": [serialize.checkpoint(c) for c in items]})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        store = self.service.store
        new = await self.call(parsing.checkpoint_upload, self.query(), self.service.default_project)
        # Refuse callers without access before the (possibly long) parse of the body; the
        # store checks everything again before it writes.
        await self.call(store.get_project, self.principal, new.project)
        running_cell = None
        if new.cell_id is not None or new.execution_count is not None:
            running_cell = (new.cell_id, new.execution_count)
        prepared = await self.call(snapshot, self.request.body, new.origin, running_cell)
        new = dataclasses.replace(
            new,
            content=prepared.content,
            notebook_id=prepared.notebook_id,
            warnings=tuple(prepared.warnings),
        )
        checkpoint, created = await self.call(store.create_checkpoint, self.principal, new)
        # 200: nothing new was stored (the same content as the latest checkpoint, or a copy
        # from disk for a run that has the editor's already).
        self.send_json(serialize.checkpoint(checkpoint, created), 201 if created else 200)


class CheckpointContentHandler(NotebookHandler):
    """``GET ?project=&path=&number=`` (or ``&notebook_id=``): the notebook as it was at that
    checkpoint."""

    QUERY_NAMES = ("project", "path", "notebook_id", "number")

    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.query()
        project, path, notebook_id = await self.call(
            parsing.notebook_ref, query, self.service.default_project
        )
        number = await self.call(parsing.query_int, query, "number", minimum=1, required=True)
        store = self.service.store
        checkpoint = await self.call(
            store.get_checkpoint, self.principal, project, path, number, notebook_id
        )
        data = await self.call(store.blobs.read, checkpoint.sha256)
        send_inert(self, "application/json", None)
        self.finish(data, set_content_type="application/json")
