"""Each call of the client against a real server: what the user logs is what the server keeps,
and what the read calls give back.

The client runs in a thread (``tracker_server.client``) since it blocks on HTTP while the
server answers on the test's event loop; the test then reads through the REST API.
"""

from __future__ import annotations

import io
import math
import sys
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import jupyter_tracker as tracker
from jupyter_tracker.client import capture_setup

if TYPE_CHECKING:
    from conftest import TrackerServer

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
QUIET = {"upload_stdout": False, "upload_stderr": False, "send_hardware_metrics": False}
"""Switches that keep a run to what the test logs itself."""


def start(server: TrackerServer, name: str = "test", **kwargs: Any) -> tracker.Experiment:
    tracker.init(url=server.url, api_token=server.token)
    return tracker.create_experiment(name=name, **{**QUIET, **kwargs})


async def images(server: TrackerServer, run_id: str, name: str) -> list[Any]:
    """The PIL images of an image series, in step order."""
    from PIL import Image

    out = []
    for entry in await server.entries(run_id, name):
        assert entry["content_type"] == "image/png", entry
        data = await server.get_bytes(f"runs/{run_id}/images/{entry['sha256']}")
        assert data.startswith(PNG_MAGIC)
        image = Image.open(io.BytesIO(data))
        image.load()
        out.append(image)
    return out


# numbers


async def test_log_metric_with_a_value_alone_numbers_the_steps(
    tracker_server: TrackerServer,
) -> None:
    # Given a running experiment
    def scenario() -> str:
        exp = start(tracker_server)
        # When values are logged without steps, through the module and the experiment
        tracker.log_metric("loss", 0.9)
        tracker.log_metric("loss", 0.5)
        exp.log_metric("loss", np.float32(0.25))
        exp.log_metric("loss", 1)
        exp.stop()
        return exp.id

    run_id = await tracker_server.client(scenario)
    # Then they are the points 0, 1, 2, 3 in order
    points = await tracker_server.points(run_id, "loss")
    assert points["steps"] == [0.0, 1.0, 2.0, 3.0]
    assert points["values"] == [0.9, 0.5, 0.25, 1.0]
    assert all(isinstance(t, float) for t in points["timestamps"])


async def test_log_metric_with_x_and_y_takes_x_as_the_step(tracker_server: TrackerServer) -> None:
    def scenario() -> str:
        exp = start(tracker_server)
        # When steps are given (equal steps are allowed), then a value alone follows them
        exp.log_metric("acc", 10, 0.1)
        exp.log_metric("acc", 10, 0.2)
        exp.log_metric("acc", np.int64(20), 0.3)
        exp.log_metric("acc", 25.5, 0.4)
        exp.log_metric("acc", 0.5)
        exp.log_metric("acc", 100, 0.6, timestamp=1_700_000_000.5)
        exp.stop()
        return exp.id

    run_id = await tracker_server.client(scenario)
    points = await tracker_server.points(run_id, "acc")
    assert points["steps"] == [10.0, 10.0, 20.0, 25.5, 26.5, 100.0]
    assert points["values"] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    assert points["timestamps"][-1] == 1_700_000_000.5


async def test_log_metrics_logs_each_series_at_its_next_step_or_at_the_given_one(
    tracker_server: TrackerServer,
) -> None:
    def scenario() -> str:
        exp = start(tracker_server)
        exp.log_metric("a", 0.0)
        tracker.log_metrics({"a": 1.0, "b": 2.0})
        tracker.log_metrics({"a": 3.0, "b": 4.0}, step=7)
        exp.stop()
        return exp.id

    run_id = await tracker_server.client(scenario)
    a = await tracker_server.points(run_id, "a")
    b = await tracker_server.points(run_id, "b")
    assert (a["steps"], a["values"]) == ([0.0, 1.0, 7.0], [0.0, 1.0, 3.0])
    assert (b["steps"], b["values"]) == ([0.0, 7.0], [2.0, 4.0])


