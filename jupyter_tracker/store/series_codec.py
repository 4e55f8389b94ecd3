"""Lossless chunk encoding, summaries, sketches and downsampling of metric series.

Pure numpy (plus zstandard): no database, no I/O. A series is a sequence of points
``(step, timestamp, value)``, all float64, appended with non-decreasing steps. The store keeps
it as chunks of at most :data:`CHUNK_POINTS` points; each chunk has an encoded blob
(:func:`encode_chunk`) and a sketch (:func:`build_sketch`) that lets :func:`downsample_sketches`
answer a chart read without decoding any blob.

Chunk blob, format version 1 (all little-endian)::

    u8  version (1)
    u8  transform of the steps       } 0 = raw bits, 1 = delta of the bits
    u8  transform of the timestamps  } (uint64 wrapping subtraction from the
    u8  transform of the values      }  previous point's bits; the first from 0)
    u32 number of points n
    zstd frame (absent when n == 0) of 3 * 8 * n bytes: for each column in the order
    steps, timestamps, values, the transformed uint64 words byte-shuffled (byte 0 of every
    word, then byte 1, ... then byte 7).

Every transform works on the raw IEEE-754 bits, so NaN payloads, infinities, -0.0 and
subnormals round-trip bit for bit.

Sketch blob, format version 1: ``u8 version (1)``, seven zero bytes, then the records of
:data:`SKETCH_DTYPE`, one per :data:`SKETCH_POINTS` points.
"""

from __future__ import annotations

import math
import operator
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import zstandard
from numpy.typing import NDArray

__all__ = [
    "CHUNK_POINTS",
    "SKETCH_DTYPE",
    "SKETCH_POINTS",
    "Downsampled",
    "PointArrays",
    "Summary",
    "build_sketch",
    "decode_chunk",
    "decode_sketch",
    "downsample_points",
    "downsample_sketches",
    "encode_chunk",
    "merge_summaries",
    "split_into_chunks",
    "summarize",
]

CHUNK_POINTS: int = 16384
"""Maximum number of points in one chunk."""

SKETCH_POINTS: int = 256
"""Number of points summarised by one sketch record."""

SKETCH_DTYPE: np.dtype[np.void] = np.dtype(
    [
        ("step_first", "<f8"),
        ("step_last", "<f8"),
        ("count", "<i8"),
        ("min", "<f8"),
        ("min_step", "<f8"),
        ("max", "<f8"),
        ("max_step", "<f8"),
    ]
)
"""One sketch record: NaN-aware min/max (and their steps) of up to SKETCH_POINTS points."""

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_CHUNK_VERSION = 1
_CHUNK_HEADER = struct.Struct("<BBBBI")
_SKETCH_VERSION = 1
_SKETCH_HEADER = struct.Struct("<B7x")

_RAW = 0
_DELTA = 1
_TRANSFORMS = (_RAW, _DELTA)

# The values' transform is picked per chunk by compressing a sample both ways.
_SAMPLE_POINTS = 2048
_MIN_POINTS_TO_CHOOSE = 64

_ZSTD_LEVEL = 1


class _Codecs(threading.local):
    """Per-thread zstandard contexts (they are not thread-safe)."""

    def __init__(self) -> None:
        self.compressor = zstandard.ZstdCompressor(level=_ZSTD_LEVEL)
        self.decompressor = zstandard.ZstdDecompressor()


_codecs = _Codecs()


# --------------------------------------------------------------------------------------------
# Points


def _as_column(name: str, array: Any) -> FloatArray:
    column: FloatArray = np.asarray(array, dtype=np.float64)
    if column.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got {column.ndim} dimensions")
    return np.ascontiguousarray(column)


