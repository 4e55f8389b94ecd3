"""A run started in a notebook: it names the notebook (relative to the Jupyter root) and the cell
that started it, tells the frontend on the cell's output, and falls back to the saved file plus
the kernel's history as its checkpoint when no frontend sends the editor's copy."""

from __future__ import annotations

import asyncio
import json
import textwrap
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from test_client_journal import QUIET, summary, sync

import jupyter_tracker as tracker
from jupyter_tracker.client.capture_setup import RUN_MIMETYPE

if TYPE_CHECKING:
    from conftest import TrackerServer

NOTEBOOK = {
    "cells": [{"cell_type": "markdown", "id": "intro", "metadata": {}, "source": "# training"}],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}
SETUP = "x = 1"
CREATE = textwrap.dedent(
    """\
    import jupyter_tracker as tracker
    tracker.init()
    exp = tracker.create_experiment(name="from-notebook", send_hardware_metrics=False)
    exp.log_metric("loss", 0.5)"""
)
STOP = "print('DELIVERED', exp.stop().ok)"
FROM_HISTORY = {"jupyter_tracker": {"from_kernel_history": True}}


class NotebookKernel:
    """A kernel started for a notebook the way JupyterLab starts one (a session), driven as a
    frontend would: each execute request carries its cell's id, and every iopub message the
    request caused is kept."""

    def __init__(
        self, server: TrackerServer, path: str, name: str | None = None, kind: str = "notebook"
    ) -> None:
        self.server = server
        self.path = path
        self.name = Path(path).name if name is None else name
        self.kind = kind

    async def __aenter__(self) -> NotebookKernel:
        sessions = self.server.serverapp.session_manager
        self.session = await sessions.create_session(
            path=self.path, name=self.name, type=self.kind, kernel_name="python3"
        )
        km = self.server.serverapp.kernel_manager
        self.client = km.get_kernel(self.session["kernel"]["id"]).client()
        self.client.start_channels()
        await self.client.wait_for_ready(timeout=60)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.client.stop_channels()
        await self.server.serverapp.session_manager.delete_session(self.session["id"])

    async def run(self, code: str, cell_id: str) -> list[dict[str, Any]]:
        """Execute ``code`` as cell ``cell_id``; its iopub messages (it must succeed)."""
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        request = self.client.session.msg("execute_request", content, metadata={"cellId": cell_id})
        self.client.shell_channel.send(request)
        msg_id = request["header"]["msg_id"]
        messages: list[dict[str, Any]] = []
        while True:
            msg = await self.client.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            messages.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        while True:
            reply = await self.client.get_shell_msg(timeout=120)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        assert reply["content"]["status"] == "ok", [
            m["content"] for m in messages if m["msg_type"] in ("stream", "error")
        ]
        return messages


def displayed(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["content"]["data"] for m in messages if m["msg_type"] == "display_data"]


def stdout(messages: list[dict[str, Any]]) -> str:
    return "".join(
        m["content"]["text"]
        for m in messages
        if m["msg_type"] == "stream" and m["content"]["name"] == "stdout"
    )


def save(server: TrackerServer, path: str, notebook: dict[str, Any]) -> None:
    file = Path(server.serverapp.root_dir) / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps(notebook), encoding="utf-8")


def cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    """The notebook's cells with each source as one string (stored notebooks split them)."""
    return [
        {**cell, "source": "".join(cell["source"])} if isinstance(cell["source"], list) else cell
        for cell in notebook["cells"]
    ]


def history_cell(count: int, source: str) -> dict[str, Any]:
    """A code cell the tracker appended from the kernel's history."""
    return {
        "cell_type": "code",
        "execution_count": count,
        "id": f"history-{count}",
        "metadata": FROM_HISTORY,
        "outputs": [],
        "source": source,
    }


def seconds_between(earlier: str, later: str) -> float:
    def parse(stamp: str) -> datetime:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))

    return (parse(later) - parse(earlier)).total_seconds()


async def only_run(server: TrackerServer) -> dict[str, Any]:
    (listed,) = await server.runs()
    run: dict[str, Any] = await server.get(f"runs/{listed['id']}")
    return run


async def checkpoints(server: TrackerServer, path: str) -> list[dict[str, Any]]:
    listing: list[dict[str, Any]] = (await server.get("notebooks/checkpoints", path=path))[
        "checkpoints"
    ]
    return listing


async def content(server: TrackerServer, path: str, number: int) -> dict[str, Any]:
    body = await server.get_bytes("notebooks/checkpoints/content", path=path, number=str(number))
    notebook: dict[str, Any] = json.loads(body)
    return notebook


async def wait_for_checkpoint(server: TrackerServer, path: str) -> dict[str, Any]:
    for _ in range(120):
        code, body = await server.request("notebooks/checkpoints", path=path)
        assert code in (200, 404), body  # 404: no notebook at that path yet
        listing = json.loads(body)["checkpoints"] if code == 200 else []
        if listing:
            (checkpoint,) = listing
            return checkpoint
        await asyncio.sleep(0.25)
    raise AssertionError(f"no checkpoint of {path} arrived within 30 s")


