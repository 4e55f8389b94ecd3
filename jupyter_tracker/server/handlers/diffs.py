"""Notebook diffs in nbdime's format: two checkpoints, or a checkpoint and posted notebook JSON."""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ...notebooks import diff_notebooks
from ...store.blobs import BlobStore
from ...store.entities import Checkpoint
from .. import parsing, serialize
from .notebooks import NotebookHandler, snapshot


def diff_reply(
    blobs: BlobStore,
    base: Checkpoint,
    remote: Checkpoint | None,
    remote_notebook: dict[str, Any] | None = None,
) -> bytes:
    """The reply's JSON: the diff of ``base`` to ``remote`` (or to ``remote_notebook``, the
    posted one). Reads, diffs and encodes big notebooks: call it on the service's pool."""
    base_notebook = json.loads(blobs.read(base.sha256))
    if remote_notebook is None:
        assert remote is not None
        remote_notebook = json.loads(blobs.read(remote.sha256))
    result = diff_notebooks(base_notebook, remote_notebook)
    payload = {
        "base": result.base,
        "diff": result.diff,
        "summarised": result.summarised,
        "base_checkpoint": serialize.checkpoint(base),
        "remote_checkpoint": serialize.checkpoint(remote) if remote is not None else None,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class DiffHandler(NotebookHandler):
    """``GET ?project=&path=&base=N&remote=M``: checkpoint N to checkpoint M of a notebook;
    ``POST ?project=&path=&base=N`` with notebook JSON as the body: checkpoint N to it.
    ``notebook_id=`` may name the notebook instead of ``path=``."""

    QUERY_NAMES = ("project", "path", "notebook_id", "base", "remote")

    async def _base(self, query: parsing.Query) -> tuple[tuple[Any, ...], Checkpoint]:
        project, path, notebook_id = await self.call(
            parsing.notebook_ref, query, self.service.default_project
        )
        number = await self.call(parsing.query_int, query, "base", minimum=1, required=True)
        where = (project, path, notebook_id)
        checkpoint = await self.call(
            self.service.store.get_checkpoint, self.principal, project, path, number, notebook_id
        )
        return where, checkpoint

    def _send(self, data: bytes) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(data)

    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.query()
        (project, path, notebook_id), base = await self._base(query)
        number = await self.call(parsing.query_int, query, "remote", minimum=1, required=True)
        store = self.service.store
        remote = await self.call(
            store.get_checkpoint, self.principal, project, path, number, notebook_id
        )
        self._send(await self.call(diff_reply, store.blobs, base, remote))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        query = self.query()
        if query.get("remote"):
            raise self.invalid("remote is the posted notebook: leave remote= out", "remote")
        _, base = await self._base(query)
        posted = await self.call(snapshot, self.request.body, "upload")
        self._send(
            await self.call(diff_reply, self.service.store.blobs, base, None, posted.notebook)
        )
