"""Tests of the chunk codec, summaries, sketches and downsampling (no database)."""

from __future__ import annotations

import itertools
import math
import struct
from functools import reduce

import numpy as np
import pytest
from numpy.typing import NDArray

from jupyter_tracker.store.series_codec import (
    CHUNK_POINTS,
    PointArrays,
    Summary,
    decode_chunk,
    encode_chunk,
    merge_summaries,
    split_into_chunks,
    summarize,
)
from jupyter_tracker.store.series_overview import (
    SKETCH_POINTS,
    Downsampled,
    build_sketch,
    decode_sketch,
    downsample_points,
    downsample_sketches,
)

FloatArray = NDArray[np.float64]

# Bit patterns that must survive: NaNs with payloads (quiet, signalling, negative), infinities,
# signed zeros, subnormals, extremes.
SPECIAL_BITS = np.array(
    [
        0x7FF8000000000000,  # NaN
        0x7FF8000000000123,  # NaN with payload
        0xFFF8000000000001,  # negative NaN with payload
        0x7FF0000000000001,  # signalling NaN
        0x7FF0000000000000,  # +Inf
        0xFFF0000000000000,  # -Inf
        0x0000000000000000,  # +0.0
        0x8000000000000000,  # -0.0
        0x0000000000000001,  # smallest subnormal
        0x800FFFFFFFFFFFFF,  # largest negative subnormal
        0x7FEFFFFFFFFFFFFF,  # largest finite
        0x0010000000000000,  # smallest normal
    ],
    dtype=np.uint64,
)
SPECIALS: FloatArray = SPECIAL_BITS.view(np.float64)


def bits(a: FloatArray) -> NDArray[np.uint64]:
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)


def same_bits(a: FloatArray, b: FloatArray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(bits(a), bits(b)))


def float_bits(x: float | None) -> int | None:
    return None if x is None else int(struct.unpack("<Q", struct.pack("<d", x))[0])


def pts(steps: object, timestamps: object, values: object) -> PointArrays:
    """PointArrays from anything array-like."""
    return PointArrays(*(np.asarray(c, dtype=np.float64) for c in (steps, timestamps, values)))


def assert_same_points(a: PointArrays, b: PointArrays) -> None:
    assert len(a) == len(b)
    for name in ("steps", "timestamps", "values"):
        assert same_bits(getattr(a, name), getattr(b, name)), name


def assert_same_summary(a: Summary, b: Summary) -> None:
    assert a.count == b.count
    for name in ("first", "last", "min", "max", "last_step"):
        assert float_bits(getattr(a, name)) == float_bits(getattr(b, name)), name


# --------------------------------------------------------------------------------------------
# Generators


def make_steps(rng: np.random.Generator, n: int) -> FloatArray:
    """Non-decreasing steps: integers, repeats, fractions, big offsets, a negative start."""
    kind = rng.integers(4)
    if kind == 0:
        return np.arange(n, dtype=np.float64)
    if kind == 1:  # repeats and gaps
        return np.cumsum(rng.integers(0, 3, n)).astype(np.float64)
    if kind == 2:  # non-integer increments, sometimes zero
        inc = rng.exponential(0.7, n) * (rng.random(n) > 0.1)
        return -50.0 + np.cumsum(inc)
    return 1e15 + np.arange(n, dtype=np.float64) * 3.0


