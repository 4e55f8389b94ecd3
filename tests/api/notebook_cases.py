"""Notebooks for the checkpoint and diff tests, and a check of replies against openapi.json."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from api_client import Api, assert_ok
from jsonschema import Draft202012Validator

import jupyter_tracker.server

DOCUMENT = json.loads(
    (Path(jupyter_tracker.server.__file__).parent / "openapi.json").read_text(encoding="utf-8")
)
NOTEBOOK_ID = "1b4e28ba-2fa1-4d2e-883f-0016d3cca427"
OTHER_ID = "9f0e8d7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b"


def notebook(
    *sources: str,
    counts: list[int | None] | None = None,
    notebook_id: str | None = None,
    outputs: list[list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """A notebook of code cells with ids ``c1``, ``c2``...; sources as the browser sends them
    (one string each)."""
    cells = []
    for i, source in enumerate(sources):
        cells.append(
            {
                "cell_type": "code",
                "id": f"c{i + 1}",
                "source": source,
                "metadata": {},
                "outputs": outputs[i] if outputs else [],
                "execution_count": counts[i] if counts else None,
            }
        )
    metadata: dict[str, Any] = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    if notebook_id is not None:
        metadata["jupyter_tracker"] = {"notebook_id": notebook_id}
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def body(nb: dict[str, Any]) -> bytes:
    return json.dumps(nb).encode()


def on_disk(nb: dict[str, Any]) -> dict[str, Any]:
    """``nb`` as nbformat writes it: multi-line strings split into lines."""
    out = copy.deepcopy(nb)
    for cell in out["cells"]:
        cell["source"] = cell["source"].splitlines(True)
    return out


def canonical(nb: dict[str, Any]) -> bytes:
    """The bytes the tracker stores for ``nb`` (nbformat's layout, sorted keys, UTF-8)."""
    text = json.dumps(on_disk(nb), indent=1, sort_keys=True, ensure_ascii=False)
    return (text + "\n").encode()


async def upload(
    api: Api, path: str, data: dict[str, Any] | bytes, status: int = 201, **params: Any
) -> dict[str, Any]:
    """Post a checkpoint that must be answered with ``status``; the reply, checked against the
    document."""
    raw = data if isinstance(data, bytes) else body(data)
    reply = await api.request(
        "POST", "/notebooks/checkpoints", body=raw, params={"path": path, **params}
    )
    result: dict[str, Any] = assert_ok(reply, status)
    check_schema("CheckpointCreated", result)
    assert result["created"] is (status == 201), result
    return result


async def checkpoints(api: Api, **params: Any) -> list[dict[str, Any]]:
    listing = assert_ok(await api.get("/notebooks/checkpoints", params=params))
    check_schema("CheckpointList", listing)
    items: list[dict[str, Any]] = listing["checkpoints"]
    return items


def check_schema(name: str, instance: Any) -> None:
    """``instance`` is valid by the schema ``name`` of openapi.json."""
    root = {"$ref": f"#/components/schemas/{name}", "components": DOCUMENT["components"]}
    validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(instance), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