async def test_nan_and_infinities_are_stored_and_read_back_as_such(
    tracker_server: TrackerServer,
) -> None:
    # Given metrics holding NaN, +Inf and -Inf among finite values
    def scenario() -> tuple[str, Any, Any, Any]:
        exp = start(tracker_server)
        for value in (1.0, math.nan, math.inf, -math.inf, np.float64("nan"), 2.0, math.nan):
            exp.log_metric("odd", value)
        exp.log_metric("up", 1.0)
        exp.log_metric("up", math.inf)
        exp.log_metric("down", -math.inf)
        exp.stop()
        frame = exp.get_numeric_channels_values("odd")
        board = exp.project.get_leaderboard()
        return exp.id, frame["odd"].to_numpy(), exp.get_logs(), board

    run_id, values, logs, board = await tracker_server.client(scenario)
    # Then the client reads every point back as the same float
    expected = np.array([1.0, math.nan, math.inf, -math.inf, math.nan, 2.0, math.nan])
    np.testing.assert_array_equal(values, expected)
    # And last values are floats too, not the strings JSON carries them as
    assert logs["up"] == {"x": 1.0, "y": math.inf, "kind": "numeric"}
    assert logs["down"] == {"x": 0.0, "y": -math.inf, "kind": "numeric"}
    (row,) = board.to_dict("records")
    assert (row["channel_up"], row["channel_down"]) == (math.inf, -math.inf)
    # And the REST API writes them as the strings JSON needs
    points = await tracker_server.points(run_id, "odd")
    assert points["values"] == [1.0, "NaN", "Infinity", "-Infinity", "NaN", 2.0, "NaN"]
    summary = (await tracker_server.series(run_id))["odd"]
    assert (summary["min"], summary["max"]) == ("-Infinity", "Infinity")


async def test_a_nan_last_value_reads_back_as_nan(tracker_server: TrackerServer) -> None:
    # Given a metric whose last value is NaN
    def scenario() -> tuple[str, Any]:
        exp = start(tracker_server)
        exp.log_metric("odd", 1.0)
        exp.log_metric("odd", math.nan)
        exp.stop()
        return exp.id, exp.get_logs()["odd"]

    run_id, last = await tracker_server.client(scenario)
    # Then the REST API and the client both show it as NaN
    assert (await tracker_server.series(run_id))["odd"]["last"] == "NaN"
    assert last["x"] == 1.0
    assert isinstance(last["y"], float) and math.isnan(last["y"])


# text and images


async def test_log_text_numbers_lines_or_takes_the_given_steps(
    tracker_server: TrackerServer,
) -> None:
    def scenario() -> str:
        exp = start(tracker_server)
        tracker.log_text("notes", "first")
        exp.log_text("notes", "second, with ünïcödé and a\ttab")
        exp.log_text("notes", 10, "at ten")
        exp.log_text("notes", "")
        exp.stop()
        return exp.id

    run_id = await tracker_server.client(scenario)
    entries = await tracker_server.entries(run_id, "notes")
    assert [(e["step"], e["text"]) for e in entries] == [
        (0.0, "first"),
        (1.0, "second, with ünïcödé and a\ttab"),
        (10.0, "at ten"),
        (11.0, ""),
    ]
    summary = (await tracker_server.series(run_id))["notes"]
    assert summary["kind"] == "text"