def make_values(rng: np.random.Generator, n: int, kind: str) -> FloatArray:
    i = np.arange(n, dtype=np.float64)
    if kind == "loss":
        return 2.0 * np.exp(-i / 300.0) + 0.1 + 0.02 * rng.standard_normal(n)
    if kind == "smooth":
        return 1e-3 * 0.5 * (1.0 + np.cos(np.pi * i / max(n, 1)))
    if kind == "constant":
        return np.full(n, 0.5)
    if kind == "integers":
        return rng.integers(-5, 5, n).astype(np.float64)
    if kind == "specials":
        return rng.choice(SPECIALS, n)
    if kind == "mixed":
        v = rng.standard_normal(n) * 10.0 ** rng.integers(-300, 300, n)
        mask = rng.random(n) < 0.2
        v[mask] = rng.choice(SPECIALS, int(mask.sum()))
        return v
    if kind == "random_bits":
        return rng.integers(0, 2**64, n, dtype=np.uint64).view(np.float64)
    if kind == "zeros":  # ties between +0.0 and -0.0, which compare equal
        return rng.choice(np.array([0.0, -0.0, -0.0, np.nan]), n)
    if kind == "nan_runs":
        v = rng.standard_normal(n)
        v[(i // 37) % 3 == 1] = np.nan
        return v
    raise AssertionError(kind)


VALUE_KINDS = (
    "loss",
    "smooth",
    "constant",
    "integers",
    "specials",
    "mixed",
    "random_bits",
    "nan_runs",
    "zeros",
)


def make_points(rng: np.random.Generator, n: int, kind: str = "mixed") -> PointArrays:
    timestamps = 1.7e9 + np.cumsum(rng.exponential(0.01, n))
    return PointArrays(make_steps(rng, n), timestamps, make_values(rng, n, kind))


def realistic_series(n: int, seed: int = 0) -> PointArrays:
    rng = np.random.default_rng(seed)
    i = np.arange(n, dtype=np.float64)
    timestamps = 1.7e9 + i * 0.001 + rng.uniform(0.0, 2e-5, n)
    values = 2.0 * np.exp(-i / 2e5) + 0.1 + 0.02 * rng.standard_normal(n)
    return PointArrays(i, timestamps, values)


SIZES = (0, 1, 2, 3, 63, 64, 65, 255, 256, 257, 1000, 2048, 2049, CHUNK_POINTS - 1, CHUNK_POINTS)


# --------------------------------------------------------------------------------------------
# PointArrays and splitting


def test_point_arrays_basics() -> None:
    # Columns are converted to contiguous float64.
    p = PointArrays(np.arange(5), [0.0, 1, 2, 3, 4], np.arange(5.0)[::-1])  # type: ignore[arg-type]
    assert len(p) == 5
    for column in (p.steps, p.timestamps, p.values):
        assert column.dtype == np.float64
        assert column.flags.c_contiguous
    s = p.slice(1, 3)
    assert s.steps.tolist() == [1.0, 2.0]
    assert s.values.tolist() == [3.0, 2.0]
    assert len(p.slice(4, 100)) == 1
    c = PointArrays.concat([p.slice(0, 2), p.slice(2, 2), p.slice(2, 5)])
    assert_same_points(c, p)
    assert len(PointArrays.concat([])) == 0


def test_point_arrays_validation() -> None:
    with pytest.raises(ValueError, match="equal lengths"):
        PointArrays(np.zeros(3), np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="1-D"):
        PointArrays(np.zeros((2, 2)), np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="1-D"):
        PointArrays(np.zeros(1), np.zeros(1), np.float64(1.0))  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [0, 1, 100, CHUNK_POINTS - 1, CHUNK_POINTS, 3 * CHUNK_POINTS + 5])
@pytest.mark.parametrize("room", [0, 1, 99, 100, 101, CHUNK_POINTS])
def test_split_into_chunks(n: int, room: int) -> None:
    points = make_points(np.random.default_rng(n + room), n)
    pieces = split_into_chunks(points, room)
    assert all(len(piece) > 0 for piece in pieces)
    assert_same_points(PointArrays.concat(pieces), points)
    if n == 0:
        assert pieces == []
        return
    if room:
        assert len(pieces[0]) == min(room, n)
        rest = pieces[1:]
    else:
        rest = pieces
    assert all(len(piece) == CHUNK_POINTS for piece in rest[:-1])
    assert all(0 < len(piece) <= CHUNK_POINTS for piece in rest)


def test_split_into_chunks_rejects_bad_room() -> None:
    points = make_points(np.random.default_rng(0), 10)
    for room in (-1, CHUNK_POINTS + 1):
        with pytest.raises(ValueError, match="first_chunk_room"):
            split_into_chunks(points, room)


# --------------------------------------------------------------------------------------------
# Chunk round trips


@pytest.mark.parametrize("kind", VALUE_KINDS)
@pytest.mark.parametrize("n", SIZES)
def test_round_trip(n: int, kind: str) -> None:
    rng = np.random.default_rng(hash((n, kind)) % 2**32)
    points = make_points(rng, n, kind)
    blob = encode_chunk(points)
    assert isinstance(blob, bytes)
    assert blob[0] == 1  # format version
    assert_same_points(decode_chunk(blob), points)


def test_round_trip_random_shapes() -> None:
    rng = np.random.default_rng(12345)
    for _ in range(200):
        n = int(rng.choice([rng.integers(0, 20), rng.integers(0, 3000)]))
        points = make_points(rng, n, str(rng.choice(VALUE_KINDS)))
        assert_same_points(decode_chunk(encode_chunk(points)), points)


def test_round_trip_arbitrary_bits_in_every_column() -> None:
    """Lossless for any bit patterns, even steps that decrease or are NaN."""
    rng = np.random.default_rng(7)
    for n in (1, 2, 500, CHUNK_POINTS):
        columns = [make_values(rng, n, "random_bits") for _ in range(3)]
        columns[0][: min(n, len(SPECIALS))] = SPECIALS[: min(n, len(SPECIALS))]
        points = PointArrays(*columns)
        assert_same_points(decode_chunk(encode_chunk(points)), points)


def test_round_trip_non_contiguous_input_and_buffer_types() -> None:
    rng = np.random.default_rng(3)
    wide = make_values(rng, 4000, "mixed")
    points = PointArrays(wide[::2], wide[1::2], wide[::-2])
    blob = encode_chunk(points)
    for form in (blob, bytearray(blob), memoryview(blob)):
        assert_same_points(decode_chunk(form), points)


def test_both_value_transforms_are_exercised() -> None:
    """A smooth series is stored as deltas, a noisy one raw; both decode exactly."""
    rng = np.random.default_rng(5)
    smooth = make_points(rng, 5000, "smooth")
    noisy = make_points(rng, 5000, "random_bits")
    smooth_blob, noisy_blob = encode_chunk(smooth), encode_chunk(noisy)
    assert smooth_blob[3] != noisy_blob[3]  # transform byte of the values
    assert_same_points(decode_chunk(smooth_blob), smooth)
    assert_same_points(decode_chunk(noisy_blob), noisy)


def test_decode_rejects_bad_blobs() -> None:
    blob = encode_chunk(make_points(np.random.default_rng(0), 100))
    with pytest.raises(ValueError, match="version"):
        decode_chunk(b"\x02" + blob[1:])
    with pytest.raises(ValueError, match="too short"):
        decode_chunk(blob[:3])
    with pytest.raises(ValueError, match="transform"):
        decode_chunk(blob[:1] + b"\x09" + blob[2:])
    with pytest.raises(ValueError):
        decode_chunk(blob[:-5])
    with pytest.raises(ValueError):
        decode_chunk(blob[:8] + bytes(len(blob) - 8))
    with pytest.raises(ValueError, match="99 points"):
        decode_chunk(blob[:4] + struct.pack("<I", 99) + blob[8:])
    with pytest.raises(ValueError, match="trailing"):
        decode_chunk(encode_chunk(PointArrays.empty()) + b"x")


def test_bytes_per_point_realistic_series() -> None:
    n = 1_000_000
    points = realistic_series(n)
    blobs = [encode_chunk(c) for c in split_into_chunks(points, 0)]
    per_point = sum(len(b) for b in blobs) / n
    assert per_point < 8.0, per_point
    sketches = sum(len(build_sketch(c)) for c in split_into_chunks(points, 0))
    assert (sum(len(b) for b in blobs) + sketches) / n < 8.0


@pytest.mark.parametrize("kind", ["uniform", "random_bits"])
def test_bytes_per_point_random_values(kind: str) -> None:
    n = 200_000
    rng = np.random.default_rng(11)
    base = realistic_series(n)
    values = rng.uniform(size=n) if kind == "uniform" else make_values(rng, n, "random_bits")
    points = PointArrays(base.steps, base.timestamps, values)
    total = sum(len(encode_chunk(c)) for c in split_into_chunks(points, 0))
    assert total / n < 16.0, total / n


# --------------------------------------------------------------------------------------------
# Summaries


def reference_summary(points: PointArrays) -> Summary:
    v = points.values
    if len(v) == 0:
        return Summary(0, None, None, None, None, None)
    real = [i for i in range(len(v)) if not math.isnan(v[i])]
    low = high = None
    if real:
        m, big = min(v[i] for i in real), max(v[i] for i in real)
        low = float(v[next(i for i in real if v[i] == m)])
        high = float(v[next(i for i in real if v[i] == big)])
    return Summary(len(v), float(v[0]), float(v[-1]), low, high, float(points.steps[-1]))


@pytest.mark.parametrize("kind", VALUE_KINDS)
@pytest.mark.parametrize("n", [0, 1, 2, 7, 300])
def test_summarize_matches_reference(n: int, kind: str) -> None:
    points = make_points(np.random.default_rng(n * 31 + len(kind)), n, kind)
    summary = summarize(points)
    assert_same_summary(summary, reference_summary(points))
    finite = points.values[~np.isnan(points.values)]
    if len(finite):
        assert summary.min == finite.min()
        assert summary.max == finite.max()


def test_summarize_edge_cases() -> None:
    nan = float("nan")
    s = summarize(pts([1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [nan, nan, nan]))
    assert s.count == 3 and s.min is None and s.max is None and s.last_step == 3.0
    assert s.first is not None and math.isnan(s.first)
    s = summarize(pts([1.0, 2.0], [0.0, 0.0], [0.0, -0.0]))
    assert float_bits(s.min) == 0 and float_bits(s.max) == 0  # first occurrence of zero
    s = summarize(pts([1.0, 2.0, 3.0], [0.0] * 3, [-np.inf, nan, np.inf]))
    assert s.min == -np.inf and s.max == np.inf
    assert summarize(PointArrays.empty()) == Summary(0, None, None, None, None, None)


def test_merge_summaries_over_splits() -> None:
    rng = np.random.default_rng(99)
    for _ in range(150):
        n = int(rng.integers(0, 400))
        points = make_points(rng, n, str(rng.choice(VALUE_KINDS)))
        cuts = np.sort(rng.integers(0, n + 1, int(rng.integers(0, 6))))
        bounds = [0, *cuts.tolist(), n]
        parts = [summarize(points.slice(a, b)) for a, b in itertools.pairwise(bounds)]
        whole = summarize(points)
        left = reduce(merge_summaries, parts)
        right = reduce(lambda acc, s: merge_summaries(s, acc), reversed(parts))
        assert_same_summary(left, whole)
        assert_same_summary(right, whole)
        # A random bracketing too.
        while len(parts) > 1:
            k = int(rng.integers(0, len(parts) - 1))
            parts[k : k + 2] = [merge_summaries(parts[k], parts[k + 1])]
        assert_same_summary(parts[0], whole)


# --------------------------------------------------------------------------------------------
# Sketches


def reference_records(points: PointArrays) -> list[tuple[float, ...]]:
    out: list[tuple[float, ...]] = []
    for start in range(0, len(points), SKETCH_POINTS):
        p = points.slice(start, start + SKETCH_POINTS)
        s = reference_summary(p)
        v = p.values
        if s.min is None:
            lo_i = hi_i = 0
        else:
            lo_i = next(i for i in range(len(v)) if v[i] == s.min)
            hi_i = next(i for i in range(len(v)) if v[i] == s.max)
        out.append(
            (p.steps[0], p.steps[-1], len(p), v[lo_i], p.steps[lo_i], v[hi_i], p.steps[hi_i])
        )
    return out


@pytest.mark.parametrize("kind", ["loss", "specials", "nan_runs", "mixed", "random_bits"])
@pytest.mark.parametrize("n", [0, 1, 255, 256, 257, 1000, CHUNK_POINTS])
def test_sketch_records(n: int, kind: str) -> None:
    points = make_points(np.random.default_rng(n + 17), n, kind)
    records = decode_sketch(build_sketch(points))
    assert len(records) == -(-n // SKETCH_POINTS)
    assert records.dtype.names == (
        "step_first",
        "step_last",
        "count",
        "min",
        "min_step",
        "max",
        "max_step",
    )
    for record, expected in zip(records.tolist(), reference_records(points), strict=True):
        assert record[2] == expected[2]
        got = [float_bits(x) for i, x in enumerate(record) if i != 2]
        assert got == [float_bits(float(x)) for i, x in enumerate(expected) if i != 2]


def test_sketch_all_nan_bucket() -> None:
    values = np.full(SKETCH_POINTS * 2, np.nan)
    values[SKETCH_POINTS + 5] = 1.5
    steps = np.arange(len(values), dtype=np.float64)
    records = decode_sketch(build_sketch(PointArrays(steps, steps, values)))
    assert math.isnan(records["min"][0]) and math.isnan(records["max"][0])
    assert records["min_step"][0] == 0.0
    assert records["min"][1] == records["max"][1] == 1.5


def test_decode_sketch_rejects_bad_blobs() -> None:
    blob = build_sketch(make_points(np.random.default_rng(0), 600))
    with pytest.raises(ValueError, match="version"):
        decode_sketch(b"\x07" + blob[1:])
    with pytest.raises(ValueError, match="whole number"):
        decode_sketch(blob[:-1])
    with pytest.raises(ValueError, match="too short"):
        decode_sketch(b"")


# --------------------------------------------------------------------------------------------
# Downsampling


def reference_downsample(
    points: PointArrays, n_buckets: int, lo: float, hi: float
) -> list[tuple[float, float]]:
    """Brute force: bucket = floor((step - lo) * n_buckets / (hi - lo)), last bucket closed."""
    buckets: dict[int, list[int]] = {}
    steps, values = points.steps.tolist(), points.values.tolist()
    for i, s in enumerate(steps):
        if lo <= s <= hi:
            b = 0 if hi == lo else min(int(((s - lo) * n_buckets) / (hi - lo)), n_buckets - 1)
            buckets.setdefault(b, []).append(i)
    out: list[tuple[float, float]] = []
    for b in sorted(buckets):
        members = buckets[b]
        real = [i for i in members if not math.isnan(values[i])]
        if not real:
            out.append((steps[members[0]], values[members[0]]))
            continue
        low = min(values[i] for i in real)
        high = max(values[i] for i in real)
        i_lo = next(i for i in real if values[i] == low)
        i_hi = next(i for i in real if values[i] == high)
        if i_lo == i_hi:
            out.append((steps[i_lo], values[i_lo]))
        elif steps[i_hi] < steps[i_lo]:
            out += [(steps[i_hi], values[i_hi]), (steps[i_lo], values[i_lo])]
        else:
            out += [(steps[i_lo], values[i_lo]), (steps[i_hi], values[i_hi])]
    return out


def assert_downsampled(got: Downsampled, expected: list[tuple[float, float]]) -> None:
    assert got.steps.dtype == np.float64 and got.values.dtype == np.float64
    assert len(got.steps) == len(got.values) == len(expected)
    assert same_bits(got.steps, np.array([s for s, _ in expected], dtype=np.float64))
    assert same_bits(got.values, np.array([v for _, v in expected], dtype=np.float64))


def random_range(rng: np.random.Generator, steps: FloatArray) -> tuple[float, float]:
    if len(steps) == 0 or rng.random() < 0.1:
        lo = float(rng.uniform(-10, 10))
        return lo, lo + float(rng.uniform(0, 10))
    a, b = float(steps[0]), float(steps[-1])
    choice = rng.integers(4)
    if choice == 0:
        return a, b
    if choice == 1:  # a sub-range, possibly a single existing step
        x, y = np.sort(rng.choice(steps, 2))
        return float(x), float(y)
    if choice == 2:  # wider than the data
        return a - float(rng.uniform(0, 5)), b + float(rng.uniform(0, 5))
    lo = float(rng.choice(steps))
    return lo, lo


def test_downsample_points_matches_reference() -> None:
    rng = np.random.default_rng(2024)
    for _ in range(300):
        n = int(rng.choice([rng.integers(0, 10), rng.integers(0, 2000)]))
        points = make_points(rng, n, str(rng.choice(VALUE_KINDS)))
        n_buckets = int(rng.choice([1, 2, 3, int(rng.integers(1, 60)), int(rng.integers(1, 3000))]))
        lo, hi = random_range(rng, points.steps)
        got = downsample_points(points, n_buckets, lo, hi)
        assert len(got) <= 2 * n_buckets
        assert bool(np.all(np.diff(got.steps) >= 0))
        assert_downsampled(got, reference_downsample(points, n_buckets, lo, hi))


def test_downsample_points_unsorted_steps_match_reference() -> None:
    rng = np.random.default_rng(8)
    for _ in range(50):
        n = int(rng.integers(1, 500))
        steps = rng.integers(0, 100, n).astype(np.float64)
        points = PointArrays(steps, np.zeros(n), make_values(rng, n, "mixed"))
        n_buckets = int(rng.integers(1, 30))
        got = downsample_points(points, n_buckets, 10.0, 90.0)
        assert bool(np.all(np.diff(got.steps) >= 0))
        assert_downsampled(got, reference_downsample(points, n_buckets, 10.0, 90.0))


def test_downsample_semantics_by_example() -> None:
    nan, inf = np.nan, np.inf
    steps = np.arange(12, dtype=np.float64)
    values = np.array([3, 1, 2, 5, nan, nan, nan, nan, 7, 7, -inf, 0], dtype=np.float64)
    points = PointArrays(steps, steps, values)
    got = downsample_points(points, 3, 0.0, 12.0)  # buckets [0,4) [4,8) [8,12]
    assert got.steps.tolist() == [1.0, 3.0, 4.0, 8.0, 10.0]
    assert got.values[:2].tolist() == [1.0, 5.0]
    assert math.isnan(got.values[2])
    assert got.values[3:].tolist() == [7.0, -inf]
    one = downsample_points(pts([5.0, 6.0], [0.0, 0.0], [2.0, 2.0]), 1, 5.0, 6.0)
    assert one.steps.tolist() == [5.0] and one.values.tolist() == [2.0]
    # Points outside the range are ignored; the last bucket is closed.
    edge = downsample_points(points, 2, 2.0, 3.0)
    assert edge.steps.tolist() == [2.0, 3.0]


def test_downsample_validation() -> None:
    points = make_points(np.random.default_rng(0), 10)
    bad: list[tuple[int, float, float, str]] = [
        (0, 0.0, 1.0, "n_buckets"),
        (-3, 0.0, 1.0, "n_buckets"),
        (5, 2.0, 1.0, "step_hi"),
        (5, float("nan"), 1.0, "finite"),
        (5, 0.0, float("inf"), "finite"),
    ]
    for n_buckets, lo, hi, message in bad:
        with pytest.raises(ValueError, match=message):
            downsample_points(points, n_buckets, lo, hi)
        with pytest.raises(ValueError, match=message):
            downsample_sketches([], n_buckets, lo, hi)


def aligned_series(rng: np.random.Generator, n: int) -> PointArrays:
    """Record r (positions r*256 .. r*256+255) has steps in [256 r + 0.5, 256 r + 255.5]."""
    record = np.arange(n) // SKETCH_POINTS
    within = np.sort(rng.uniform(0.5, 255.5, (-(-n // SKETCH_POINTS), SKETCH_POINTS)), axis=1)
    within[:, 1::7] = within[:, 0::7][:, : within[:, 1::7].shape[1]]  # equal neighbours
    within.sort(axis=1)
    steps = record * float(SKETCH_POINTS) + within.ravel()[:n]
    values = make_values(rng, n, str(rng.choice(["loss", "mixed", "specials", "integers"])))
    nan_records = rng.random(len(within)) < 0.15  # some records entirely NaN
    values[nan_records[record]] = np.nan
    return PointArrays(steps, np.zeros(n), values)


def sketches_of(points: PointArrays, room: int) -> list[NDArray[np.void]]:
    return [decode_sketch(build_sketch(c)) for c in split_into_chunks(points, room)]


def test_downsample_sketches_matches_points_when_aligned() -> None:
    rng = np.random.default_rng(77)
    for _ in range(60):
        n = int(rng.integers(1, 5 * CHUNK_POINTS))
        points = aligned_series(rng, n)
        room = int(rng.choice([0, SKETCH_POINTS, 8 * SKETCH_POINTS, CHUNK_POINTS]))
        sketches = sketches_of(points, room)
        records_total = -(-n // SKETCH_POINTS)
        per_bucket = int(rng.integers(1, 9))  # records per bucket
        width = per_bucket * SKETCH_POINTS
        first_bucket = int(rng.integers(0, max(1, records_total // per_bucket)))
        n_buckets = int(rng.integers(1, records_total // per_bucket + 3))
        lo = float(first_bucket * width)
        hi = lo + n_buckets * width
        from_points = downsample_points(points, n_buckets, lo, hi)
        from_sketches = downsample_sketches(sketches, n_buckets, lo, hi)
        assert_downsampled(from_sketches, reference_downsample(points, n_buckets, lo, hi))
        assert same_bits(from_points.steps, from_sketches.steps)
        assert same_bits(from_points.values, from_sketches.values)


def test_downsample_sketches_any_range_is_sane() -> None:
    rng = np.random.default_rng(4)
    for _ in range(80):
        n = int(rng.integers(0, 3 * CHUNK_POINTS))
        points = make_points(rng, n, str(rng.choice(VALUE_KINDS)))
        sketches = sketches_of(points, int(rng.integers(0, CHUNK_POINTS)))
        n_buckets = int(rng.integers(1, 400))
        lo, hi = random_range(rng, points.steps)
        got = downsample_sketches(sketches, n_buckets, lo, hi)
        assert len(got) <= 2 * n_buckets
        assert bool(np.all(np.diff(got.steps) >= 0))
        assert bool(np.all((got.steps >= lo) & (got.steps <= hi)))
        # Every point kept is a real point of the series.
        real = set(zip(bits(points.steps).tolist(), bits(points.values).tolist(), strict=True))
        kept = zip(bits(got.steps).tolist(), bits(got.values).tolist(), strict=True)
        assert all(pair in real for pair in kept)


def test_downsample_sketches_empty_inputs() -> None:
    assert len(downsample_sketches([], 10, 0.0, 1.0)) == 0
    empty = decode_sketch(build_sketch(PointArrays.empty()))
    assert len(empty) == 0
    assert len(downsample_sketches([empty], 10, 0.0, 1.0)) == 0
    points = make_points(np.random.default_rng(1), 1000, "loss")
    far = float(points.steps[-1]) + 100.0
    assert len(downsample_sketches(sketches_of(points, 0), 10, far, far + 1)) == 0
    assert len(downsample_points(points, 10, far, far + 1)) == 0


def test_downsample_million_points_from_sketches() -> None:
    points = realistic_series(1_000_000)
    hi = 1000 * 4 * SKETCH_POINTS  # 1000 buckets of 4 sketch records each
    got = downsample_sketches(sketches_of(points, 0), 1000, 0.0, hi)
    assert 1000 <= len(got) <= 2000
    expected = downsample_points(points, 1000, 0.0, hi)
    assert same_bits(got.steps, expected.steps)
    assert same_bits(got.values, expected.values)
