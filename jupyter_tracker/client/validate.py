"""Call-site checks: bad input raises TypeError or ValueError naming the series, at once."""

from __future__ import annotations

import math
import numbers
import re
from typing import Any

# What the tracker takes; a batch holding anything beyond is refused whole, so every string
# is checked here, where the caller still learns of it.
MAX_NAME = 255
MAX_TEXT = 1 << 20  # characters of a text point or of an exception
MAX_PROPERTY = 100_000
MAX_PARAM_TEXT = 10_000
MAX_DESCRIPTION = 100_000
MAX_PATH = 1024
_CONTROL = re.compile(r"[\x00-\x1f]")


def _unicode(value: str, what: str) -> None:
    """Refuse lone surrogates (from bytes decoded with ``surrogateescape``, say): they have no
    UTF-8 form, so no server can store them."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} is not valid Unicode: it holds a lone surrogate") from None


def name(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{what} must not be empty")
    if len(value) > MAX_NAME or _CONTROL.search(value):
        raise ValueError(f"{what} {value[:40]!r} is too long or has control characters")
    _unicode(value, f"{what} {value[:40]!r}")
    return value


def string(value: Any, what: str, limit: int) -> str:
    """Free text (a property value, a description): no NUL, valid Unicode, within ``limit``."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")
    if "\x00" in value:
        raise ValueError(f"{what} must not contain NUL characters")
    if len(value) > limit:
        raise ValueError(f"{what} is longer than {limit} characters")
    _unicode(value, what)
    return value


def safe_text(value: Any, limit: int = MAX_TEXT) -> str:
    """Text that must get through as well as it can (a traceback, a captured line): NUL
    dropped, lone surrogates replaced, and cut in the middle to at most ``limit``."""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if len(text) <= limit:
        return text
    keep = limit - 100
    head = keep // 2
    marker = f"\n[... {len(text) - keep} characters cut ...]\n"
    return text[:head] + marker + text[len(text) - (keep - head) :]


def file_path(value: Any, what: str) -> str:
    """Where a file goes in the run: a relative POSIX path, as the tracker stores it."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")
    parts = value.split("/")
    if (
        not value
        or len(value) > MAX_PATH
        or value.startswith("/")
        or "\\" in value
        or _CONTROL.search(value)
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise ValueError(
            f"{what} {value[:40]!r} must be a relative path like 'dir/file.txt' without"
            " '.', '..' or empty parts, backslashes or control characters"
        )
    _unicode(value, f"{what} {value[:40]!r}")
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
    if len(value) > MAX_TEXT:
        raise ValueError(f"series '{series}': text is longer than {MAX_TEXT} characters")
    _unicode(value, f"series '{series}': text")
    return value


def param(key: str, value: Any) -> bool | int | float | str | None:
    if isinstance(value, str):
        return string(value, f"parameter '{key}'", MAX_PARAM_TEXT)
    if value is None or isinstance(value, bool | int | float):
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
    return {name(k, "property name"): property_value(k, v) for k, v in values.items()}


def property_value(key: str, value: Any) -> str:
    """Properties are text: other values are stored as ``str(value)``."""
    return string(str(value), f"property '{key}'", MAX_PROPERTY)


def tags(values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, list | tuple | set):
        raise TypeError("tags must be a list of strings")
    return [name(t, "tag") for t in values]