async def test_a_run_names_its_notebook_and_cell_and_tells_the_frontend(
    tracker_server: TrackerServer,
) -> None:
    # Given a saved notebook in a folder, with a kernel started for it as JupyterLab does
    save(tracker_server, "work/train.ipynb", NOTEBOOK)
    async with NotebookKernel(tracker_server, "work/train.ipynb") as kernel:
        await kernel.run(SETUP, "setup")
        # When its second cell to run, cell "abc", creates a run
        messages = await kernel.run(CREATE, "abc")
        run = await only_run(tracker_server)
        await kernel.run(STOP, "stop")

    # Then the cell's output carries one display message naming the run, notebook and cell
    run_id = run["id"]
    assert displayed(messages) == [
        {
            RUN_MIMETYPE: {
                "run_id": run_id,
                "project": "sandbox",
                "path": "work/train.ipynb",
                "cell_id": "abc",
                "execution_count": 2,
                "url": tracker_server.serverapp.connection_url,
            },
            "text/plain": f"Run {run_id} started in project sandbox",
        }
    ]
    # And the run records the notebook relative to the Jupyter root, with the cell
    assert run["notebook_path"] == "work/train.ipynb"
    assert run["notebook"] == {"path": "work/train.ipynb", "cell_id": "abc", "execution_count": 2}


async def test_with_no_frontend_the_saved_file_and_the_kernel_history_are_saved_after_5_s(
    tracker_server: TrackerServer,
) -> None:
    # Given a saved notebook holding a markdown cell only, and a kernel for it with no
    # frontend to send the editor's copy
    save(tracker_server, "work/train.ipynb", NOTEBOOK)
    async with NotebookKernel(tracker_server, "work/train.ipynb") as kernel:
        await kernel.run(SETUP, "setup")
        # When a cell that is not in the saved file starts a run that keeps running
        await kernel.run(CREATE, "abc")
        checkpoint = await wait_for_checkpoint(tracker_server, "work/train.ipynb")
        later = await kernel.run(STOP, "stop")
    run = await only_run(tracker_server)

    # Then 5 s after the run began, a checkpoint from disk was linked to it
    assert stdout(later) == "DELIVERED True\n"
    assert 5.0 <= seconds_between(run["created_at"], checkpoint["created_at"]) < 15.0
    assert (checkpoint["number"], checkpoint["origin"]) == (1, "disk")
    assert (checkpoint["run_id"], checkpoint["runs"]) == (run["id"], [run["id"]])
    assert run["checkpoint"]["number"] == 1
    assert run["checkpoint"]["origin"] == "disk"
    assert run["checkpoint"]["path"] == "work/train.ipynb"
    # And it holds the saved file plus the code the kernel ran up to the run's cell, appended
    # from its history (the cell run after that is no part of it)
    saved = await content(tracker_server, "work/train.ipynb", 1)
    assert cells(saved) == [
        {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": "# training"},
        history_cell(1, SETUP),
        history_cell(2, CREATE),
    ]


async def test_an_unsaved_notebook_is_saved_from_the_kernel_history_at_stop(
    tracker_server: TrackerServer,
) -> None:
    # Given a new notebook never saved: its folder exists, the file does not
    path = "work/Untitled.ipynb"
    (Path(tracker_server.serverapp.root_dir) / "work").mkdir()
    async with NotebookKernel(tracker_server, path) as kernel:
        # When a cell starts a run, and the next one stops it at once
        await kernel.run(CREATE, "first")
        later = await kernel.run(STOP, "second")
    run = await only_run(tracker_server)

    # Then stop() sent the checkpoint without waiting 5 s: the history's code as cells
    assert stdout(later) == "DELIVERED True\n"
    (checkpoint,) = await checkpoints(tracker_server, path)
    assert seconds_between(run["created_at"], checkpoint["created_at"]) < 5.0
    assert (checkpoint["origin"], checkpoint["run_id"]) == ("disk", run["id"])
    assert run["notebook"] == {"path": path, "cell_id": "first", "execution_count": 1}
    saved = await content(tracker_server, path, 1)
    assert cells(saved) == [history_cell(1, CREATE)]
    assert (saved["nbformat"], saved["nbformat_minor"]) == (4, 5)


async def test_the_editor_checkpoint_wins_over_the_one_from_disk(
    tracker_server: TrackerServer,
) -> None:
    # Given a saved notebook that lacks the cell being edited
    save(tracker_server, "work/train.ipynb", NOTEBOOK)
    live = {
        **NOTEBOOK,
        "cells": [
            *NOTEBOOK["cells"],
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "abc",
                "metadata": {},
                "outputs": [],
                "source": CREATE,
            },
        ],
    }
    async with NotebookKernel(tracker_server, "work/train.ipynb") as kernel:
        messages = await kernel.run(CREATE, "abc")
        # When the frontend, seeing the display message, posts the editor's model
        (data,) = displayed(messages)
        announced = data[RUN_MIMETYPE]
        response = await tracker_server.fetch(
            "jupyter-tracker/api/v1",
            "notebooks/checkpoints",
            method="POST",
            params={
                "project": announced["project"],
                "path": announced["path"],
                "origin": "editor",
                "run_id": announced["run_id"],
                "cell_id": announced["cell_id"],
                "execution_count": str(announced["execution_count"]),
            },
            body=json.dumps({"notebook": live, "history": [[1, CREATE]]}),
            raise_error=False,
        )
        assert response.code == 201, response.body
        # and the run stops before 5 s, which sends the copy from disk too
        later = await kernel.run(STOP, "stop")
    run = await only_run(tracker_server)

    # Then the copy from disk was answered (delivered) but stored nothing: the run keeps the
    # editor's checkpoint, and the notebook has that one only
    assert stdout(later) == "DELIVERED True\n"
    assert announced["run_id"] == run["id"]
    (checkpoint,) = await checkpoints(tracker_server, "work/train.ipynb")
    assert (checkpoint["number"], checkpoint["origin"]) == (1, "editor")
    assert checkpoint["runs"] == [run["id"]]
    assert (run["checkpoint"]["number"], run["checkpoint"]["origin"]) == (1, "editor")
    assert cells(await content(tracker_server, "work/train.ipynb", 1)) == live["cells"]


