"""Size and speed of the series codec and overview (jupyter_tracker.store) on 1,000,000 points.

Run: python bench/codec_speed.py [--repeat N]. Prints bytes per point and the median (and
best) wall time over N runs of: encode, decode, sketch build, and a 1000-bucket downsampled
read from sketches and from points.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jupyter_tracker.store.series_codec import (
    PointArrays,
    decode_chunk,
    encode_chunk,
    split_into_chunks,
)
from jupyter_tracker.store.series_overview import (
    Downsampled,
    build_sketch,
    decode_sketch,
    downsample_points,
    downsample_sketches,
)

N_POINTS = 1_000_000
N_BUCKETS = 1000


def realistic_series(n: int, seed: int = 0) -> PointArrays:
    """Steps 0..n-1, timestamps 1 ms apart with jitter, a noisy decaying loss."""
    rng = np.random.default_rng(seed)
    i = np.arange(n, dtype=np.float64)
    timestamps = 1.7e9 + i * 0.001 + rng.uniform(0.0, 2e-5, n)
    values = 2.0 * np.exp(-i / 2e5) + 0.1 + 0.02 * rng.standard_normal(n)
    return PointArrays(i, timestamps, values)


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(first, median, best) wall time in ms."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return times[0], statistics.median(times), min(times)


def report(label: str, ms: tuple[float, float, float]) -> None:
    first, median, best = ms
    print(f"  {label:<44} median {median:7.2f} ms   best {best:7.2f}   first {first:7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat

    points = realistic_series(N_POINTS)
    chunks = split_into_chunks(points, 0)
    blobs = [encode_chunk(c) for c in chunks]
    sketch_blobs = [build_sketch(c) for c in chunks]
    blob_bytes = sum(len(b) for b in blobs)
    sketch_bytes = sum(len(s) for s in sketch_blobs)
    decoded = PointArrays.concat([decode_chunk(b) for b in blobs])
    for name in ("steps", "timestamps", "values"):
        same = np.array_equal(
            getattr(decoded, name).view(np.uint64), getattr(points, name).view(np.uint64)
        )
        assert same, name

    rng = np.random.default_rng(1)
    uniform = PointArrays(points.steps, points.timestamps, rng.uniform(size=N_POINTS))
    uniform_bytes = sum(len(encode_chunk(c)) for c in split_into_chunks(uniform, 0))

    print(f"{N_POINTS:,} points in {len(chunks)} chunks")
    print(f"  realistic series: {blob_bytes / N_POINTS:.3f} B/pt blobs", end="")
    print(f", {(blob_bytes + sketch_bytes) / N_POINTS:.3f} B/pt with sketches")
    print(f"  uniform random values: {uniform_bytes / N_POINTS:.3f} B/pt blobs")
    report("encode_chunk x all chunks", timed(lambda: [encode_chunk(c) for c in chunks], repeat))
    report("decode_chunk x all chunks", timed(lambda: [decode_chunk(b) for b in blobs], repeat))
    report("build_sketch x all chunks", timed(lambda: [build_sketch(c) for c in chunks], repeat))

    def sketch_read() -> Downsampled:
        sketches = [decode_sketch(s) for s in sketch_blobs]
        return downsample_sketches(sketches, N_BUCKETS, 0.0, N_POINTS - 1.0)

    report(f"decode_sketch + downsample_sketches -> {N_BUCKETS}", timed(sketch_read, repeat))
    report(
        f"downsample_points (1M points) -> {N_BUCKETS}",
        timed(lambda: downsample_points(points, N_BUCKETS, 0.0, N_POINTS - 1.0), repeat),
    )
    kept = len(sketch_read())
    print(f"  sketch read keeps {kept} points")


if __name__ == "__main__":
    main()
