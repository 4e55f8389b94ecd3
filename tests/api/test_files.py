"""Artifacts and source files (streamed upload, list, download) and images logged in batches."""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest
from api_client import Api, Reply, assert_error, assert_ok, b64, png_bytes, sha256

KINDS = ["artifacts", "source-files"]


def assert_inert_download(reply: Reply, filename: str) -> None:
    """Headers that make a browser save the bytes rather than render them."""
    assert reply.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Content-Type"] == "application/octet-stream"
    assert "sandbox" in reply.headers["Content-Security-Policy"]


@pytest.mark.parametrize("kind", KINDS)
async def test_upload_list_and_download(api: Api, run_id: str, kind: str) -> None:
    # Given some bytes, a few MB of them spanning many chunks of the stream
    data = os.urandom(3 * 1024 * 1024 + 17)
    # When they are uploaded under a nested path
    reply = await api.upload(run_id, "models/best/weights.bin", data, kind=kind)
    # Then the file is described by its path, size and hash
    stored = assert_ok(reply, 201)
    assert (stored["path"], stored["size"]) == ("models/best/weights.bin", len(data))
    assert stored["sha256"] == sha256(data)
    # And it is listed, with the other files of its kind, by path
    assert_ok(await api.upload(run_id, "a.txt", b"first", kind=kind), 201)
    files = assert_ok(await api.get(f"/runs/{run_id}/{kind}"))["files"]
    assert [(f["path"], f["size"]) for f in files] == [
        ("a.txt", 5),
        ("models/best/weights.bin", len(data)),
    ]
    # And it downloads as the same bytes, as an attachment the browser will not sniff
    down = await api.get(f"/runs/{run_id}/{kind}/content", params={"path": stored["path"]})
    assert down.code == 200, down
    assert down.body == data
    assert_inert_download(down, "weights.bin")


async def test_artifacts_and_source_files_are_apart(api: Api, run_id: str) -> None:
    # Given a file uploaded as an artifact only
    assert_ok(await api.upload(run_id, "train.py", b"artifact"), 201)
    # When the source files are listed and read, Then it is not among them
    assert assert_ok(await api.get(f"/runs/{run_id}/source-files"))["files"] == []
    reply = await api.get(f"/runs/{run_id}/source-files/content", params={"path": "train.py"})
    assert_error(reply, 404, field="path")


async def test_uploading_a_path_again_replaces_the_file(api: Api, run_id: str) -> None:
    # Given a file
    assert_ok(await api.upload(run_id, "notes.txt", b"old"), 201)
    # When the same path is uploaded again
    assert_ok(await api.upload(run_id, "notes.txt", b"newer"), 201)
    # Then one file is listed, with the new content
    files = assert_ok(await api.get(f"/runs/{run_id}/artifacts"))["files"]
    assert [(f["path"], f["size"]) for f in files] == [("notes.txt", 5)]
    down = await api.get(f"/runs/{run_id}/artifacts/content", params={"path": "notes.txt"})
    assert down.body == b"newer"


async def test_an_empty_file(api: Api, run_id: str) -> None:
    # When an empty file is uploaded, Then it is stored and downloads empty
    assert assert_ok(await api.upload(run_id, "empty", b""), 201)["size"] == 0
    down = await api.get(f"/runs/{run_id}/artifacts/content", params={"path": "empty"})
    assert (down.code, down.body, down.headers["Content-Length"]) == (200, b"", "0")


async def test_download_names_are_sanitised(api: Api, run_id: str) -> None:
    # Given a file whose name has quotes and markup in it
    path = 'x/page"<b>.html'
    assert_ok(await api.upload(run_id, path, b"<script>alert(1)</script>"), 201)
    # When it is downloaded
    down = await api.get(f"/runs/{run_id}/artifacts/content", params={"path": path})
    # Then it comes as an inert attachment under a harmless name
    assert down.body == b"<script>alert(1)</script>"
    assert_inert_download(down, "pageb.html")


async def test_a_file_name_beyond_latin1_downloads(api: Api, run_id: str) -> None:
    # Given a file whose name is not in Latin-1
    path = "数据/权重 v1.bin"
    assert_ok(await api.upload(run_id, path, b"abc"), 201)
    # When it is downloaded
    down = await api.get(f"/runs/{run_id}/artifacts/content", params={"path": path})
    # Then it comes with an ASCII name, and its own name in the RFC 5987 form
    assert (down.code, down.body) == (200, b"abc")
    disposition = down.headers["Content-Disposition"]
    assert disposition.isascii()
    assert disposition.startswith('attachment; filename="v1.bin"')
    assert disposition.endswith("; filename*=UTF-8''" + quote("权重 v1.bin", safe=""))
    assert down.headers["X-Content-Type-Options"] == "nosniff"


BAD_PATHS = ["../x", "a/../../x", "/etc/passwd", "a//b", "./a", "a/.", "a/", "a\\b", "a\nb", ""]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", BAD_PATHS, ids=repr)
async def test_a_bad_path_is_refused(api: Api, run_id: str, kind: str, path: str) -> None:
    # Given a run with one file
    assert_ok(await api.upload(run_id, "kept.txt", b"kept", kind=kind), 201)
    before = await api.snapshot()
    # When a file is uploaded under a path that could leave the run, or is no path at all
    reply = await api.upload(run_id, path, b"evil", kind=kind)
    # Then it is refused naming the path, and nothing is stored, not even a blob
    assert_error(reply, 400, field="path")
    assert await api.snapshot() == before
    # And the same path cannot be downloaded either
    down = await api.get(f"/runs/{run_id}/{kind}/content", params={"path": path})
    assert_error(down, 400, field="path")


