"""Rules for names, keys and paths that every entry point shares."""

from __future__ import annotations

import math
import posixpath
import re
import uuid

from .errors import Invalid

MAX_NAME = 255
MAX_TEXT = 1 << 20
_PROJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(/[A-Za-z0-9][A-Za-z0-9._-]{0,63})?$")
_RUN_ID = re.compile(r"^([A-Z][A-Z0-9]{0,15})-([1-9][0-9]{0,9})$")
_CLIENT_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_KERNEL_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def project_name(value: object, field: str = "project") -> str:
    if not isinstance(value, str) or not _PROJECT.match(value):
        raise Invalid(
            f"{field} must be 'name' or 'namespace/name' of letters, digits, '.', '_' or '-'",
            field=field,
        )
    return value


def run_id(value: str) -> tuple[str, int]:
    m = _RUN_ID.match(value)
    if not m:
        raise Invalid(f"'{value[:40]}' is not a run id like SAN-42", field="run_id")
    return m.group(1), int(m.group(2))


def client_key(value: object, field: str = "client_key") -> str | None:
    """``None``, or 8 to 64 letters, digits, '_' or '-' (a uuid4 hex, say)."""
    if value is None:
        return None
    if not isinstance(value, str) or not _CLIENT_KEY.fullmatch(value):
        raise Invalid(f"{field} must be 8 to 64 letters, digits, '_' or '-'", field=field)
    return value


def kernel_id(value: object, field: str = "kernel_id") -> str | None:
    """``None``, or a Jupyter kernel id: 1 to 64 letters, digits or '-'."""
    if value is None:
        return None
    if not isinstance(value, str) or not _KERNEL_ID.fullmatch(value):
        raise Invalid(f"{field} must be 1 to 64 letters, digits or '-'", field=field)
    return value


def name(value: object, field: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a string", field=field)
    if not value.strip() and not allow_empty:
        raise Invalid(f"{field} must not be empty", field=field)
    if len(value) > MAX_NAME:
        raise Invalid(f"{field} is longer than {MAX_NAME} characters", field=field)
    if any(ord(c) < 32 for c in value):
        raise Invalid(f"{field} must not contain control characters", field=field)
    return value


def text(value: object, field: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a string", field=field)
    if len(value) > limit:
        raise Invalid(f"{field} is longer than {limit} characters", field=field)
    return value


def param_value(value: object, field: str) -> bool | int | float | str | None:
    if value is None or isinstance(value, bool | int | str):
        if isinstance(value, str):
            text(value, field, 10_000)
        return value
    if isinstance(value, float):
        return value
    raise Invalid(f"{field} must be a number, string, boolean or null", field=field)


def param_columns(value: bool | int | float | str | None) -> tuple[float | None, str | None]:
    """The numeric and text forms a parameter is compared and sorted by."""
    if isinstance(value, bool):
        return float(value), str(value).lower()
    if isinstance(value, int | float):
        number = float(value)
        return (number if not math.isnan(number) else None), None
    if isinstance(value, str):
        return None, value
    return None, None


def file_path(value: object, field: str = "path") -> str:
    """A relative POSIX path with no '..', no empty parts and no control characters."""
    if not isinstance(value, str) or not value:
        raise Invalid(f"{field} must be a non-empty relative path", field=field)
    if len(value) > 1024 or any(ord(c) < 32 for c in value) or "\\" in value:
        raise Invalid(f"{field} has forbidden characters or is too long", field=field)
    if value.startswith("/"):
        raise Invalid(f"{field} must be relative, not absolute", field=field)
    parts = value.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise Invalid(f"{field} must not contain empty, '.' or '..' parts", field=field)
    return posixpath.normpath(value)


MAX_EXECUTION_COUNT = 2**31 - 1


def notebook_uid(value: object, field: str = "notebook_id") -> str | None:
    """``None``, or a notebook id: a UUID (36 characters), kept in its lowercase form."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 36:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise Invalid(f"{field} must be a UUID like 1b4e28ba-2fa1-4d2e-883f-0016d3cca427", field=field)


def cell_id(value: object, field: str = "notebook_cell_id") -> str | None:
    """``None``, or a notebook cell id: 1 to 255 characters, no control characters."""
    if value is None:
        return None
    return name(value, field)


def execution_count(value: object, field: str = "notebook_execution_count") -> int | None:
    """``None``, or an execution count: an integer from 0 to 2**31 - 1."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{field} must be an integer", field=field)
    if not 0 <= value <= MAX_EXECUTION_COUNT:
        raise Invalid(f"{field} must be from 0 to {MAX_EXECUTION_COUNT}", field=field)
    return value