@dataclass(frozen=True, eq=False)
class PointArrays:
    """Points as three 1-D contiguous float64 arrays of equal length.

    Inputs are converted to float64 (no copy when they already are); arrays are shared, not
    copied, so do not modify them afterwards.
    """

    steps: FloatArray
    timestamps: FloatArray
    values: FloatArray

    def __post_init__(self) -> None:
        steps = _as_column("steps", self.steps)
        timestamps = _as_column("timestamps", self.timestamps)
        values = _as_column("values", self.values)
        if not len(steps) == len(timestamps) == len(values):
            raise ValueError(
                "steps, timestamps and values must have equal lengths, got "
                f"{len(steps)}, {len(timestamps)} and {len(values)}"
            )
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "timestamps", timestamps)
        object.__setattr__(self, "values", values)

    def __len__(self) -> int:
        return len(self.steps)

    @staticmethod
    def empty() -> PointArrays:
        """No points."""
        return PointArrays(np.empty(0), np.empty(0), np.empty(0))

    @staticmethod
    def concat(parts: Sequence[PointArrays]) -> PointArrays:
        """The points of ``parts`` one after the other (new arrays)."""
        if not parts:
            return PointArrays.empty()
        return PointArrays(
            np.concatenate([p.steps for p in parts]),
            np.concatenate([p.timestamps for p in parts]),
            np.concatenate([p.values for p in parts]),
        )

    def slice(self, start: int, stop: int) -> PointArrays:
        """Points ``start:stop`` (Python slice rules; views, not copies)."""
        return PointArrays(
            self.steps[start:stop], self.timestamps[start:stop], self.values[start:stop]
        )


def split_into_chunks(points: PointArrays, first_chunk_room: int) -> list[PointArrays]:
    """Cut ``points`` into pieces: the first holds at most ``first_chunk_room`` points (none
    when 0; meant to top up the series' last chunk), the others at most CHUNK_POINTS."""
    if not 0 <= first_chunk_room <= CHUNK_POINTS:
        raise ValueError(
            f"first_chunk_room must be between 0 and {CHUNK_POINTS}, got {first_chunk_room}"
        )
    n = len(points)
    pieces: list[PointArrays] = []
    start = min(first_chunk_room, n)
    if start:
        pieces.append(points.slice(0, start))
    for begin in range(start, n, CHUNK_POINTS):
        pieces.append(points.slice(begin, min(begin + CHUNK_POINTS, n)))
    return pieces


# --------------------------------------------------------------------------------------------
# Chunk blobs


def _shuffled(words: NDArray[np.uint64]) -> NDArray[np.uint8]:
    """(k, n) uint64 -> (k, 8, n) bytes: byte j of every word of a row made contiguous."""
    k, n = words.shape
    out = np.empty((k, 8, n), dtype=np.uint8)
    out[...] = words.view(np.uint8).reshape(k, n, 8).transpose(0, 2, 1)
    return out


def _delta_into(bits: NDArray[np.uint64], out: NDArray[np.uint64]) -> None:
    out[0] = bits[0]
    np.subtract(bits[1:], bits[:-1], out=out[1:])


def _choose_value_transform(bits: NDArray[np.uint64]) -> int:
    """Raw or delta, whichever compresses a sample of the chunk better."""
    n = len(bits)
    if n < _MIN_POINTS_TO_CHOOSE:
        return _RAW
    sample = bits[: min(n, _SAMPLE_POINTS)]
    words = np.empty((2, len(sample)), dtype=np.uint64)
    words[0] = sample
    _delta_into(sample, words[1])
    shuffled = _shuffled(words)
    compress = _codecs.compressor.compress
    raw_size = len(compress(shuffled[0].data))
    delta_size = len(compress(shuffled[1].data))
    # Ties (e.g. constant values) go to raw, which decodes faster.
    return _DELTA if delta_size < raw_size else _RAW


def encode_chunk(points: PointArrays) -> bytes:
    """Encode points losslessly into a blob (format described in the module docstring)."""
    n = len(points)
    if n >= 1 << 32:
        raise ValueError(f"a chunk holds fewer than 2**32 points, got {n}")
    if n == 0:
        return _CHUNK_HEADER.pack(_CHUNK_VERSION, _RAW, _RAW, _RAW, 0)
    value_bits = points.values.view(np.uint64)
    value_transform = _choose_value_transform(value_bits)
    words = np.empty((3, n), dtype=np.uint64)
    _delta_into(points.steps.view(np.uint64), words[0])
    _delta_into(points.timestamps.view(np.uint64), words[1])
    if value_transform == _DELTA:
        _delta_into(value_bits, words[2])
    else:
        words[2] = value_bits
    frame = _codecs.compressor.compress(_shuffled(words).data)
    header = _CHUNK_HEADER.pack(_CHUNK_VERSION, _DELTA, _DELTA, value_transform, n)
    return header + frame