async def test_log_image_takes_figures_pil_images_arrays_and_png_files(
    tracker_server: TrackerServer, tmp_path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    # Given images of every kind the client accepts
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    rgb = np.zeros((2, 5, 3), dtype=np.uint8)
    rgb[..., 0] = 255
    rgba = np.full((4, 2, 4), 0.5, dtype=np.float32)  # floats are 0..1
    pil = Image.new("RGB", (7, 3), (1, 2, 3))
    png_file = tmp_path / "picture.png"
    Image.new("RGBA", (6, 6), (9, 8, 7, 6)).save(png_file)
    fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
    ax.plot([0, 1], [1, 0])

    def scenario() -> str:
        exp = start(tracker_server)
        # When each is logged
        tracker.log_image("figure", fig, image_name="fig", description="a line")
        exp.log_image("pil", pil)
        exp.log_image("arrays", grey)
        exp.log_image("arrays", rgb)
        exp.log_image("arrays", 5, rgba)
        exp.log_image("file", str(png_file))
        exp.log_image("file", png_file)
        exp.stop()
        return exp.id

    try:
        run_id = await tracker_server.client(scenario)
    finally:
        plt.close(fig)

    # Then each is stored as a PNG showing the same pixels
    (figure,) = await images(tracker_server, run_id, "figure")
    assert figure.size[0] > 10 and figure.size[1] > 10
    (entry,) = await tracker_server.entries(run_id, "figure")
    assert (entry["image_name"], entry["description"]) == ("fig", "a line")

    (stored_pil,) = await images(tracker_server, run_id, "pil")
    assert stored_pil.size == (7, 3)
    assert stored_pil.convert("RGB").getpixel((0, 0)) == (1, 2, 3)

    stored_grey, stored_rgb, stored_rgba = await images(tracker_server, run_id, "arrays")
    assert stored_grey.mode == "L"
    np.testing.assert_array_equal(np.asarray(stored_grey), grey)
    assert stored_rgb.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(stored_rgb), rgb)
    assert stored_rgba.mode == "RGBA"
    assert stored_rgba.size == (2, 4)
    assert np.all(np.asarray(stored_rgba) == 128)
    steps = [e["step"] for e in await tracker_server.entries(run_id, "arrays")]
    assert steps[-1] == 5.0

    file_entries = await tracker_server.entries(run_id, "file")
    assert len(file_entries) == 2
    assert file_entries[0]["sha256"] == file_entries[1]["sha256"]
    stored = await tracker_server.get_bytes(f"runs/{run_id}/images/{file_entries[0]['sha256']}")
    assert stored == png_file.read_bytes()


# files


async def test_log_artifact_uploads_a_file_a_folder_and_a_file_object(
    tracker_server: TrackerServer, tmp_path: Path
) -> None:
    # Given a file, a folder with a sub-folder, and an in-memory binary file
    model = tmp_path / "model.bin"
    model.write_bytes(bytes(range(256)) * 10)
    folder = tmp_path / "outputs"
    (folder / "nested").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "nested" / "b.txt").write_text("bee")
    buffer = io.BytesIO(b"\x00in memory\xff")

    def scenario() -> str:
        exp = start(tracker_server)
        # When each is logged as an artifact
        tracker.log_artifact(str(model))
        exp.log_artifact(model, "renamed/model.bin")
        exp.log_artifact(folder)
        exp.log_artifact(str(folder), "results")
        exp.log_artifact(buffer, "memory.bin")
        exp.stop()
        return exp.id

    run_id = await tracker_server.client(scenario)
    # Then the server has each under its path, with the same bytes
    files = (await tracker_server.get(f"runs/{run_id}/artifacts"))["files"]
    assert sorted(f["path"] for f in files) == [
        "memory.bin",
        "model.bin",
        "outputs/a.txt",
        "outputs/nested/b.txt",
        "renamed/model.bin",
        "results/a.txt",
        "results/nested/b.txt",
    ]
    assert await tracker_server.artifact(run_id, "model.bin") == model.read_bytes()
    assert await tracker_server.artifact(run_id, "renamed/model.bin") == model.read_bytes()
    assert await tracker_server.artifact(run_id, "outputs/nested/b.txt") == b"bee"
    assert await tracker_server.artifact(run_id, "results/a.txt") == b"a"
    assert await tracker_server.artifact(run_id, "memory.bin") == b"\x00in memory\xff"


