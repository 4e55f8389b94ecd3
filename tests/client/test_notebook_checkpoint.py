"""A run logged from a notebook saves that notebook as a checkpoint, linked to the run."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from test_seed_example import tagged_line

if TYPE_CHECKING:
    from conftest import TrackerServer

NOTEBOOK = {
    "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# training"}],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}
CELL = """
import jupyter_tracker as tracker
tracker.init()
exp = tracker.create_experiment(name="from-notebook", send_hardware_metrics=False)
exp.log_metric("loss", 0.5)
exp.stop()
print("RUN " + exp.id)
"""


async def test_a_notebook_run_is_linked_to_a_checkpoint_of_its_notebook(
    tracker_server: TrackerServer,
) -> None:
    # Given a notebook on disk and a kernel started for it as JupyterLab does (a session)
    serverapp = tracker_server.serverapp
    folder = Path(serverapp.root_dir) / "work"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.ipynb").write_text(json.dumps(NOTEBOOK))
    sessions = serverapp.session_manager
    session = await sessions.create_session(
        path="work/train.ipynb", name="train.ipynb", type="notebook", kernel_name="python3"
    )
    kernel_id = session["kernel"]["id"]
    km = serverapp.kernel_manager
    try:
        client = km.get_kernel(kernel_id).client()
        client.start_channels()
        out: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("\n".join(msg["content"]["traceback"]))

        await client.wait_for_ready(timeout=60)
        # When the notebook's code logs a run
        reply = await client.execute_interactive(
            textwrap.dedent(CELL), output_hook=hook, timeout=120
        )
        client.stop_channels()
        assert reply["content"]["status"] == "ok", "".join(out)
    finally:
        await sessions.delete_session(session["id"])
    run_id = tagged_line("".join(out), "RUN")
    # Then the run names its notebook, and a checkpoint of it holds the notebook as saved
    run = await tracker_server.get(f"runs/{run_id}")
    assert run["notebook_path"].endswith("train.ipynb")
    assert run["kernel_id"] == kernel_id
    assert run["checkpoint"] == {"path": "work/train.ipynb", "number": 1}
    status, body = await tracker_server.request(
        "notebooks/checkpoints/content", path="work/train.ipynb", number="1"
    )
    assert status == 200
    assert json.loads(body) == NOTEBOOK
    listing = await tracker_server.get("notebooks/checkpoints", path="work/train.ipynb")
    assert listing["checkpoints"][0]["run_id"] == run_id