def decode_chunk(blob: bytes | bytearray | memoryview) -> PointArrays:
    """Decode a blob made by :func:`encode_chunk` (bytes, bytearray or memoryview)."""
    view = memoryview(blob)
    if len(view) < _CHUNK_HEADER.size:
        raise ValueError(f"chunk blob too short: {len(view)} bytes")
    version, *transforms, n = _CHUNK_HEADER.unpack_from(view)
    if version != _CHUNK_VERSION:
        raise ValueError(f"unsupported chunk format version {version}")
    for transform in transforms:
        if transform not in _TRANSFORMS:
            raise ValueError(f"unknown column transform {transform} in chunk blob")
    frame = view[_CHUNK_HEADER.size :]
    if n == 0:
        if len(frame):
            raise ValueError("empty chunk blob has trailing data")
        return PointArrays.empty()
    expected = 3 * 8 * n
    try:
        if zstandard.frame_content_size(frame) != expected:
            raise ValueError(f"chunk blob does not hold {n} points")
        raw = _codecs.decompressor.decompress(frame)
    except zstandard.ZstdError as exc:
        raise ValueError(f"corrupt chunk blob: {exc}") from exc
    if len(raw) != expected:
        raise ValueError(f"chunk blob does not hold {n} points")
    planes = np.frombuffer(raw, dtype=np.uint8).reshape(3, 8, n)
    unshuffled = np.empty((3, n, 8), dtype=np.uint8)
    unshuffled[...] = planes.transpose(0, 2, 1)
    words = unshuffled.view(np.uint64).reshape(3, n)
    for row, transform in enumerate(transforms):
        if transform == _DELTA:
            np.cumsum(words[row], out=words[row])
    columns = words.view(np.float64)
    return PointArrays(columns[0], columns[1], columns[2])


# --------------------------------------------------------------------------------------------
# Summaries


@dataclass(frozen=True)
class Summary:
    """Of a set of points: ``first``/``last`` are the values at the smallest/largest
    position, ``min``/``max`` ignore NaN (None when every value is NaN), ``last_step`` is the
    step at the largest position; everything but ``count`` is None when there are no points.
    """

    count: int
    first: float | None
    last: float | None
    min: float | None
    max: float | None
    last_step: float | None


_EMPTY_SUMMARY = Summary(0, None, None, None, None, None)


def _first_extreme(values: FloatArray, nan: BoolArray | None, *, largest: bool) -> float | None:
    """NaN-ignoring min or max, taken at its first occurrence (so -0.0 vs 0.0 is exact)."""
    starts = np.zeros(1, dtype=np.int64)
    position = int(_segment_first_extreme(values, nan, starts, largest=largest)[0])
    return None if position < 0 else float(values[position])


def summarize(points: PointArrays) -> Summary:
    """Count, first, last, NaN-ignoring min/max and last step of ``points``."""
    n = len(points)
    if n == 0:
        return _EMPTY_SUMMARY
    values = points.values
    nan = _nan_mask(values)
    return Summary(
        count=n,
        first=float(values[0]),
        last=float(values[-1]),
        min=_first_extreme(values, nan, largest=False),
        max=_first_extreme(values, nan, largest=True),
        last_step=float(points.steps[-1]),
    )


def merge_summaries(a: Summary, b: Summary) -> Summary:
    """Summary of the points of ``a`` followed by those of ``b``."""
    if b.count == 0:
        return a
    if a.count == 0:
        return b
    return Summary(
        count=a.count + b.count,
        first=a.first,
        last=b.last,
        min=_earlier_unless_beaten(a.min, b.min, largest=False),
        max=_earlier_unless_beaten(a.max, b.max, largest=True),
        last_step=b.last_step,
    )