async def test_download_artifact_fetches_the_bytes_into_a_folder(
    tracker_server: TrackerServer, tmp_path: Path
) -> None:
    (tmp_path / "weights.npy").write_bytes(b"\x93NUMPY fake")
    target = tmp_path / "downloads"

    def scenario() -> Path:
        exp = start(tracker_server)
        exp.log_artifact(tmp_path / "weights.npy", "ckpt/weights.npy")
        exp.stop()
        return exp.download_artifact("ckpt/weights.npy", str(target))

    path = await tracker_server.client(scenario)
    assert path == target / "weights.npy"
    assert path.read_bytes() == b"\x93NUMPY fake"


# properties, tags, state


async def test_properties_are_set_overwritten_and_removed(tracker_server: TrackerServer) -> None:
    def scenario() -> tuple[str, dict[str, str]]:
        exp = start(tracker_server, properties={"given": "at start", "gone": "soon"})
        tracker.set_property("dataset", "mnist")
        exp.set_property("size", 60000)  # stored as text, as neptune did
        exp.set_property("dataset", "fashion-mnist")
        tracker.remove_property("gone")
        exp.set_property("temp", "x")
        exp.remove_property("temp")
        live = exp.get_properties()
        exp.stop()
        return exp.id, live

    run_id, live = await tracker_server.client(scenario)
    expected = {"given": "at start", "dataset": "fashion-mnist", "size": "60000"}
    assert live == expected
    assert (await tracker_server.get(f"runs/{run_id}"))["properties"] == expected


async def test_tags_are_appended_several_at_once_and_removed(
    tracker_server: TrackerServer,
) -> None:
    def scenario() -> tuple[str, list[str]]:
        exp = start(tracker_server, tags=["initial"])
        tracker.append_tag("one")
        tracker.append_tag("two", "three", "four")
        tracker.append_tags("five", "six")
        exp.append_tag("one")  # already there: still once
        exp.remove_tag("four")
        tracker.remove_tag("initial")
        live = sorted(exp.get_tags())
        exp.stop()
        return exp.id, live

    run_id, live = await tracker_server.client(scenario)
    expected = ["five", "one", "six", "three", "two"]
    assert live == expected
    assert sorted((await tracker_server.get(f"runs/{run_id}"))["tags"]) == expected


async def test_stop_with_a_traceback_marks_the_run_failed(tracker_server: TrackerServer) -> None:
    def scenario() -> tuple[str, str, tracker.Delivery]:
        exp = start(tracker_server)
        exp.log_metric("loss", 1.0)
        try:
            raise ZeroDivisionError("the loss exploded")
        except ZeroDivisionError:
            text = traceback.format_exc()
        delivery = tracker.stop(text)
        return exp.id, text, delivery

    run_id, text, delivery = await tracker_server.client(scenario)
    assert delivery.ok
    run = await tracker_server.get(f"runs/{run_id}")
    assert run["state"] == "failed"
    assert run["exception"] == text
    assert "ZeroDivisionError: the loss exploded" in run["exception"]
    assert run["finished_at"] is not None
    assert (await tracker_server.points(run_id, "loss"))["values"] == [1.0]


async def test_a_traceback_the_tracker_could_not_store_as_it_is_still_fails_the_run(
    tracker_server: TrackerServer,
) -> None:
    # Given a traceback far too long, with NUL and a lone surrogate in it
    head, tail = "Traceback (most recent call last):\n", "ValueError: at the very end"
    text = head + "  frame\x00 \udcff\n" * 200_000 + tail

    def scenario() -> tuple[str, tracker.Delivery]:
        exp = start(tracker_server)
        exp.log_metric("loss", 1.0)
        return exp.id, exp.stop(text)

    run_id, delivery = await tracker_server.client(scenario)
    # Then the run is failed, with as much of it as the tracker takes: its start and its end
    assert delivery.ok
    run = await tracker_server.get(f"runs/{run_id}")
    assert run["state"] == "failed"
    stored = run["exception"]
    assert stored.startswith(head) and stored.endswith(tail)
    assert "characters cut" in stored
    assert len(stored) <= 1 << 20
    assert "\x00" not in stored
    assert (await tracker_server.points(run_id, "loss"))["values"] == [1.0]


