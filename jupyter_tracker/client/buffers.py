"""What the user's calls leave for the background thread, and turning it into batch bodies.

The user's thread only appends to lists; the worker takes a prefix of each list with a slice
and deletes that prefix (each one step under the GIL), so neither side ever waits for a lock
and nothing appended meanwhile is lost.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class SeriesBuffer:
    """Points of one series not yet handed to the worker, and the last step logged.

    Three flat lists rather than a list of tuples: floats are not tracked by the garbage
    collector, so a million logged points trigger no collections. A point is appended to
    ``steps``, then ``stamps``, then ``values``; ``values`` is never longer than the others, so
    its length counts the points that are whole.
    """

    __slots__ = ("kind", "last", "name", "stamps", "steps", "values")

    def __init__(self, name: str, kind: str) -> None:
        self.name = name
        self.kind = kind
        self.steps: list[float] = []
        self.stamps: list[float] = []
        self.values: list[Any] = []
        self.last = -math.inf

    def take(self) -> tuple[list[float], list[float], list[Any]]:
        """The whole points logged so far, removed; points being appended meanwhile stay."""
        n = len(self.values)
        if not n:
            return [], [], []
        taken = (self.steps[:n], self.stamps[:n], self.values[:n])
        del self.steps[:n], self.stamps[:n], self.values[:n]
        return taken


def take(items: list[Any]) -> list[Any]:
    """Everything in ``items`` now, removed from it; appends racing with this are kept."""
    n = len(items)
    if not n:
        return []
    taken = items[:n]
    del items[:n]
    return taken


def column(values: np.ndarray) -> dict[str, str]:
    data = np.ascontiguousarray(values, dtype="<f8").tobytes()
    return {"dtype": "<f8", "data": base64.b64encode(data).decode("ascii")}


@dataclass
class Drained:
    """One batch body (without its sequence number) and the files to upload after it."""

    body: dict[str, Any] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    points: int = 0


class Buffers:
    """All that one experiment has logged and the worker has not yet taken."""

    def __init__(self) -> None:
        self.numeric: dict[str, SeriesBuffer] = {}
        self.text: dict[str, SeriesBuffer] = {}
        self.ops: list[tuple[Any, ...]] = []

    def drain(self) -> Drained:
        out = Drained()
        metrics = []
        for series in list(self.numeric.values()):
            steps, stamps, values = series.take()
            if values:
                metrics.append(
                    {
                        "name": series.name,
                        "steps": column(np.array(steps, dtype=np.float64)),
                        "values": column(np.array(values, dtype=np.float64)),
                        "timestamps": column(np.array(stamps, dtype=np.float64)),
                    }
                )
                out.points += len(values)
        texts = []
        for series in list(self.text.values()):
            steps, stamps, values = series.take()
            if values:
                texts.append(
                    {"name": series.name, "steps": steps, "values": values, "timestamps": stamps}
                )
                out.points += len(values)
        body: dict[str, Any] = {}
        if metrics:
            body["metrics"] = metrics
        if texts:
            body["texts"] = texts
        self._fold_ops(take(self.ops), body, out)
        out.body = body
        return out

    @staticmethod
    def _fold_ops(ops: list[tuple[Any, ...]], body: dict[str, Any], out: Drained) -> None:
        """Property, tag, image, state and file operations, in call order, into one body."""
        props_set: dict[str, str] = {}
        props_removed: set[str] = set()
        tags_added: dict[str, None] = {}
        tags_removed: set[str] = set()
        images: list[dict[str, Any]] = []
        for op in ops:
            kind = op[0]
            if kind == "set_property":
                props_set[op[1]] = op[2]
                props_removed.discard(op[1])
            elif kind == "remove_property":
                props_set.pop(op[1], None)
                props_removed.add(op[1])
            elif kind == "add_tag":
                tags_added[op[1]] = None
                tags_removed.discard(op[1])
            elif kind == "remove_tag":
                tags_added.pop(op[1], None)
                tags_removed.add(op[1])
            elif kind == "image":
                _, name, step, stamp, data, content_type, image_name, description = op
                images.append(
                    {
                        "name": name,
                        "step": step,
                        "timestamp": stamp,
                        "data": base64.b64encode(data).decode("ascii"),
                        "content_type": content_type,
                        "image_name": image_name,
                        "description": description,
                    }
                )
                out.points += 1
            elif kind == "state":
                body["state"] = op[1]
                if op[2] is not None:
                    body["exception"] = op[2]
            elif kind == "file":
                out.files.append({"kind": op[1], "path": op[2], "source": op[3]})
        if props_set or props_removed:
            body["properties"] = {"set": props_set, "remove": sorted(props_removed)}
        if tags_added or tags_removed:
            body["tags"] = {"add": list(tags_added), "remove": sorted(tags_removed)}
        if images:
            body["images"] = images
