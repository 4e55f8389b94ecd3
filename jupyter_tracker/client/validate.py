"""Call-site checks: bad input raises TypeError or ValueError naming the series, at once."""

from __future__ import annotations

import math
import numbers
import re
from typing import Any

MAX_NAME = 255
_CONTROL = re.compile(r"[\x00-\x1f]")


def name(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{what} must not be empty")
    if len(value) > MAX_NAME or _CONTROL.search(value):
        raise ValueError(f"{what} {value[:40]!r} is too long or has control characters")
    return value


def number(series: str, label: str, value: Any) -> float:
    """A float from an int, float or numpy number; bools and strings are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"series '{series}': {label} must be a number, not {type(value).__name__}"
            f" ({str(value)[:40]!r})"
        )
    return float(value)


def timestamp(series: str, value: Any) -> float:
    """Unix seconds; the tracker refuses a batch holding a non-finite one."""
    stamp = number(series, "timestamp", value)
    if not math.isfinite(stamp):
        raise ValueError(f"series '{series}': timestamp must be finite, not {stamp}")
    return stamp


def step(series: str, value: Any, last: float) -> float:
    x = number(series, "x", value)
    if not math.isfinite(x):
        raise ValueError(f"series '{series}': x must be finite, not {x}")
    if x < last:
        raise ValueError(f"series '{series}': x must not decrease; it was {last:g}, now {x:g}")
    return x


def text(series: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"series '{series}': y must be a string, not {type(value).__name__}")
    if "\x00" in value:
        raise ValueError(f"series '{series}': text must not contain NUL characters")
    return value


def param(key: str, value: Any) -> bool | int | float | str | None:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(
        f"parameter '{key}' must be a number, string, boolean or None, not {type(value).__name__}"
    )


def params(values: Any) -> dict[str, bool | int | float | str | None]:
    if values is None:
        return {}
    if hasattr(values, "__dict__") and not isinstance(values, dict):
        values = vars(values)  # an argparse.Namespace, as neptune accepted
    if not isinstance(values, dict):
        raise TypeError(f"params must be a dict, not {type(values).__name__}")
    return {name(k, "parameter name"): param(k, v) for k, v in values.items()}


def properties(values: Any) -> dict[str, str]:
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise TypeError(f"properties must be a dict, not {type(values).__name__}")
    return {name(k, "property name"): str(v) for k, v in values.items()}


def tags(values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, list | tuple | set):
        raise TypeError("tags must be a list of strings")
    return [name(t, "tag") for t in values]
