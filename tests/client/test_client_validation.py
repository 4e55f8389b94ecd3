"""Bad input fails at the call site, naming what is wrong, and sends nothing; the rest of the
run is intact. A run that is stopped takes no more logging. A tracker that refuses the run says
so at once, at ``create_experiment``."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import jupyter_tracker as tracker
from jupyter_tracker.client.validate import MAX_TEXT

if TYPE_CHECKING:
    from conftest import ClientDirs, TrackerServer

QUIET = {"upload_stdout": False, "upload_stderr": False, "send_hardware_metrics": False}


def start(server: TrackerServer, **kwargs: Any) -> tracker.Experiment:
    tracker.init(url=server.url, api_token=server.token)
    return tracker.create_experiment(name="validation", **{**QUIET, **kwargs})


def refused(
    call: Callable[..., Any], error: type[Exception], says: str, *args: Any, **kwargs: Any
) -> str:
    """``call(*args, **kwargs)`` raises ``error`` whose message contains ``says``."""
    with pytest.raises(error, match=re.escape(says)) as info:
        call(*args, **kwargs)
    return str(info.value)


async def test_bad_values_are_refused_at_the_call_naming_the_series(
    tracker_server: TrackerServer, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-file.bin"

    # Given a running experiment with some good points
    def scenario() -> str:
        exp = start(tracker_server)
        exp.log_metric("loss", 0, 1.0)
        exp.log_metric("loss", 5, 0.5)
        exp.log_text("notes", "kept")
        # When bad values are logged, each is refused with an error naming the series
        refused(exp.log_metric, TypeError, "'loss'", "loss", "0.4")
        refused(tracker.log_metric, TypeError, "'loss'", "loss", 6, "0.4")
        refused(exp.log_metric, TypeError, "'loss'", "loss", True)
        refused(exp.log_metric, TypeError, "'loss'", "loss", 6, False)
        refused(exp.log_metric, TypeError, "'loss'", "loss", None)
        refused(exp.log_metric, TypeError, "'loss'", "loss", [0.4])
        refused(exp.log_metric, TypeError, "'loss'", "loss", np.array([0.4, 0.3]))
        refused(exp.log_metric, TypeError, "'loss'", "loss", complex(1, 2))
        refused(exp.log_metric, ValueError, "'loss'", "loss", 4, 0.4)  # x went down
        refused(exp.log_metric, ValueError, "'loss'", "loss", math.nan, 0.4)
        refused(exp.log_metric, ValueError, "'loss'", "loss", math.inf, 0.4)
        refused(exp.log_metric, TypeError, "'loss'", "loss", "7", 0.4)
        refused(exp.log_metric, TypeError, "'loss'", "loss", 0.4, timestamp="now")
        refused(exp.log_metric, ValueError, "'loss'", "loss", 0.4, timestamp=math.nan)
        refused(exp.log_metric, ValueError, "'loss'", "loss", 6, 0.4, timestamp=-math.inf)
        refused(exp.log_text, ValueError, "'notes'", "notes", "x", timestamp=math.inf)
        refused(exp.log_text, TypeError, "'notes'", "notes", "x", timestamp="today")
        pixels = np.zeros((2, 2), dtype=np.uint8)
        refused(exp.log_image, ValueError, "'img'", "img", pixels, timestamp=math.nan)
        refused(exp.log_metric, TypeError, "log_name", 42, 0.4)
        refused(exp.log_metric, ValueError, "log_name", "", 0.4)
        refused(exp.log_metric, ValueError, "log_name", "a\nb", 0.4)
        refused(exp.log_text, TypeError, "'notes'", "notes", 5)
        refused(tracker.log_text, TypeError, "'notes'", "notes", b"bytes")
        refused(exp.log_text, TypeError, "'notes'", "notes", 3, None)
        refused(exp.log_text, ValueError, "'notes'", "notes", "nul\x00inside")
        refused(exp.log_text, ValueError, "'loss'", "loss", "text in a numeric series")
        refused(exp.log_metric, ValueError, "'notes'", "notes", 1.0)
        refused(exp.log_image, ValueError, "'img'", "img", np.zeros((2, 2, 2)))
        refused(exp.log_image, ValueError, "'img'", "img", np.zeros(5))
        refused(exp.log_image, ValueError, "'img'", "img", np.zeros((0, 4)))
        refused(exp.log_image, ValueError, "'img'", "img", np.full((2, 2), np.nan))
        refused(exp.log_image, TypeError, "'img'", "img", ["not", "an", "image"])
        refused(tracker.log_image, ValueError, "'img'", "img", str(missing))
        refused(exp.log_artifact, ValueError, "no-such-file.bin", missing)
        refused(tracker.log_artifact, ValueError, "no-such-file.bin", str(missing))
        refused(exp.log_artifact, TypeError, "artifact", 12345)
        refused(exp.log_artifact, ValueError, "destination", io.BytesIO(b"x"))
        refused(exp.set_property, ValueError, "property name", "", "x")
        refused(exp.set_property, TypeError, "property name", 1, "x")
        refused(exp.append_tag, TypeError, "tag", ["a", "b"])
        refused(exp.append_tag, ValueError, "tag", "good", "")
        refused(exp.log_metrics, TypeError, "metrics", [("loss", 1.0)])
        # strings the tracker cannot store would have it refuse the whole batch
        refused(exp.log_text, ValueError, "'notes'", "notes", "x" * (MAX_TEXT + 1))
        refused(exp.log_text, ValueError, "'notes'", "notes", "lone \ud800 surrogate")
        refused(exp.log_metric, ValueError, "log_name", "loss\udcff", 1.0)
        refused(exp.set_property, ValueError, "property 'k'", "k", "a\x00b")
        refused(exp.set_property, ValueError, "property 'k'", "k", "\ud800")
        refused(exp.set_property, ValueError, "property 'k'", "k", "v" * 100_001)
        refused(exp.append_tag, ValueError, "tag", "t\ud800")
        refused(exp.log_image, TypeError, "image_name", "img", pixels, image_name=5)
        refused(exp.log_image, ValueError, "image_name", "img", pixels, image_name="a\x00")
        refused(exp.log_image, ValueError, "image_name", "img", pixels, image_name="n" * 256)
        refused(exp.log_image, ValueError, "description", "img", pixels, description="\ud800")
        present = tmp_path / "present.txt"
        present.write_text("x")
        for destination in ("../up.txt", "/abs.txt", "a\\b.txt", "a//b", "./a", "", "a\tb"):
            refused(exp.log_artifact, ValueError, "destination", present, destination)
        refused(exp.log_artifact, ValueError, "destination", tmp_path, "../folder")
        # a dict with one bad value or a step too low logs none of it
        refused(exp.log_metrics, TypeError, "'b'", {"a": 1.0, "b": "2"})
        refused(exp.log_metrics, ValueError, "'loss'", {"a": 1.0, "loss": 0.1}, step=3)
        # Then the good calls around them still arrive
        exp.log_metric("loss", 0.25)
        exp.log_text("notes", "still kept")
        delivery = exp.stop()
        assert delivery.ok, delivery
        return exp.id

    run_id = await tracker_server.client(scenario)
    # And the server has exactly what the good calls logged
    series = await tracker_server.series(run_id)
    assert set(series) == {"loss", "notes"}
    loss = await tracker_server.points(run_id, "loss")
    assert (loss["steps"], loss["values"]) == ([0.0, 5.0, 6.0], [1.0, 0.5, 0.25])
    notes = await tracker_server.entries(run_id, "notes")
    assert [e["text"] for e in notes] == ["kept", "still kept"]
    run = await tracker_server.get(f"runs/{run_id}")
    assert (run["state"], run["properties"], run["tags"]) == ("succeeded", {}, [])
    assert (await tracker_server.get(f"runs/{run_id}/artifacts"))["files"] == []


@pytest.mark.parametrize(
    ("kwargs", "error", "says"),
    [
        ({"params": [("lr", 0.1)]}, TypeError, "params must be a dict"),
        ({"params": "lr=0.1"}, TypeError, "params must be a dict"),
        ({"params": {"layers": [64, 32]}}, TypeError, "parameter 'layers'"),
        ({"params": {"net": object()}}, TypeError, "parameter 'net'"),
        ({"params": {"": 1}}, ValueError, "parameter name"),
        ({"params": {3: 1}}, TypeError, "parameter name"),
        ({"properties": ["a"]}, TypeError, "properties must be a dict"),
        ({"tags": "one-tag"}, TypeError, "tags must be a list"),
        ({"tags": ["ok", 7]}, TypeError, "tag"),
        ({"name": 5}, TypeError, "name"),
        ({"description": 5}, TypeError, "description"),
        ({"description": "d" * 100_001}, ValueError, "description"),
        ({"description": "\ud800"}, ValueError, "description"),
        ({"name": "run\ud800"}, ValueError, "name"),
        ({"params": {"s": "a\x00b"}}, ValueError, "parameter 's'"),
        ({"params": {"s": "\udcff"}}, ValueError, "parameter 's'"),
        ({"params": {"s": "p" * 10_001}}, ValueError, "parameter 's'"),
        ({"properties": {"k": "v" * 100_001}}, ValueError, "property 'k'"),
        ({"properties": {"k": "\x00"}}, ValueError, "property 'k'"),
    ],
)
async def test_bad_create_experiment_arguments_create_no_run(
    tracker_server: TrackerServer,
    client_dirs: ClientDirs,
    kwargs: dict[str, Any],
    error: type[Exception],
    says: str,
) -> None:
    # Given a client pointed at the tracker
    def scenario() -> None:
        tracker.init(url=tracker_server.url, api_token=tracker_server.token)
        # When create_experiment gets a bad argument, it raises at once
        refused(tracker.create_experiment, error, says, **{**QUIET, **kwargs})
        with pytest.raises(RuntimeError, match="no experiment is running"):
            tracker.log_metric("loss", 1.0)

    await tracker_server.client(scenario)
    # Then no run was created and nothing was left on disk
    assert await tracker_server.runs() == []
    assert client_dirs.journal_folders() == []


async def test_params_from_an_argparse_namespace_and_numpy_scalars_are_accepted(
    tracker_server: TrackerServer,
) -> None:
    import argparse

    namespace = argparse.Namespace(lr=np.float32(0.5), epochs=np.int64(3), name="x")

    def scenario() -> str:
        exp = start(tracker_server, params=namespace)
        exp.stop()
        return exp.id

    run_id = await tracker_server.client(scenario)
    run = await tracker_server.get(f"runs/{run_id}")
    assert run["params"] == {"lr": 0.5, "epochs": 3, "name": "x"}


def test_a_bad_mode_or_setting_type_is_refused_by_init() -> None:
    refused(tracker.init, ValueError, "mode must be one of", url="http://h", mode="online")
    refused(tracker.init, TypeError, "project_qualified_name", 5, url="http://h")
    refused(tracker.init, TypeError, "api_token", api_token=b"jtt_x", url="http://h")
    refused(tracker.init, ValueError, "http(s) URL", url="ftp://h")


async def test_every_call_after_stop_raises(tracker_server: TrackerServer, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")

    # Given an experiment that logged and was stopped
    def scenario() -> str:
        exp = start(tracker_server)
        exp.log_metric("loss", 1.0)
        exp.log_text("notes", "before")
        exp.stop()
        # When anything more is logged to it, each call raises RuntimeError
        for call, args in [
            (exp.log_metric, ("loss", 2.0)),
            (exp.log_metric, ("new", 2.0)),
            (exp.log_metric, ("loss", 5, 2.0)),
            (exp.log_metrics, ({"loss": 2.0},)),
            (exp.log_text, ("notes", "after")),
            (exp.log_image, ("img", np.zeros((2, 2), dtype=np.uint8))),
            (exp.log_artifact, (tmp_path / "f.txt",)),
            (exp.set_property, ("k", "v")),
            (exp.remove_property, ("k",)),
            (exp.append_tag, ("t",)),
            (exp.remove_tag, ("t",)),
        ]:
            with pytest.raises(RuntimeError, match=re.escape(exp.id)):
                call(*args)
        # and the module-level calls have no current experiment any more
        for module_call, args in [
            (tracker.log_metric, ("loss", 2.0)),
            (tracker.log_text, ("notes", "after")),
            (tracker.set_property, ("k", "v")),
            (tracker.append_tag, ("t",)),
            (tracker.stop, ()),
        ]:
            with pytest.raises(RuntimeError, match="no experiment is running"):
                module_call(*args)
        # A second stop does nothing
        assert exp.stop().ok
        return exp.id

    run_id = await tracker_server.client(scenario)
    # Then the run holds only what came before stop
    run = await tracker_server.get(f"runs/{run_id}")
    assert (run["state"], run["properties"], run["tags"]) == ("succeeded", {}, [])
    assert set(await tracker_server.series(run_id)) == {"loss", "notes"}
    assert (await tracker_server.points(run_id, "loss"))["values"] == [1.0]


async def test_a_wrong_token_is_refused_at_create_experiment(
    tracker_server: TrackerServer, client_dirs: ClientDirs
) -> None:
    # Given a client with a token the tracker does not know
    def scenario() -> tracker.ApiError:
        tracker.init(url=tracker_server.url, api_token="jtt_" + "x" * 43)
        # When it creates an experiment, ApiError tells at once
        with pytest.raises(tracker.ApiError) as info:
            tracker.create_experiment(name="denied", **QUIET)
        with pytest.raises(RuntimeError):
            tracker.log_metric("loss", 1.0)
        return info.value

    error = await tracker_server.client(scenario)
    assert error.status == 401
    # Then no run exists and no journal waits for a later sync
    assert await tracker_server.runs() == []
    assert client_dirs.journal_folders() == []


async def test_no_token_at_all_is_refused_at_create_experiment(
    tracker_server: TrackerServer, client_dirs: ClientDirs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a client with no token anywhere (not even the one the server exported)
    monkeypatch.delenv("JUPYTER_TRACKER_API_TOKEN")

    def scenario() -> tracker.ApiError:
        tracker.init(url=tracker_server.url)
        with pytest.raises(tracker.ApiError) as info:
            tracker.create_experiment(name="anonymous", **QUIET)
        return info.value

    error = await tracker_server.client(scenario)
    assert error.status in (401, 403)
    assert await tracker_server.runs() == []
    assert client_dirs.journal_folders() == []


async def test_an_unknown_project_is_refused_at_create_experiment(
    tracker_server: TrackerServer, client_dirs: ClientDirs
) -> None:
    def scenario() -> tracker.ApiError:
        tracker.init("no-such-project", url=tracker_server.url, api_token=tracker_server.token)
        with pytest.raises(tracker.ApiError) as info:
            tracker.create_experiment(name="lost", **QUIET)
        return info.value

    error = await tracker_server.client(scenario)
    assert error.status == 404
    assert "no-such-project" in error.message
    assert await tracker_server.runs() == []
    assert client_dirs.journal_folders() == []


async def test_a_token_of_another_project_is_refused_at_create_experiment(
    tracker_server: TrackerServer, client_dirs: ClientDirs
) -> None:
    # Given a token limited to another project
    await tracker_server.client(tracker_server.store.ensure_project, "other")
    token = tracker_server.new_token(("other",), name="other only")

    def scenario() -> tuple[tracker.ApiError, str]:
        tracker.init("sandbox", url=tracker_server.url, api_token=token)
        with pytest.raises(tracker.ApiError) as info:
            tracker.create_experiment(name="elsewhere", **QUIET)
        # while the project it covers takes the run
        exp = tracker.init("other", url=tracker_server.url, api_token=token).create_experiment(
            name="here", **QUIET
        )
        exp.stop()
        return info.value, exp.id

    error, run_id = await tracker_server.client(scenario)
    assert error.status in (403, 404)
    assert await tracker_server.runs() == []
    assert [r["id"] for r in await tracker_server.runs("other")] == [run_id]
    assert client_dirs.journal_folders() == []
