"""Batches: everything a client logs, applied all or nothing, and once per sequence number."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest
from api_client import Api, assert_error, assert_ok, b64, columnar, png_bytes


async def test_a_batch_applies_everything_it_carries(api: Api, run_id: str) -> None:
    # Given a run with a property and a tag to be removed
    await api.log(run_id, properties={"set": {"old": "1"}}, tags={"add": ["old"]})
    image = png_bytes(1)
    # When one batch carries metrics (plain and columnar), texts, an image and metadata
    result = await api.log(
        run_id,
        seq=1,
        metrics=[
            {"name": "loss", "values": [0.5, 0.25], "steps": [0, 10], "timestamps": [1.0, 2.0]},
            {"name": "acc", "values": columnar([0.1, 0.2, 0.3])},
        ],
        texts=[{"name": "notes", "values": ["a", "b"], "steps": [3, 4]}],
        images=[{"name": "samples", "data": b64(image), "step": 7, "image_name": "x.png"}],
        params={"lr": 0.01, "opt": "adam"},
        properties={"set": {"host": "gpu"}, "remove": ["old"]},
        tags={"add": ["new"], "remove": ["old"]},
        name="renamed",
        description="described",
        state="succeeded",
        heartbeat=True,
    )
    # Then it reports what it applied
    assert result == {"run_id": run_id, "seq": 1, "applied": True, "points": 8}
    # And everything reads back
    run = await api.run(run_id)
    assert run["params"] == {"lr": 0.01, "opt": "adam"}
    assert (run["properties"], run["tags"]) == ({"host": "gpu"}, ["new"])
    assert (run["name"], run["description"], run["state"]) == ("renamed", "described", "succeeded")
    loss = await api.points(run_id, "loss")
    assert (loss["steps"], loss["timestamps"], loss["values"]) == ([0, 10], [1, 2], [0.5, 0.25])
    acc = await api.points(run_id, "acc")
    assert (acc["steps"], acc["values"]) == ([0, 1, 2], [0.1, 0.2, 0.3])
    notes = assert_ok(await api.get(f"/runs/{run_id}/entries", params={"name": "notes"}))
    assert [(e["step"], e["text"]) for e in notes["entries"]] == [(3, "a"), (4, "b")]
    samples = assert_ok(await api.get(f"/runs/{run_id}/entries", params={"name": "samples"}))
    assert [(e["step"], e["image_name"]) for e in samples["entries"]] == [(7, "x.png")]


async def test_steps_continue_when_omitted(api: Api, run_id: str) -> None:
    # Given a series that ends at step 10.5
    await api.log(run_id, metrics=[{"name": "loss", "values": [1.0, 2.0], "steps": [4, 10.5]}])
    # When more points come without steps
    await api.log(run_id, metrics=[{"name": "loss", "values": [3.0, 4.0]}])
    # Then they take the next whole steps
    assert (await api.points(run_id, "loss"))["steps"] == [4, 10.5, 11, 12]


async def test_non_finite_values_in_plain_lists(api: Api, run_id: str) -> None:
    # When values are sent as the strings JSON uses for non-finite numbers
    await api.log(run_id, metrics=[{"name": "m", "values": ["NaN", "Infinity", "-Infinity", 1]}])
    # Then they are stored as such
    assert (await api.points(run_id, "m"))["values"] == ["NaN", "Infinity", "-Infinity", 1]


GOOD = {"name": "good", "values": [1.0, 2.0]}


def second(**metric: Any) -> dict[str, Any]:
    """A batch of one good metric and a second one, 'm' unless named, with these fields."""
    return {"metrics": [GOOD, {"name": "m", **metric}]}


def with_good(**fields: Any) -> dict[str, Any]:
    """A batch of one good metric and these fields."""
    return {"metrics": [GOOD], **fields}


F8 = "<f8"
SVG = {"name": "i", "data": b64(b"<svg/>"), "content_type": "image/svg+xml"}
PNG_ITEM = {"name": "i", "data": b64(png_bytes(2))}
BAD_BATCHES: list[tuple[dict[str, Any], int, str]] = [
    (second(values=["one"]), 400, "metrics[1].values[0]"),
    (second(values=[[1.0, 2.0]]), 400, "metrics[1].values[0]"),
    (second(values=[1.0, True]), 400, "metrics[1].values[1]"),
    (second(values=[1.0, None]), 400, "metrics[1].values[1]"),
    (second(values=[10**400]), 400, "metrics[1].values[0]"),
    (second(values="1,2"), 400, "metrics[1].values"),
    (second(values=[1.0], timestamps=[[1.0]]), 400, "metrics[1].timestamps[0]"),
    (second(values=[1], steps=[1, 2]), 400, "metrics[1].steps"),
    (second(values=[1, 2], steps=[2, 1]), 400, "m"),
    (second(values=[1], steps=["NaN"]), 400, "m"),
    (second(name="loss", values=[1.0], steps=[1]), 400, "loss"),
    (second(values={"dtype": "<f4", "data": ""}), 400, "metrics[1].values"),
    (second(values={"dtype": F8, "data": "!!"}), 400, "metrics[1].values"),
    (second(values={"dtype": F8, "data": b64(b"1234")}), 400, "metrics[1].values"),
    (second(name="", values=[1.0]), 400, "metrics[1].name"),
    (second(values=[1.0], unit="s"), 400, "metrics[1].unit"),
    ({"metrics": [GOOD, "loss=1"]}, 400, "metrics[1]"),
    ({"metrics": GOOD}, 400, "metrics"),
    (with_good(texts=[{"name": "t", "values": [1]}]), 400, "texts[0].values"),
    (with_good(texts=[{"name": "loss", "values": ["x"]}]), 400, "loss"),
    (with_good(params={"lr": 0.2}), 409, "params.lr"),
    (with_good(params={"lr2": [1]}), 400, "params.lr2"),
    (with_good(images=[{"name": "i", "data": "not base64!"}]), 400, "images[0].data"),
    (with_good(images=[SVG]), 400, "images[0].content_type"),
    (with_good(images=[{"name": "i"}]), 400, "images[0].data"),
    (with_good(seq=-1), 400, "seq"),
    (with_good(seq="1"), 400, "seq"),
    (with_good(seq=True), 400, "seq"),
    (with_good(seq=2**63), 400, "seq"),
    (with_good(texts=[{"name": "t", "values": ["ok", "nul\x00"]}]), 400, "texts[0].values[1]"),
    (with_good(params={"opt": "nul\x00"}), 400, "params.opt"),
    (with_good(description="nul\x00"), 400, "description"),
    (with_good(heartbeat="yes"), 400, "heartbeat"),
    (with_good(state="done"), 400, "state"),
    (with_good(state="succeeded", exception="boom"), 400, "exception"),
    (with_good(properties={"set": {"k": 1}}), 400, "properties.set.k"),
    (with_good(tags={"add": [""]}), 400, "tags"),
    (with_good(extra=1), 400, "body.extra"),
    (with_good(texts=[{"name": "t", "values": ["lone \ud800"]}]), 400, "texts[0].values[0]"),
    (with_good(properties={"set": {"k": "\udfff"}}), 400, "properties.set.k"),
    (with_good(images=[{**PNG_ITEM, "image_name": "n" * 300}]), 400, "images[0].image_name"),
]


@pytest.mark.parametrize(
    ("batch", "status", "field"), BAD_BATCHES, ids=[f for *_, f in BAD_BATCHES]
)
async def test_a_bad_batch_stores_nothing(
    api: Api, run_id: str, batch: dict[str, Any], status: int, field: str
) -> None:
    # Given a run with a 'loss' series up to step 2 and the param lr=0.1
    await api.log(run_id, metrics=[{"name": "loss", "values": [1, 2, 3]}], params={"lr": 0.1})
    before = await api.snapshot()
    # When a batch with one good metric and one bad part is posted
    reply = await api.post(f"/runs/{run_id}/batches", {**batch, "name": "not kept"})
    # Then the error names the part at fault
    assert_error(reply, status, field=field)
    # And neither part is stored: not the good metric, not the name, nothing
    after = await api.snapshot()
    assert {k: v for k, v in after.items() if k != "blobs"} == {
        k: v for k, v in before.items() if k != "blobs"
    }
    assert "good" not in {s["name"] for s in after[run_id]["series"]}


async def test_a_batch_that_is_not_an_object_is_refused(api: Api, run_id: str) -> None:
    # When the batch is a list, or no JSON at all, Then it is refused naming the body
    assert_error(await api.post(f"/runs/{run_id}/batches", [GOOD]), 400, field="body")
    reply = await api.request("POST", f"/runs/{run_id}/batches", body=b"[1,")
    assert_error(reply, 400, field="body")
    assert assert_ok(await api.get(f"/runs/{run_id}/series"))["series"] == []


async def test_a_batch_for_a_missing_run(api: Api, run_id: str) -> None:
    # When a batch goes to a run that does not exist, or to no run id at all
    for rid, status in (("SAN-9", 404), ("SAN-01", 400)):
        reply = await api.post(f"/runs/{rid}/batches", {"metrics": [GOOD]})
        # Then it is refused naming the run
        assert_error(reply, status, field="run_id")


async def test_a_refused_batch_does_not_use_up_its_seq(api: Api, run_id: str) -> None:
    # Given a batch with seq 5 that was refused
    bad = {"seq": 5, "metrics": [GOOD, {"name": "m", "values": ["x"]}]}
    assert_error(await api.post(f"/runs/{run_id}/batches", bad), 400)
    # When the corrected batch is sent with the same seq
    result = await api.log(run_id, seq=5, metrics=[GOOD])
    # Then it is applied
    assert (result["applied"], result["points"]) == (True, 2)


async def test_the_same_seq_applies_once(api: Api, run_id: str) -> None:
    # Given a batch with seq 1 that was applied
    batch = {"seq": 1, "metrics": [GOOD], "params": {"lr": 0.1}, "tags": {"add": ["t"]}}
    first = assert_ok(await api.post(f"/runs/{run_id}/batches", batch))
    assert (first["applied"], first["points"]) == (True, 2)
    # When it is delivered again
    again = assert_ok(await api.post(f"/runs/{run_id}/batches", batch))
    # Then it is acknowledged but not applied, and the series is unchanged
    assert again == {"run_id": run_id, "seq": 1, "applied": False, "points": 0}
    assert (await api.points(run_id, "good"))["count"] == 2
    # When a batch with another seq comes, Then it applies
    other = assert_ok(await api.post(f"/runs/{run_id}/batches", {"seq": 2, "metrics": [GOOD]}))
    assert (other["applied"], other["points"]) == (True, 2)
    assert (await api.points(run_id, "good"))["count"] == 4
    # And batches without seq apply every time
    for _ in range(2):
        await api.log(run_id, metrics=[GOOD])
    assert (await api.points(run_id, "good"))["count"] == 8


async def test_sequence_numbers_belong_to_their_run(api: Api, run_id: str) -> None:
    # Given seq 1 applied to one run
    await api.log(run_id, seq=1, metrics=[GOOD])
    other = (await api.create_run())["id"]
    # When another run gets a batch with seq 1, Then it applies there
    assert (await api.log(other, seq=1, metrics=[GOOD]))["applied"] is True
    assert (await api.points(other, "good"))["count"] == 2


async def test_concurrent_deliveries_of_one_seq_apply_once(api: Api, run_id: str) -> None:
    # Given one batch with seq 7
    batch = {"seq": 7, "metrics": [{"name": "loss", "values": columnar(range(1000))}]}
    # When it is delivered eight times at once
    replies = await asyncio.gather(*(api.post(f"/runs/{run_id}/batches", batch) for _ in range(8)))
    # Then every delivery is acknowledged, exactly one applied, and the points are there once
    results = [assert_ok(r) for r in replies]
    assert sorted(r["applied"] for r in results) == [False] * 7 + [True]
    assert sum(r["points"] for r in results) == 1000
    points = await api.points(run_id, "loss")
    assert points["count"] == 1000
    assert points["steps"] == list(range(1000))


async def test_concurrent_batches_with_different_seqs_all_apply(api: Api, run_id: str) -> None:
    # When eight batches with different seqs arrive at once
    replies = await asyncio.gather(
        *(
            api.post(
                f"/runs/{run_id}/batches", {"seq": i, "metrics": [{"name": "m", "values": [i]}]}
            )
            for i in range(8)
        )
    )
    # Then all apply, and the series holds all eight points
    assert all(assert_ok(r)["applied"] for r in replies)
    values = (await api.points(run_id, "m"))["values"]
    assert sorted(values) == list(range(8))


async def test_a_large_columnar_batch_round_trips(api: Api, run_id: str) -> None:
    # When 50 000 points are sent as columns
    values = [math.sin(i / 100) for i in range(50_000)]
    result = await api.log(run_id, metrics=[{"name": "wave", "values": columnar(values)}])
    # Then all are stored and read back unchanged
    assert result["points"] == 50_000
    points = await api.points(run_id, "wave")
    assert points["values"] == values
    assert points["steps"] == list(range(50_000))
