"""Lossless chunk encoding and summaries of metric series.

Pure numpy (plus zstandard): no database, no I/O. A series is a sequence of points
``(step, timestamp, value)``, all float64, appended with non-decreasing steps. The store keeps
it as chunks of at most :data:`CHUNK_POINTS` points, each an encoded blob
(:func:`encode_chunk`); ``series_overview`` sketches each chunk for downsampled reads.

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
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import zstandard
from numpy.typing import NDArray

from .segments import BoolArray, FloatArray, nan_mask, segment_first_extreme

__all__ = [
    "CHUNK_POINTS",
    "PointArrays",
    "Summary",
    "decode_chunk",
    "encode_chunk",
    "merge_summaries",
    "split_into_chunks",
    "summarize",
]

CHUNK_POINTS: int = 16384
"""Maximum number of points in one chunk."""

_CHUNK_VERSION = 1
_CHUNK_HEADER = struct.Struct("<BBBBI")

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
    position = int(segment_first_extreme(values, nan, starts, largest=largest)[0])
    return None if position < 0 else float(values[position])


def summarize(points: PointArrays) -> Summary:
    """Count, first, last, NaN-ignoring min/max and last step of ``points``."""
    n = len(points)
    if n == 0:
        return _EMPTY_SUMMARY
    values = points.values
    nan = nan_mask(values)
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
