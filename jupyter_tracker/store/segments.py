"""NaN-aware extremes of consecutive segments of an array, shared by summaries and sketches."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def nan_mask(values: FloatArray) -> BoolArray | None:
    """Where ``values`` is NaN, or None when nowhere."""
    nan = np.isnan(values)
    return nan if bool(nan.any()) else None


def segment_first_extreme(
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


def segment_first_true(flags: BoolArray, starts: IntArray) -> IntArray:
    """Position of the first True of each segment (segments as above), -1 if none."""
    hits = np.flatnonzero(flags)
    positions = np.full(len(starts), -1, dtype=np.int64)
    if len(hits):
        first = hits[np.minimum(np.searchsorted(hits, starts), len(hits) - 1)]
        ends = np.append(starts[1:], len(flags))
        inside = (first >= starts) & (first < ends)
        positions[inside] = first[inside]
    return positions