def _earlier_unless_beaten(a: float | None, b: float | None, *, largest: bool) -> float | None:
    """The extreme of ``a`` and ``b`` (None = no value), ``a`` on a tie (first occurrence)."""
    if a is None:
        return b
    if b is None:
        return a
    beaten = b > a if largest else b < a
    return b if beaten else a


# --------------------------------------------------------------------------------------------
# Per-segment extremes


def _nan_mask(values: FloatArray) -> BoolArray | None:
    """Where ``values`` is NaN, or None when nowhere."""
    nan = np.isnan(values)
    return nan if bool(nan.any()) else None


def _segment_first_extreme(
    values: FloatArray, skip: BoolArray | None, starts: IntArray, *, largest: bool
) -> IntArray:
    """For consecutive non-empty segments of ``values`` beginning at ``starts`` (the first
    being 0), the position of the first min (or max) of each, ignoring the positions in
    ``skip`` (which must cover every NaN); -1 where a segment has nothing left.

    NaNs are masked rather than left to np.fmin, which lets a signalling NaN win.
    """
    fill = -np.inf if largest else np.inf
    clean = values if skip is None else np.where(skip, fill, values)
    extremes = (np.maximum if largest else np.minimum).reduceat(clean, starts)
    lengths = np.diff(starts, append=len(values))
    match = clean == np.repeat(extremes, lengths)
    if skip is None:
        found = np.ones(len(starts), dtype=bool)
    else:
        match &= ~skip
        found = np.logical_or.reduceat(match, starts)
    hits = np.flatnonzero(match)
    positions = np.full(len(starts), -1, dtype=np.int64)
    if len(hits):
        # The first hit at or after a segment's start is inside it when the segment has one.
        first = hits[np.minimum(np.searchsorted(hits, starts), len(hits) - 1)]
        positions[found] = first[found]
    return positions


def _segment_first_true(flags: BoolArray, starts: IntArray) -> IntArray:
    """Position of the first True of each segment (segments as above), -1 if none."""
    hits = np.flatnonzero(flags)
    positions = np.full(len(starts), -1, dtype=np.int64)
    if len(hits):
        first = hits[np.minimum(np.searchsorted(hits, starts), len(hits) - 1)]
        ends = np.append(starts[1:], len(flags))
        inside = (first >= starts) & (first < ends)
        positions[inside] = first[inside]
    return positions


# --------------------------------------------------------------------------------------------
# Sketches


def build_sketch(points: PointArrays) -> bytes:
    """One SKETCH_DTYPE record per SKETCH_POINTS points (the last may be partial).

    ``min``/``max`` ignore NaN and are taken at their first occurrence; a record whose values
    are all NaN has its first value (a NaN) as min and max, at ``step_first``.
    """
    n = len(points)
    starts = np.arange(0, n, SKETCH_POINTS, dtype=np.int64)
    records = np.empty(len(starts), dtype=SKETCH_DTYPE)
    if n:
        steps = points.steps
        values = points.values
        ends = np.minimum(starts + SKETCH_POINTS, n)
        nan = _nan_mask(values)
        lo = _segment_first_extreme(values, nan, starts, largest=False)
        hi = _segment_first_extreme(values, nan, starts, largest=True)
        lo = np.where(lo < 0, starts, lo)
        hi = np.where(hi < 0, starts, hi)
        records["step_first"] = steps[starts]
        records["step_last"] = steps[ends - 1]
        records["count"] = ends - starts
        records["min"] = values[lo]
        records["min_step"] = steps[lo]
        records["max"] = values[hi]
        records["max_step"] = steps[hi]
    return _SKETCH_HEADER.pack(_SKETCH_VERSION) + records.tobytes()


def decode_sketch(blob: bytes | bytearray | memoryview) -> NDArray[np.void]:
    """The records (dtype SKETCH_DTYPE) of a blob made by :func:`build_sketch`."""
    view = memoryview(blob)
    if len(view) < _SKETCH_HEADER.size:
        raise ValueError(f"sketch blob too short: {len(view)} bytes")
    (version,) = _SKETCH_HEADER.unpack_from(view)
    if version != _SKETCH_VERSION:
        raise ValueError(f"unsupported sketch format version {version}")
    body = view[_SKETCH_HEADER.size :]
    if len(body) % SKETCH_DTYPE.itemsize:
        raise ValueError("sketch blob length is not a whole number of records")
    return np.frombuffer(body, dtype=SKETCH_DTYPE).copy()