async def test_an_exception_in_a_with_block_fails_the_run_and_propagates(
    tracker_server: TrackerServer,
) -> None:
    def scenario() -> str:
        tracker.init(url=tracker_server.url, api_token=tracker_server.token)
        with (
            pytest.raises(KeyError, match="missing column"),
            tracker.create_experiment(name="with", **QUIET) as exp,
        ):
            exp.log_metric("loss", 0.5)
            raise KeyError("missing column")
        assert exp._stopped
        return exp.id

    run_id = await tracker_server.client(scenario)
    run = await tracker_server.get(f"runs/{run_id}")
    assert run["state"] == "failed"
    assert "KeyError: 'missing column'" in run["exception"]
    assert "Traceback (most recent call last)" in run["exception"]
    assert (await tracker_server.points(run_id, "loss"))["values"] == [0.5]


async def test_a_with_block_that_ends_normally_succeeds(tracker_server: TrackerServer) -> None:
    def scenario() -> str:
        tracker.init(url=tracker_server.url, api_token=tracker_server.token)
        with tracker.create_experiment(name="with", **QUIET) as exp:
            exp.log_metric("loss", 0.5)
        return exp.id

    run_id = await tracker_server.client(scenario)
    run = await tracker_server.get(f"runs/{run_id}")
    assert (run["state"], run["exception"]) == ("succeeded", None)


async def test_the_run_keeps_what_create_experiment_was_given(
    tracker_server: TrackerServer,
) -> None:
    def scenario() -> str:
        exp = start(
            tracker_server,
            name="described",
            description="what this tries",
            params={"lr": 0.1, "layers": 3, "act": "relu", "bn": True, "seed": None},
            properties={"owner-note": "x"},
            tags=["a", "b"],
        )
        exp.stop()
        return exp.id

    run_id = await tracker_server.client(scenario)
    run = await tracker_server.get(f"runs/{run_id}")
    assert (run["name"], run["description"]) == ("described", "what this tries")
    assert run["params"] == {"lr": 0.1, "layers": 3, "act": "relu", "bn": True, "seed": None}
    assert run["properties"] == {"owner-note": "x"}
    assert sorted(run["tags"]) == ["a", "b"]
    assert run["details"]["python"]


# reading


async def test_get_experiments_filters_by_id_state_owner_and_tag(
    tracker_server: TrackerServer,
) -> None:
    # Given runs in every state, with tags, by two owners
    other_token = tracker_server.new_token(name="other")
    tracker_server.store.ensure_user("alice")
    _, alice_token = tracker_server.store.create_token("alice", "alice", None)

    def scenario() -> dict[str, Any]:
        project = tracker.init(url=tracker_server.url, api_token=tracker_server.token)
        ok = project.create_experiment(name="ok", tags=["keep", "good"], **QUIET)
        ok.stop()
        bad = project.create_experiment(name="bad", tags=["keep"], **QUIET)
        bad.stop("Traceback: boom")
        running = project.create_experiment(name="running", tags=["wip"], **QUIET)
        alice = tracker.init(url=tracker_server.url, api_token=alice_token)
        theirs = alice.create_experiment(name="theirs", tags=["good"], **QUIET)
        theirs.stop()
        again = tracker.init(url=tracker_server.url, api_token=other_token)

        def ids(**filters: Any) -> list[str]:
            return sorted(e.id for e in again.get_experiments(**filters))

        result = {
            "runs": {"ok": ok.id, "bad": bad.id, "running": running.id, "theirs": theirs.id},
            "all": ids(),
            "module": sorted(e.id for e in tracker.get_experiments(state="failed")),
            "by_id": ids(id=ok.id),
            "by_ids": ids(id=[ok.id, theirs.id, "SAN-999"]),
            "succeeded": ids(state="succeeded"),
            "finished": ids(state=["succeeded", "failed"]),
            "running": ids(state="running"),
            "alice": ids(owner="alice"),
            "owners": ids(owner=[tracker_server.user, "nobody"]),
            "keep": ids(tag="keep"),
            "good_or_wip": ids(tag=["good", "wip"]),
            "combined": ids(state="succeeded", tag="good", owner="alice"),
            "none": ids(tag="no-such-tag"),
        }
        running.stop()
        return result

    seen = await tracker_server.client(scenario)
    ok, bad, running, theirs = (seen["runs"][k] for k in ("ok", "bad", "running", "theirs"))
    assert seen["all"] == sorted([ok, bad, running, theirs])
    assert seen["module"] == [bad]
    assert seen["by_id"] == [ok]
    assert seen["by_ids"] == sorted([ok, theirs])
    assert seen["succeeded"] == sorted([ok, theirs])
    assert seen["finished"] == sorted([ok, bad, theirs])
    assert seen["running"] == [running]
    assert seen["alice"] == [theirs]
    assert seen["owners"] == sorted([ok, bad, running])
    assert seen["keep"] == sorted([ok, bad])
    assert seen["good_or_wip"] == sorted([ok, running, theirs])
    assert seen["combined"] == [theirs]
    assert seen["none"] == []
    assert (await tracker_server.get(f"runs/{theirs}"))["owner"] == "alice"


