"""The acceptance test: the seed example, typed into a kernel that JupyterLab's server started,
logs with no configuration at all, and everything it logged reads back, both through the
client's read API in the kernel and through the REST API."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import TrackerServer

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EPOCHS = 25

SEED_EXAMPLE = f"""
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import jupyter_tracker as tracker

tracker.init()
exp = tracker.create_experiment(
    name="seed-example",
    params={{"lr": 0.01, "epochs": {EPOCHS}, "optimizer": "adam", "dropout": None}},
)
tracker.append_tag("baseline")
tracker.append_tag("mnist", "cnn")

for epoch in range({EPOCHS}):
    loss = 1.0 / (epoch + 1)
    tracker.log_metric("loss", loss)
    tracker.log_metric("accuracy", epoch, 0.5 + epoch / 100)
print("training finished after {EPOCHS} epochs")

fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([1, 2, 3], [3, 1, 2])
tracker.log_image("predictions", fig, image_name="curve", description="three points")
plt.close(fig)

with open("model.txt", "w") as f:
    f.write("weights: 1 2 3\\n")
tracker.log_artifact("model.txt")
tracker.set_property("dataset", "mnist")
seed_id = exp.id
tracker.stop()

with tracker.create_experiment(name="seed-with", params={{"lr": 0.1}}) as exp2:
    exp2.log_metric("loss", 0.5)
    exp2.log_metric("loss", 0.25)
    exp2.append_tag("with-form")
