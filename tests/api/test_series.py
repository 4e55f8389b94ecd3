"""Reading series: summaries, points (whole, by step range, downsampled), formats, entries."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import pytest
from api_client import Api, assert_error, assert_ok, column_bytes, columnar


def wiggle(n: int, seed: int = 0) -> list[float]:
    """n reproducible values with their extremes scattered about."""
    rng = np.random.default_rng(seed)
    values: list[float] = rng.normal(size=n).round(6).tolist()
    return values


async def test_series_list_summarises_each_series(api: Api, run_id: str) -> None:
    # Given a numeric series with a NaN, and a text series
    await api.log(
        run_id,
        metrics=[{"name": "loss", "values": [3.0, "NaN", 1.0, 2.0], "steps": [0, 1, 2, 5]}],
        texts=[{"name": "log", "values": ["first", "last"]}],
    )
    # When the series are listed
    series = assert_ok(await api.get(f"/runs/{run_id}/series"))["series"]
    # Then each has its kind, count and summary; the NaN does not spoil min and max
    by_name = {s["name"]: s for s in series}
    assert [s["name"] for s in series] == ["log", "loss"]
    loss = by_name["loss"]
    assert (loss["kind"], loss["count"], loss["last_step"]) == ("numeric", 4, 5)
    assert (loss["first"], loss["last"], loss["min"], loss["max"]) == (3, 2, 1, 3)
    log = by_name["log"]
    assert (log["kind"], log["count"], log["last_text"]) == ("text", 2, "last")


async def test_points_whole_and_by_step_range(api: Api, run_id: str) -> None:
    # Given a series at steps 0, 2, 4, ... 18
    steps = list(range(0, 20, 2))
    values = wiggle(10)
    await api.log(run_id, metrics=[{"name": "loss", "values": values, "steps": steps}])
    # When it is read whole, Then every point comes back in order
    whole = await api.points(run_id, "loss")
    assert (whole["name"], whole["count"]) == ("loss", 10)
    assert (whole["steps"], whole["values"]) == (steps, values)
    assert len(whole["timestamps"]) == 10
    # When it is read by step range, Then only the points in the closed range come back
    for params, keep in (
        ({"step_min": 4, "step_max": 10}, range(2, 6)),
        ({"step_min": 5}, range(3, 10)),
        ({"step_max": 3.5}, range(0, 2)),
        ({"step_min": 100}, range(0)),
    ):
        part = await api.points(run_id, "loss", **params)
        assert part["steps"] == [steps[i] for i in keep], params
        assert part["values"] == [values[i] for i in keep], params
        assert part["count"] == len(keep)


def bucket_extremes(
    steps: list[float], values: list[float], n: int, lo: float, hi: float
) -> dict[int, tuple[float, float]]:
    """The min and max value of each of n equal step buckets of [lo, hi]."""
    buckets: dict[int, list[float]] = {}
    for step, value in zip(steps, values, strict=True):
        if lo <= step <= hi:
            bucket = min(int((step - lo) * n / (hi - lo)), n - 1)
            buckets.setdefault(bucket, []).append(value)
    return {b: (min(v), max(v)) for b, v in buckets.items()}


def check_downsampled(
    got: dict[str, Any], steps: list[float], values: list[float], n: int, lo: float, hi: float
) -> None:
    pairs = list(zip(got["steps"], got["values"], strict=True))
    assert got["count"] == len(pairs)
    assert len(pairs) <= 2 * n
    assert got["steps"] == sorted(got["steps"])
    real = set(zip(steps, values, strict=True))
    assert all(p in real for p in pairs), "a point that is not in the series"
    for bucket, (low, high) in bucket_extremes(steps, values, n, lo, hi).items():
        kept = [v for s, v in pairs if min(int((s - lo) * n / (hi - lo)), n - 1) == bucket]
        assert low in kept and high in kept, (bucket, low, high, kept)


@pytest.mark.parametrize(("points", "buckets"), [(100, 7), (4096, 4), (40_960, 10)])
async def test_downsampled_points_keep_each_buckets_min_and_max(
    api: Api, run_id: str, points: int, buckets: int
) -> None:
    # Given a series of many points (read exactly when few, from sketches when many)
    values = wiggle(points, seed=points)
    await api.log(run_id, metrics=[{"name": "loss", "values": columnar(values)}])
    steps = list(map(float, range(points)))
    # When it is read downsampled to N buckets
    got = await api.points(run_id, "loss", downsample=buckets)
    # Then at most 2N points come back, real ones, with each bucket's min and max
    check_downsampled(got, steps, values, buckets, 0, points - 1)
    assert min(values) in got["values"] and max(values) in got["values"]
    assert len(got["values"]) >= buckets
    # And columnar downsampled reads carry the same points
    raw = await api.points(run_id, "loss", downsample=buckets, format="columnar")
    assert np.frombuffer(column_bytes(raw["values"]), "<f8").tolist() == got["values"]
    assert np.frombuffer(column_bytes(raw["steps"]), "<f8").tolist() == got["steps"]


async def test_downsampling_a_step_range(api: Api, run_id: str) -> None:
    # Given 100 points, and also a long series
    values = wiggle(100, seed=3)
    long_values = wiggle(20_000, seed=4)
    await api.log(
        run_id,
        metrics=[
            {"name": "loss", "values": values},
            {"name": "long", "values": columnar(long_values)},
        ],
    )
    steps = list(map(float, range(100)))
    # When a step range of each is read downsampled
    got = await api.points(run_id, "loss", downsample=5, step_min=20, step_max=59)
    # Then only points of the range come back, with each bucket's min and max
    assert all(20 <= s <= 59 for s in got["steps"])
    check_downsampled(got, steps, values, 5, 20, 59)
    long = await api.points(run_id, "long", downsample=8, step_min=5000, step_max=9000)
    assert all(5000 <= s <= 9000 for s in long["steps"])
    assert 8 <= len(long["steps"]) <= 16


def f64(bits: int) -> float:
    value: float = struct.unpack("<d", struct.pack("<Q", bits))[0]
    return value


SPECIAL = [
    0.0,
    -0.0,
    float("inf"),
    float("-inf"),
    float("nan"),
    f64(0x7FF8_0000_0000_0001),  # a NaN with a payload
    f64(0xFFF8_0000_0000_0000),  # a negative NaN
    5e-324,
    1.7976931348623157e308,
    0.1,
]


async def test_columnar_points_round_trip_bit_for_bit(api: Api, run_id: str) -> None:
    # Given columns of awkward float64 values, NaNs (with payloads) and infinities included
    n = len(SPECIAL)
    steps = [0.0, 0.5, 1.0, 1.0, 2.0, 1e15, 1e15 + 2, 1e300, 1.5e300, 1.7976931348623157e308]
    stamps = [1.7e9 + i / 3 for i in range(n)]
    sent = {"steps": columnar(steps), "timestamps": columnar(stamps), "values": columnar(SPECIAL)}
    await api.log(run_id, metrics=[{"name": "odd", **sent}])
    # When they are read back in the columnar format
    got = await api.points(run_id, "odd", format="columnar")
    # Then every column has exactly the bytes that were sent
    assert got["count"] == n
    for column in ("steps", "timestamps", "values"):
        assert column_bytes(got[column]) == column_bytes(sent[column]), column


async def test_json_points_spell_out_non_finite_values(api: Api, run_id: str) -> None:
    # Given a series with NaN and infinities
    values = columnar([1.5, float("nan"), float("inf"), float("-inf"), -0.0])
    await api.log(run_id, metrics=[{"name": "odd", "values": values}])
    # When it is read as JSON, Then they are the strings "NaN", "Infinity" and "-Infinity"
    got = await api.points(run_id, "odd")
    assert got["values"] == [1.5, "NaN", "Infinity", "-Infinity", 0.0]
    assert (
        b'"NaN","Infinity","-Infinity",-0.0]'
        in (await api.get(f"/runs/{run_id}/points", params={"name": "odd"})).body
    )
    # And so they are in the run's summary
    summary = assert_ok(await api.get(f"/runs/{run_id}/series"))["series"][0]
    assert (summary["min"], summary["max"], summary["last"]) == ("-Infinity", "Infinity", 0.0)


async def test_text_entries_by_step_range_and_limit(api: Api, run_id: str) -> None:
    # Given a text series at steps 0..9
    texts = [f"line {i}" for i in range(10)]
    await api.log(run_id, texts=[{"name": "log", "values": texts}])

    async def read(**params: Any) -> list[tuple[float, str]]:
        reply = await api.get(f"/runs/{run_id}/entries", params={"name": "log", **params})
        body = assert_ok(reply)
        assert body["name"] == "log"
        return [(e["step"], e["text"]) for e in body["entries"]]

    # When it is read whole, by range, and limited, Then the matching entries come in order
    assert await read() == [(i, texts[i]) for i in range(10)]
    assert await read(step_min=3, step_max=5) == [(i, texts[i]) for i in (3, 4, 5)]
    assert await read(limit=2) == [(0, texts[0]), (1, texts[1])]
    assert await read(step_min=8, limit=5) == [(8, texts[8]), (9, texts[9])]


BAD_READS: list[tuple[str, dict[str, Any], int, str]] = [
    ("points", {}, 400, "name"),
    ("points", {"name": ""}, 400, "name"),
    ("points", {"name": "missing"}, 404, "name"),
    ("points", {"name": "nul\x00"}, 400, "name"),
    ("points", {"name": "log"}, 400, "name"),
    ("points", {"name": "loss", "format": "csv"}, 400, "format"),
    ("points", {"name": "loss", "downsample": "0"}, 400, "downsample"),
    ("points", {"name": "loss", "downsample": "10001"}, 400, "downsample"),
    ("points", {"name": "loss", "downsample": "-3"}, 400, "downsample"),
    ("points", {"name": "loss", "downsample": "many"}, 400, "downsample"),
    ("points", {"name": "loss", "step_min": "low"}, 400, "step_min"),
    ("points", {"name": "loss", "step_max": "inf"}, 400, "step_max"),
    ("points", {"name": "loss", "step_min": "nan"}, 400, "step_min"),
    ("points", {"name": "loss", "step_min": "5", "step_max": "4"}, 400, "step_max"),
    ("entries", {}, 400, "name"),
    ("entries", {"name": "missing"}, 404, "name"),
    ("entries", {"name": "nul\x00"}, 400, "name"),
    ("entries", {"name": "loss"}, 400, "name"),
    ("entries", {"name": "log", "limit": "0"}, 400, "limit"),
    ("entries", {"name": "log", "limit": "10001"}, 400, "limit"),
    ("entries", {"name": "log", "limit": "all"}, 400, "limit"),
    ("entries", {"name": "log", "step_min": "x"}, 400, "step_min"),
    ("entries", {"name": "log", "step_min": "2", "step_max": "1"}, 400, "step_max"),
]


@pytest.mark.parametrize(
    ("route", "params", "status", "field"), BAD_READS, ids=[str(c[:2]) for c in BAD_READS]
)
async def test_a_bad_series_read_names_the_parameter(
    api: Api, run_id: str, route: str, params: dict[str, Any], status: int, field: str
) -> None:
    # Given a run with a numeric 'loss' and a text 'log'
    await api.log(
        run_id,
        metrics=[{"name": "loss", "values": [1.0]}],
        texts=[{"name": "log", "values": ["x"]}],
    )
    # When it is read with a bad parameter, Then the error names the parameter
    assert_error(await api.get(f"/runs/{run_id}/{route}", params=params), status, field=field)


@pytest.mark.parametrize("route", ["series", "points", "entries"])
async def test_series_of_a_missing_run(api: Api, route: str) -> None:
    # When the series of a run that does not exist are read, Then it is not found
    reply = await api.get(f"/runs/SAN-5/{route}", params={"name": "loss"})
    assert_error(reply, 404, field="run_id")