async def test_get_experiments_reads_each_run_back(tracker_server: TrackerServer) -> None:
    def scenario() -> dict[str, Any]:
        project = tracker.init(url=tracker_server.url, api_token=tracker_server.token)
        exp = project.create_experiment(name="r", params={"k": 1}, tags=["t"], **QUIET)
        exp.set_property("p", "v")
        exp.log_metric("m", 1, 0.5)
        exp.log_text("log", "line")
        exp.stop()
        (again,) = project.get_experiments()
        return {
            "same": again.id == exp.id,
            "repr": repr(again),
            "state": again.get_state(),
            "params": again.get_parameters(),
            "properties": again.get_properties(),
            "tags": again.get_tags(),
            "logs": again.get_logs(),
        }

    seen = await tracker_server.client(scenario)
    assert seen["same"]
    assert seen["repr"].startswith("Experiment(SAN-")
    assert seen["state"] == "succeeded"
    assert seen["params"] == {"k": 1}
    assert seen["properties"] == {"p": "v"}
    assert seen["tags"] == ["t"]
    assert seen["logs"] == {
        "m": {"x": 1.0, "y": 0.5, "kind": "numeric"},
        "log": {"x": 0.0, "y": "line", "kind": "text"},
    }


async def test_the_leaderboard_has_a_row_per_run_and_a_column_per_value(
    tracker_server: TrackerServer,
) -> None:
    def scenario() -> Any:
        project = tracker.init(url=tracker_server.url, api_token=tracker_server.token)
        a = project.create_experiment(name="a", params={"lr": 0.1}, tags=["x"], **QUIET)
        a.log_metric("loss", 0.9)
        a.log_metric("loss", 0.3)
        a.log_text("notes", "not a column")
        a.set_property("data", "v1")
        a.stop()
        b = project.create_experiment(name="b", params={"lr": 0.2, "wd": 1e-4}, **QUIET)
        b.log_metric("acc", 0.7)
        b.stop("Traceback: failed")
        return project.get_leaderboard(), a.id, b.id

    board, a_id, b_id = await tracker_server.client(scenario)
    for column in (
        "id",
        "name",
        "state",
        "owner",
        "created",
        "finished",
        "tags",
        "parameter_lr",
        "parameter_wd",
        "property_data",
        "channel_loss",
        "channel_acc",
    ):
        assert column in board.columns
    assert "channel_notes" not in board.columns
    rows = {row["id"]: row for row in board.to_dict("records")}
    assert set(rows) == {a_id, b_id}
    a, b = rows[a_id], rows[b_id]
    assert (a["name"], a["state"], a["owner"]) == ("a", "succeeded", tracker_server.user)
    assert (b["name"], b["state"]) == ("b", "failed")
    assert a["tags"] == ["x"]
    assert (a["parameter_lr"], a["channel_loss"], a["property_data"]) == (0.1, 0.3, "v1")
    assert math.isnan(a["channel_acc"])
    assert (b["parameter_wd"], b["channel_acc"]) == (1e-4, 0.7)