# --------------------------------------------------------------------------------------------
# Downsampling


@dataclass(frozen=True, eq=False)
class Downsampled:
    """The points kept by a downsampled read, in step order."""

    steps: FloatArray
    values: FloatArray

    def __len__(self) -> int:
        return len(self.steps)


def _check_range(n_buckets: int, step_lo: float, step_hi: float) -> int:
    n_buckets = operator.index(n_buckets)
    if n_buckets < 1:
        raise ValueError(f"n_buckets must be at least 1, got {n_buckets}")
    if not (math.isfinite(step_lo) and math.isfinite(step_hi)):
        raise ValueError(f"step_lo and step_hi must be finite, got {step_lo} and {step_hi}")
    if not step_hi >= step_lo:
        raise ValueError(f"step_hi ({step_hi}) must be >= step_lo ({step_lo})")
    return n_buckets


def _bucket_of(steps: FloatArray, n_buckets: int, step_lo: float, step_hi: float) -> IntArray:
    """Bucket of each step in [step_lo, step_hi]: ``floor((step - step_lo) * n_buckets /
    (step_hi - step_lo))``, the last bucket closed."""
    span = step_hi - step_lo
    if span == 0:
        return np.zeros(len(steps), dtype=np.int64)
    if math.isfinite(span * n_buckets):
        scaled = (steps - step_lo) * n_buckets / span
    else:  # astronomically wide range: same buckets, computed without overflow
        scaled = (steps * 0.5 - step_lo * 0.5) / (step_hi * 0.5 - step_lo * 0.5) * n_buckets
    buckets: IntArray = np.minimum(scaled.astype(np.int64), n_buckets - 1)
    return buckets


def _run_starts(buckets: IntArray) -> IntArray:
    """Where each run of equal numbers in a non-empty, non-decreasing array begins."""
    starts: IntArray = np.flatnonzero(np.diff(buckets, prepend=-1)).astype(np.int64)
    return starts


def _emit(
    lo_steps: FloatArray,
    lo_values: FloatArray,
    hi_steps: FloatArray,
    hi_values: FloatArray,
    keep_lo: BoolArray,
    keep_hi: BoolArray,
) -> Downsampled:
    """Interleave per-bucket min and max points, then sort by step (min first on a tie)."""
    k = len(lo_steps)
    steps = np.empty(2 * k)
    values = np.empty(2 * k)
    keep = np.empty(2 * k, dtype=bool)
    steps[0::2], steps[1::2] = lo_steps, hi_steps
    values[0::2], values[1::2] = lo_values, hi_values
    keep[0::2], keep[1::2] = keep_lo, keep_hi
    steps, values = steps[keep], values[keep]
    if len(steps) > 1 and not bool(np.all(steps[1:] >= steps[:-1])):
        order = np.argsort(steps, kind="stable")
        steps, values = steps[order], values[order]
    return Downsampled(steps, values)


def downsample_points(
    points: PointArrays, n_buckets: int, step_lo: float, step_hi: float
) -> Downsampled:
    """Min and max point of each of ``n_buckets`` equal step intervals of [step_lo, step_hi].

    A bucket keeps its first NaN-ignoring min and first max (one point when they are the
    same point); a bucket whose values are all NaN keeps its first point (a gap). Points
    outside the range are ignored. At most ``2 * n_buckets`` points, in step order (a min and
    a max at the same step: min first).
    """
    n_buckets = _check_range(n_buckets, step_lo, step_hi)
    steps, values = points.steps, points.values
    inside = (steps >= step_lo) & (steps <= step_hi)
    if not bool(inside.all()):
        chosen = np.flatnonzero(inside)
        steps, values = steps[chosen], values[chosen]
    if len(steps) == 0:
        return Downsampled(np.empty(0), np.empty(0))
    buckets = _bucket_of(steps, n_buckets, step_lo, step_hi)
    if not bool(np.all(buckets[1:] >= buckets[:-1])):  # steps out of order: group by bucket
        order = np.argsort(buckets, kind="stable")
        steps, values, buckets = steps[order], values[order], buckets[order]
    starts = _run_starts(buckets)
    nan = _nan_mask(values)
    lo = _segment_first_extreme(values, nan, starts, largest=False)
    hi = _segment_first_extreme(values, nan, starts, largest=True)
    gap = lo < 0
    lo = np.where(gap, starts, lo)
    hi = np.where(gap, starts, hi)
    return _emit(steps[lo], values[lo], steps[hi], values[hi], np.ones(len(lo), bool), lo != hi)