with_id = exp2.id
print("IDS " + seed_id + " " + with_id)
"""

READ_BACK = """
import json, tempfile
project = tracker.project()
experiments = project.get_experiments()
seed = next(e for e in experiments if e.id == seed_id)
curves = seed.get_numeric_channels_values("loss", "accuracy")
board = project.get_leaderboard()
out = {
    "ids": [e.id for e in experiments],
    "states": {e.id: e.get_state() for e in experiments},
    "params": seed.get_parameters(),
    "tags": sorted(seed.get_tags()),
    "properties": seed.get_properties(),
    "logs": seed.get_logs(),
    "curves": {c: curves[c].tolist() for c in curves.columns},
    "artifact": seed.download_artifact("model.txt", tempfile.mkdtemp()).read_text(),
    "board_columns": list(board.columns),
    "board": board[["id", "name", "state", "channel_loss"]].to_dict("records"),
}
print("RESULT " + json.dumps(out))
"""


async def run_in_kernel(server: TrackerServer, *cells: str) -> list[str]:
    """Start a kernel through the server, run each cell (all must succeed), shut it down; the
    stdout of each cell."""
    km = server.serverapp.kernel_manager
    # As for a notebook at the top of the server's root: the kernel works in that folder
    kernel_id = await km.start_kernel(path="")
    outputs: list[str] = []
    try:
        client = km.get_kernel(kernel_id).client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            for cell in cells:
                out: list[str] = []

                def hook(msg: dict[str, Any], out: list[str] = out) -> None:
                    if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                        out.append(msg["content"]["text"])
                    elif msg["msg_type"] == "error":
                        out.append("\n".join(msg["content"]["traceback"]))

                reply = await client.execute_interactive(cell, output_hook=hook, timeout=120)
                assert reply["content"]["status"] == "ok", "".join(out)
                outputs.append("".join(out))
        finally:
            client.stop_channels()
    finally:
        await km.shutdown_kernel(kernel_id, now=True)
    return outputs


def tagged_line(output: str, tag: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(tag + " ")]
    assert lines, output
    return lines[-1][len(tag) + 1 :]


async def test_the_seed_example_runs_in_a_kernel_with_no_setup_and_reads_back(
    tracker_server: TrackerServer, jp_root_dir: Path
) -> None:
    # Given a server with the extension, whose kernels find the tracker by themselves
    # When a kernel it starts runs the seed example, then reads its runs back
    run_out, read_out = await run_in_kernel(
        tracker_server, textwrap.dedent(SEED_EXAMPLE), textwrap.dedent(READ_BACK)
    )
    seed_id, with_id = tagged_line(run_out, "IDS").split()
    seen = json.loads(tagged_line(read_out, "RESULT"))
    assert (jp_root_dir / "model.txt").read_text() == "weights: 1 2 3\n"
    # The user still saw the output of their cell
    assert f"training finished after {EPOCHS} epochs" in run_out

    # Then the client's read API shows both runs, succeeded, with all that was logged
    assert sorted(seen["ids"]) == sorted([seed_id, with_id])
    assert seen["states"] == {seed_id: "succeeded", with_id: "succeeded"}
    assert seen["params"] == {"lr": 0.01, "epochs": EPOCHS, "optimizer": "adam", "dropout": None}
    assert seen["tags"] == ["baseline", "cnn", "mnist"]
    assert seen["properties"] == {"dataset": "mnist"}
    assert seen["logs"]["loss"]["y"] == 1.0 / EPOCHS
    assert seen["logs"]["loss"]["x"] == EPOCHS - 1
    assert seen["logs"]["accuracy"]["y"] == 0.5 + (EPOCHS - 1) / 100
    assert seen["logs"]["stdout"]["kind"] == "text"
    assert seen["curves"]["x"] == [float(i) for i in range(EPOCHS)]
    assert seen["curves"]["loss"] == [1.0 / (i + 1) for i in range(EPOCHS)]
    assert seen["curves"]["accuracy"] == [0.5 + i / 100 for i in range(EPOCHS)]
    assert seen["artifact"] == "weights: 1 2 3\n"
    for column in ("id", "name", "state", "parameter_lr", "property_dataset", "channel_loss"):
        assert column in seen["board_columns"]
    board = {row["id"]: row for row in seen["board"]}
    assert board[seed_id]["name"] == "seed-example"
    assert board[seed_id]["channel_loss"] == 1.0 / EPOCHS
    assert board[with_id] == {
        "id": with_id,
        "name": "seed-with",
        "state": "succeeded",
        "channel_loss": 0.25,
    }

    # And the REST API agrees, after the kernel is gone too
    runs = {r["id"]: r for r in await tracker_server.runs()}
    assert set(runs) == {seed_id, with_id}
    run = await tracker_server.get(f"runs/{seed_id}")
    assert run["state"] == "succeeded"
    assert run["finished_at"] is not None
    assert run["exception"] is None
    assert run["owner"] == tracker_server.user
    assert run["params"] == seen["params"]
    assert sorted(run["tags"]) == ["baseline", "cnn", "mnist"]
    assert run["properties"] == {"dataset": "mnist"}
    assert run["details"]["kernel_id"]  # the kernel it ran in is known

    loss = await tracker_server.points(seed_id, "loss")
    assert loss["count"] == EPOCHS
    assert loss["steps"] == [float(i) for i in range(EPOCHS)]
    assert loss["values"] == [1.0 / (i + 1) for i in range(EPOCHS)]
    accuracy = await tracker_server.points(seed_id, "accuracy")
    assert accuracy["values"] == [0.5 + i / 100 for i in range(EPOCHS)]

    (image,) = await tracker_server.entries(seed_id, "predictions")
    assert image["content_type"] == "image/png"
    assert (image["image_name"], image["description"]) == ("curve", "three points")
    png = await tracker_server.get_bytes(f"runs/{seed_id}/images/{image['sha256']}")
    assert png.startswith(PNG_MAGIC)

    artifacts = (await tracker_server.get(f"runs/{seed_id}/artifacts"))["files"]
    assert [a["path"] for a in artifacts] == ["model.txt"]
    assert await tracker_server.artifact(seed_id, "model.txt") == b"weights: 1 2 3\n"

    stdout = [e["text"] for e in await tracker_server.entries(seed_id, "stdout")]
    assert f"training finished after {EPOCHS} epochs" in stdout

    with_run = await tracker_server.get(f"runs/{with_id}")
    assert with_run["state"] == "succeeded"
    assert with_run["tags"] == ["with-form"]
    assert (await tracker_server.points(with_id, "loss"))["values"] == [0.5, 0.25]
