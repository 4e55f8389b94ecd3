"""Kernels that the server starts find the tracker with no set-up at all."""

from __future__ import annotations

import json
import os
from typing import Any

from jupyter_server.serverapp import ServerApp

CODE = """
import json, os, urllib.request
url = os.environ["JUPYTER_TRACKER_URL"].rstrip("/") + "/jupyter-tracker/api/v1/me"
req = urllib.request.Request(url, headers={
    "Authorization": "Bearer " + os.environ["JUPYTER_TRACKER_API_TOKEN"]})
with urllib.request.urlopen(req, timeout=30) as resp:
    me = json.load(resp)
print(json.dumps({"me": me, "project": os.environ.get("JUPYTER_TRACKER_PROJECT")}))
"""


async def _run_in_kernel(serverapp: ServerApp, code: str) -> str:
    km = serverapp.kernel_manager
    kernel_id = await km.start_kernel()
    try:
        client = km.get_kernel(kernel_id).client()
        client.start_channels()
        await client.wait_for_ready(timeout=60)
        out: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("\n".join(msg["content"]["traceback"]))

        reply = await client.execute_interactive(code, output_hook=hook, timeout=60)
        client.stop_channels()
        assert reply["content"]["status"] == "ok", "".join(out)
        return "".join(out)
    finally:
        await km.shutdown_kernel(kernel_id, now=True)


async def test_a_kernel_started_by_the_server_reaches_the_tracker(
    jp_serverapp: ServerApp, jp_fetch: Any
) -> None:
    # Given a server with the extension, which exported its URL and a token at start-up
    assert os.environ["JUPYTER_TRACKER_API_TOKEN"].startswith("jtt_")
    # When a kernel it starts calls the API with only what it finds in its environment
    out = await _run_in_kernel(jp_serverapp, CODE)
    # Then the server knows it as the local user, with every project open to it
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["me"]["via_token"] is True
    assert seen["me"]["projects"] is None
    assert seen["project"] == "sandbox"
    response = await jp_fetch("jupyter-tracker", "api", "v1", "me")
    assert json.loads(response.body)["user"] == seen["me"]["user"]


async def test_the_kernel_token_file_is_private(jp_serverapp: ServerApp, blob_dir: Any) -> None:
    token_file = blob_dir.parent / "kernel-token"
    assert token_file.read_text().strip() == os.environ["JUPYTER_TRACKER_API_TOKEN"]
    assert token_file.stat().st_mode & 0o077 == 0


async def test_a_url_the_user_set_is_left_alone(
    jp_configurable_serverapp: Any, monkeypatch: Any
) -> None:
    # Given a user who pointed kernels at a team server before starting Jupyter
    monkeypatch.setenv("JUPYTER_TRACKER_URL", "https://tracker.example.test/")
    monkeypatch.setenv("JUPYTER_TRACKER_API_TOKEN", "jtt_team")
    monkeypatch.delenv("JUPYTER_TRACKER_EXPORTED", raising=False)
    monkeypatch.delenv("JUPYTER_TRACKER_ROOT_DIR", raising=False)
    # When the server starts with the extension
    app = jp_configurable_serverapp()
    # Then the kernels still get the user's URL and token
    assert os.environ["JUPYTER_TRACKER_URL"] == "https://tracker.example.test/"
    assert os.environ["JUPYTER_TRACKER_API_TOKEN"] == "jtt_team"
    # And the server's root, so that they name their notebooks relative to it
    assert os.environ["JUPYTER_TRACKER_ROOT_DIR"] == str(app.root_dir)