async def test_an_offline_run_keeps_its_disk_checkpoint_for_sync(
    tracker_server: TrackerServer,
) -> None:
    # Given a saved notebook, and a run logged offline that names it by its absolute path
    save(tracker_server, "work/train.ipynb", NOTEBOOK)
    notebook = Path(tracker_server.serverapp.root_dir) / "work" / "train.ipynb"

    def offline() -> tracker.Delivery:
        tracker.init(mode="offline")
        exp = tracker.create_experiment(name="offline", notebook_path=str(notebook), **QUIET)
        exp.log_metric("loss", 0.5)
        return exp.stop()

    delivery = await tracker_server.client(offline)
    assert not delivery.ok
    assert await tracker_server.runs() == []
    # When its journal is synced, after the file was saved again
    save(tracker_server, "work/train.ipynb", {**NOTEBOOK, "metadata": {"later": True}})
    code, output = await sync(tracker_server)

    # Then the run and its checkpoint from disk arrive, named relative to the Jupyter root,
    # with the file as it was when the run stopped
    assert code == 0, output
    assert summary(output).startswith("synced 1 run(s)")
    run = await only_run(tracker_server)
    assert run["notebook_path"] == "work/train.ipynb"
    assert run["notebook"] == {"path": "work/train.ipynb", "cell_id": None, "execution_count": None}
    (checkpoint,) = await checkpoints(tracker_server, "work/train.ipynb")
    assert (checkpoint["origin"], checkpoint["runs"]) == ("disk", [run["id"]])
    saved = await content(tracker_server, "work/train.ipynb", 1)
    assert (cells(saved), saved["metadata"]) == (NOTEBOOK["cells"], {})


async def test_flush_sends_the_disk_checkpoint_before_its_5_s(
    tracker_server: TrackerServer,
) -> None:
    # Given a run of a saved notebook, logging for a second: nothing from disk is sent yet
    save(tracker_server, "work/train.ipynb", NOTEBOOK)
    notebook = Path(tracker_server.serverapp.root_dir) / "work" / "train.ipynb"

    def start() -> tracker.Experiment:
        tracker.init(url=tracker_server.url, api_token=tracker_server.token)
        exp = tracker.create_experiment(name="flushed", notebook_path=str(notebook), **QUIET)
        exp.log_metric("loss", 0.5)
        return exp

    exp = await tracker_server.client(start)
    await asyncio.sleep(1.0)
    code, _ = await tracker_server.request("notebooks/checkpoints", path="work/train.ipynb")
    assert code == 404  # no checkpoint, so no notebook yet
    # When the user flushes
    delivery = await tracker_server.client(exp.flush)

    # Then the checkpoint is there at once, linked to the still running run
    assert delivery.ok
    (checkpoint,) = await checkpoints(tracker_server, "work/train.ipynb")
    run = await only_run(tracker_server)
    assert run["state"] == "running"
    assert (checkpoint["origin"], checkpoint["runs"]) == ("disk", [run["id"]])
    assert 1.0 <= seconds_between(run["created_at"], checkpoint["created_at"]) < 5.0
    await tracker_server.client(exp.stop)


async def test_a_run_started_in_a_console_names_no_notebook(
    tracker_server: TrackerServer,
) -> None:
    # Given a console, started in a folder as JupyterLab starts one
    (Path(tracker_server.serverapp.root_dir) / "work").mkdir()
    console = NotebookKernel(tracker_server, "work/console-1-0a1b", "Console 1", "console")
    async with console as kernel:
        # When it starts and stops a run
        messages = await kernel.run(CREATE, "first")
        later = await kernel.run(STOP, "second")

    # Then the run names no notebook, nothing is announced and no checkpoint is made
    assert stdout(later) == "DELIVERED True\n"
    assert displayed(messages) == []
    run = await only_run(tracker_server)
    assert (run["notebook_path"], run["notebook"], run["checkpoint"]) == (None, None, None)
    assert (await tracker_server.get("notebooks"))["notebooks"] == []