async def test_hardware_utilization_reads_the_monitoring_series_back(
    tracker_server: TrackerServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a run that samples the hardware often
    monkeypatch.setattr(capture_setup, "HARDWARE_INTERVAL", 0.2)

    def scenario() -> tuple[str, Any, Any]:
        exp = start(tracker_server, send_hardware_metrics=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # until three samples are on the server
            cpu = exp.get_logs().get("monitoring/cpu/system_percent")
            if cpu is not None and cpu["x"] >= 2:
                break
            time.sleep(0.1)
        exp.stop()
        return exp.id, exp.get_hardware_utilization(), exp.get_logs()

    run_id, frame, logs = await tracker_server.client(scenario)
    # When its utilisation is read back
    # Then there is a column per monitoring series, one row per sample
    names = {n for n in logs if n.startswith("monitoring/")}
    for name in (
        "monitoring/cpu/process_percent",
        "monitoring/cpu/system_percent",
        "monitoring/memory/process_rss_mb",
        "monitoring/memory/system_used_percent",
        "monitoring/memory/system_used_mb",
    ):
        assert name in names
    assert set(frame.columns) == {"x"} | names
    assert len(frame) >= 3
    assert list(frame["x"]) == [float(i) for i in range(len(frame))]
    assert (frame["monitoring/memory/process_rss_mb"] > 1).all()
    assert frame["monitoring/memory/system_used_percent"].between(0, 100).all()
    series = await tracker_server.series(run_id)
    assert series["monitoring/cpu/system_percent"]["count"] == len(frame)


async def test_hardware_utilization_of_a_run_without_monitoring_is_empty(
    tracker_server: TrackerServer,
) -> None:
    def scenario() -> Any:
        exp = start(tracker_server, send_hardware_metrics=False)
        exp.log_metric("loss", 1.0)
        exp.stop()
        return exp.get_hardware_utilization()

    frame = await tracker_server.client(scenario)
    assert list(frame.columns) == ["x"]
    assert len(frame) == 0


async def test_stdout_and_stderr_of_the_process_become_text_series(
    tracker_server: TrackerServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def scenario() -> str:
        exp = start(tracker_server, upload_stdout=True, upload_stderr=True)
        print("epoch 1: loss 0.5")
        print("no newline at the end", end="")
        sys.stderr.write("a warning\n")
        exp.stop()
        return exp.id

    run_id = await tracker_server.client(scenario)
    out, err = capsys.readouterr()
    assert "epoch 1: loss 0.5" in out and "a warning" in err  # still shown to the user
    stdout = [e["text"] for e in await tracker_server.entries(run_id, "stdout")]
    stderr = [e["text"] for e in await tracker_server.entries(run_id, "stderr")]
    assert stdout[:2] == ["epoch 1: loss 0.5", "no newline at the end"]
    assert "a warning" in stderr


async def test_flush_waits_until_what_was_logged_is_on_the_server(
    tracker_server: TrackerServer,
) -> None:
    def scenario() -> tuple[str, tracker.Delivery]:
        exp = start(tracker_server)
        for i in range(1000):
            exp.log_metric("fast", i * 0.5)
        delivery = exp.flush()
        return exp.id, delivery

    run_id, delivery = await tracker_server.client(scenario)
    assert delivery.ok and delivery.error is None
    # Read while the run is still running: every point is already there
    points = await tracker_server.points(run_id, "fast")
    assert points["count"] == 1000
    assert (await tracker_server.get(f"runs/{run_id}"))["state"] == "running"
    await tracker_server.client(tracker.stop)
