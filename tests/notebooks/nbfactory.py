"""Small notebooks for the tests of ``jupyter_tracker.notebooks``."""

from __future__ import annotations

from typing import Any


def code(
    source: str | list[str],
    count: int | None = None,
    outputs: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": count,
        "metadata": {},
        "outputs": outputs or [],
        "source": source,
        **extra,
    }


def markdown(source: str, **extra: Any) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source, **extra}


def notebook(*cells: dict[str, Any], minor: int = 5, **metadata: Any) -> dict[str, Any]:
    return {"cells": list(cells), "metadata": metadata, "nbformat": 4, "nbformat_minor": minor}


def stream(text: str | list[str], name: str = "stdout") -> dict[str, Any]:
    return {"name": name, "output_type": "stream", "text": text}


def display(data: dict[str, Any]) -> dict[str, Any]:
    return {"data": data, "metadata": {}, "output_type": "display_data"}