async def test_upload_without_a_path_and_to_a_missing_run(api: Api, run_id: str) -> None:
    before = await api.snapshot()
    # When a file is uploaded with no path, Then it is refused naming the path
    reply = await api.put(f"/runs/{run_id}/artifacts/content", b"data")
    assert_error(reply, 400, field="path")
    # When it is uploaded to a run that does not exist, Then it is not found
    assert_error(await api.upload("SAN-77", "a.txt", b"data"), 404, field="run_id")
    # And nothing was stored
    assert await api.snapshot() == before
    # And a missing file is not found
    down = await api.get(f"/runs/{run_id}/artifacts/content", params={"path": "nope.txt"})
    assert_error(down, 404, field="path")


async def test_identical_content_is_stored_once(api: Api, run_id: str) -> None:
    # Given two runs
    other = (await api.create_run())["id"]
    data = b"the same bytes" * 1000
    # When the same bytes are uploaded four times, under other paths, kinds and runs
    for rid, kind, path in [
        (run_id, "artifacts", "a.bin"),
        (run_id, "artifacts", "copy/a.bin"),
        (run_id, "source-files", "a.bin"),
        (other, "artifacts", "b.bin"),
    ]:
        assert assert_ok(await api.upload(rid, path, data, kind=kind), 201)["sha256"] == sha256(
            data
        )
    # Then the blob directory holds them once, and no temporary file is left
    assert api.blob_files() == [f"{sha256(data)[:2]}/{sha256(data)[2:4]}/{sha256(data)}"]
    assert api.all_blob_dir_files() == sorted([*api.blob_files(), "tmp", *_parents(data)])
    # And each path downloads the bytes
    down = await api.get(f"/runs/{other}/artifacts/content", params={"path": "b.bin"})
    assert down.body == data
    # When different bytes come, Then they make a second blob
    assert_ok(await api.upload(run_id, "c.bin", data + b"!"), 201)
    assert len(api.blob_files()) == 2


def _parents(data: bytes) -> list[str]:
    digest = sha256(data)
    return [digest[:2], f"{digest[:2]}/{digest[2:4]}"]


async def test_images_in_batches_are_listed_and_served(api: Api, run_id: str) -> None:
    # Given two images logged in a batch, and a copy of the first later on
    first, second = png_bytes(1), png_bytes(2)
    await api.log(
        run_id,
        images=[
            {"name": "samples", "data": b64(first), "step": 1, "description": "a cat"},
            {"name": "samples", "data": b64(second), "step": 2, "content_type": "image/png"},
        ],
    )
    await api.log(run_id, images=[{"name": "samples", "data": b64(first)}])
    # When the image series is read
    reply = await api.get(f"/runs/{run_id}/entries", params={"name": "samples"})
    entries = assert_ok(reply)["entries"]
    # Then each image is listed by its hash, in step order
    assert [(e["step"], e["sha256"], e["content_type"]) for e in entries] == [
        (1, sha256(first), "image/png"),
        (2, sha256(second), "image/png"),
        (3, sha256(first), "image/png"),
    ]
    assert entries[0]["description"] == "a cat"
    # And each is served by its hash as an image, not as a page
    for data in (first, second):
        image = await api.get(f"/runs/{run_id}/images/{sha256(data)}")
        assert (image.code, image.body) == (200, data)
        assert image.headers["Content-Type"] == "image/png"
        assert image.headers["X-Content-Type-Options"] == "nosniff"
    # And the repeated image is stored once
    assert len(api.blob_files()) == 2


async def test_images_are_served_only_through_their_own_run(api: Api, run_id: str) -> None:
    # Given an image in one run, an artifact in it, and another run
    image = png_bytes(5)
    await api.log(run_id, images=[{"name": "samples", "data": b64(image)}])
    assert_ok(await api.upload(run_id, "page.html", b"<html>"), 201)
    other = (await api.create_run())["id"]
    await api.log(other, images=[{"name": "samples", "data": b64(png_bytes(6))}])
    # When the image is asked of the other run, Then it is not found there
    assert_error(await api.get(f"/runs/{other}/images/{sha256(image)}"), 404, field="sha256")
    # And an artifact's hash is no image, nor is a hash never stored
    for digest in (sha256(b"<html>"), "0" * 64):
        assert_error(await api.get(f"/runs/{run_id}/images/{digest}"), 404, field="sha256")
    # And it is still served through its own run
    assert (await api.get(f"/runs/{run_id}/images/{sha256(image)}")).body == image


async def test_a_refused_batch_with_an_image_stores_no_entry(api: Api, run_id: str) -> None:
    # When a batch with an image and a bad metric is posted
    batch = {
        "images": [{"name": "samples", "data": b64(png_bytes(9))}],
        "metrics": [{"name": "m", "values": ["bad"]}],
    }
    assert_error(
        await api.post(f"/runs/{run_id}/batches", batch), 400, field="metrics[0].values[0]"
    )
    # Then the run has no image series, and the image is not served
    assert assert_ok(await api.get(f"/runs/{run_id}/series"))["series"] == []
    reply = await api.get(f"/runs/{run_id}/images/{sha256(png_bytes(9))}")
    assert_error(reply, 404, field="sha256")
