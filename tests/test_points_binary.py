"""The binary points format: raw float64 columns, bit-exact, named by headers."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np


def column(values: np.ndarray) -> dict[str, str]:
    return {"dtype": "<f8", "data": base64.b64encode(values.astype("<f8").tobytes()).decode()}


async def test_binary_points_round_trip_bit_exactly(jp_fetch: Any) -> None:
    # Given a run with 40,000 points, some of them NaN, -0.0 and infinite
    run = json.loads(
        (await jp_fetch("jupyter-tracker", "api", "v1", "runs", method="POST", body="{}")).body
    )
    steps = np.arange(40_000, dtype=np.float64)
    stamps = 1.7e9 + steps * 0.01
    values = np.sin(steps / 500.0)
    values[[3, 7, 11, 13]] = [np.nan, -0.0, np.inf, -np.inf]
    batch = {
        "metrics": [
            {
                "name": "loss",
                "steps": column(steps),
                "timestamps": column(stamps),
                "values": column(values),
            }
        ]
    }
    await jp_fetch(
        "jupyter-tracker",
        "api",
        "v1",
        "runs",
        run["id"],
        "batches",
        method="POST",
        body=json.dumps(batch),
    )
    # When they are read whole in the binary format
    reply = await jp_fetch(
        "jupyter-tracker",
        "api",
        "v1",
        "runs",
        run["id"],
        "points",
        params={"name": "loss", "format": "binary"},
    )
    # Then the body is the three columns back to back, bit for bit, as the headers say
    assert reply.headers["Content-Type"] == "application/octet-stream"
    assert reply.headers["X-Columns"] == "steps,timestamps,values"
    assert reply.headers["X-Point-Count"] == "40000"
    got = np.frombuffer(reply.body, dtype="<f8").reshape(3, -1)
    for sent, back in zip((steps, stamps, values), got, strict=True):
        assert sent.tobytes() == back.tobytes()
    # And a downsampled read in binary holds steps and values, at most two points per bucket
    reply = await jp_fetch(
        "jupyter-tracker",
        "api",
        "v1",
        "runs",
        run["id"],
        "points",
        params={"name": "loss", "format": "binary", "downsample": "100"},
    )
    assert reply.headers["X-Columns"] == "steps,values"
    down = np.frombuffer(reply.body, dtype="<f8").reshape(2, -1)
    assert 0 < down.shape[1] <= 200
    assert int(reply.headers["X-Point-Count"]) == down.shape[1]
    assert np.nanmax(down[1][np.isfinite(down[1])]) == np.max(values[np.isfinite(values)])
