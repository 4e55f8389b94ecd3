"""Artifacts and source files: streaming upload, listing, download; images by hash."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from tornado import web

from ...store import validation
from ...store.blobs import BlobWriter
from ...store.entities import FileKind
from .. import serialize
from .base import TrackerHandler

MAX_UPLOAD_BYTES = 16 * 1024**3
SAFE_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def send_inert(handler: web.RequestHandler, content_type: str, filename: str | None) -> None:
    """Headers that keep downloaded bytes from ever running as a page of ours."""
    handler.set_header("Content-Type", content_type)
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.set_header("Content-Security-Policy", "sandbox; default-src 'none'")
    if filename is not None:
        safe = "".join(c for c in filename if c.isalnum() or c in "._- ")
        # Header values are Latin-1: an ASCII name, and the full one in RFC 5987 form if it differs.
        ascii_name = "".join(c for c in safe if c.isascii()).strip() or "download"
        disposition = f'attachment; filename="{ascii_name}"'
        if safe and not safe.isascii():
            disposition += f"; filename*=UTF-8''{quote(safe, safe='')}"
        handler.set_header("Content-Disposition", disposition)


class FilesHandler(TrackerHandler):
    """``GET`` lists a run's files of one kind."""

    kind: FileKind

    def initialize(self, service: Any, kind: FileKind = "artifact") -> None:
        super().initialize(service)
        self.kind = kind

    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        items = await self.call(self.service.store.list_files, self.principal, run_id, self.kind)
        self.send_json({"files": [serialize.stored_file(f) for f in items]})


@web.stream_request_body
class FileContentHandler(TrackerHandler):
    """``PUT ?path=`` streams a file into the blob store; ``GET ?path=`` streams it back."""

    kind: FileKind
    _writer: BlobWriter | None = None
    _path: str = ""

    def initialize(self, service: Any, kind: FileKind = "artifact") -> None:
        super().initialize(service)
        self.kind = kind

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self.request.method != "PUT" or self.current_user is None or self.forwarded:
            return
        self._path = await self.call(validation.file_path, self.get_query_argument("path", ""))
        await self.call(
            self.service.store.check_run_writable,
            self.principal,
            self.path_kwargs.get("run_id", ""),
        )
        self.request.connection.set_max_body_size(MAX_UPLOAD_BYTES)  # type: ignore[union-attr]
        self._writer = self.service.store.blobs.writer()

    def data_received(self, chunk: bytes) -> Any:
        if self.forwarded:
            return self.forward_chunk(chunk)
        if self._writer is not None:
            self._writer.write(chunk)

    def on_finish(self) -> None:
        if self._writer is not None:
            self._writer.abort()
            self._writer = None

    @web.authenticated
    @authorized
    async def put(self, run_id: str) -> None:
        if self.forwarded:
            await self.finish_forwarded()
            return
        writer, self._writer = self._writer, None
        if writer is None:
            raise self.invalid("nothing was uploaded", "body")
        try:
            blob = await self.call(writer.commit)
        except BaseException:
            writer.abort()
            raise
        stored = await self.call(
            self.service.store.record_file, self.principal, run_id, self.kind, self._path, blob
        )
        self.send_json(serialize.stored_file(stored), 201)

    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        path = self.get_query_argument("path", "")
        store = self.service.store
        stored = await self.call(store.get_file, self.principal, run_id, self.kind, path)
        send_inert(self, "application/octet-stream", stored.path.rsplit("/", 1)[-1])
        self.set_header("Content-Length", str(stored.size))
        for chunk in store.blobs.iter_chunks(stored.sha256):
            self.write(chunk)
            await self.flush()
        self.finish(set_content_type="application/octet-stream")


class ImageHandler(TrackerHandler):
    """An image logged to a run, by its sha256; served as an image, never as a page."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str, sha256: str) -> None:
        store = self.service.store
        content_type = await self.call(store.get_image_blob, self.principal, run_id, sha256)
        data = await self.call(store.blobs.read, sha256)
        if content_type not in SAFE_IMAGE_TYPES:
            content_type = "application/octet-stream"
        send_inert(self, content_type, None)
        self.set_header("Cache-Control", "private, max-age=31536000, immutable")
        self.finish(data, set_content_type=content_type)