def downsample_sketches(
    sketches: Sequence[NDArray[np.void]], n_buckets: int, step_lo: float, step_hi: float
) -> Downsampled:
    """Like :func:`downsample_points`, from sketch records (:func:`decode_sketch`) alone.

    A record overlapping [step_lo, step_hi] goes to the bucket of its ``step_first`` (or the
    first bucket when it starts before the range); its min and max points are that bucket's
    candidates unless their step lies outside the range. A bucket with no candidate but a
    whole-NaN record inside the range keeps that record's NaN at its ``step_first``. Equals
    :func:`downsample_points` when every record lies inside one bucket.
    """
    n_buckets = _check_range(n_buckets, step_lo, step_hi)
    if not sketches:
        return Downsampled(np.empty(0), np.empty(0))
    records = np.concatenate([np.asarray(s, dtype=SKETCH_DTYPE).ravel() for s in sketches])
    first = records["step_first"]
    overlap = (records["count"] > 0) & (records["step_last"] >= step_lo) & (first <= step_hi)
    records = records[overlap]
    if len(records) == 0:
        return Downsampled(np.empty(0), np.empty(0))
    first = np.ascontiguousarray(records["step_first"])
    buckets = _bucket_of(np.maximum(first, step_lo), n_buckets, step_lo, step_hi)
    if not bool(np.all(buckets[1:] >= buckets[:-1])):
        records, first, buckets = _sorted_by(np.argsort(buckets, kind="stable"), records, buckets)
    starts = _run_starts(buckets)
    min_step = np.ascontiguousarray(records["min_step"])
    max_step = np.ascontiguousarray(records["max_step"])
    min_value = np.ascontiguousarray(records["min"])
    max_value = np.ascontiguousarray(records["max"])
    # Candidates that are NaN or outside the range are skipped.
    min_nan = np.isnan(min_value)
    skip_min = min_nan | (min_step < step_lo) | (min_step > step_hi)
    skip_max = np.isnan(max_value) | (max_step < step_lo) | (max_step > step_hi)
    lo = _segment_first_extreme(min_value, skip_min, starts, largest=False)
    hi = _segment_first_extreme(max_value, skip_max, starts, largest=True)
    has_lo, has_hi = lo >= 0, hi >= 0
    gap_flags = min_nan & (first >= step_lo) & (first <= step_hi)
    gap = _segment_first_true(gap_flags, starts)
    use_gap = ~has_lo & ~has_hi & (gap >= 0)
    lo_at = np.where(has_lo, lo, np.where(use_gap, gap, 0))
    hi_at = np.where(has_hi, hi, 0)
    lo_steps = np.where(use_gap, first[lo_at], min_step[lo_at])
    # Min and max are the same point when they come from one record whose min equals its max.
    same = has_lo & has_hi & (lo == hi) & (min_value[lo_at] == max_value[hi_at])
    return _emit(
        lo_steps,
        min_value[lo_at],
        max_step[hi_at],
        max_value[hi_at],
        has_lo | use_gap,
        has_hi & ~same,
    )


def _sorted_by(
    order: IntArray, records: NDArray[np.void], buckets: IntArray
) -> tuple[NDArray[np.void], FloatArray, IntArray]:
    records = records[order]
    return records, np.ascontiguousarray(records["step_first"]), buckets[order]
