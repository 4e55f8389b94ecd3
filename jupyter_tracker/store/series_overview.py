"""Sketches of chunks and min/max downsampling of metric series, for chart reads.

Each chunk of a series has a sketch: one :data:`SKETCH_DTYPE` record per
:data:`SKETCH_POINTS` points, so :func:`downsample_sketches` can answer a chart read of a long
series without decoding any chunk; :func:`downsample_points` does the same from the points.

Sketch blob, format version 1: ``u8 version (1)``, seven zero bytes, then the records.
"""

from __future__ import annotations

import math
import operator
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .segments import (
    BoolArray,
    FloatArray,
    IntArray,
    nan_mask,
    segment_first_extreme,
    segment_first_true,
)
from .series_codec import PointArrays

__all__ = [
    "SKETCH_DTYPE",
    "SKETCH_POINTS",
    "Downsampled",
    "build_sketch",
    "decode_sketch",
    "downsample_points",
    "downsample_sketches",
]

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

_SKETCH_VERSION = 1
_SKETCH_HEADER = struct.Struct("<B7x")


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
        nan = nan_mask(values)
        lo = segment_first_extreme(values, nan, starts, largest=False)
        hi = segment_first_extreme(values, nan, starts, largest=True)
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
    nan = nan_mask(values)
    lo = segment_first_extreme(values, nan, starts, largest=False)
    hi = segment_first_extreme(values, nan, starts, largest=True)
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
    lo = segment_first_extreme(min_value, skip_min, starts, largest=False)
    hi = segment_first_extreme(max_value, skip_max, starts, largest=True)
    has_lo, has_hi = lo >= 0, hi >= 0
    gap_flags = min_nan & (first >= step_lo) & (first <= step_hi)
    gap = segment_first_true(gap_flags, starts)
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
