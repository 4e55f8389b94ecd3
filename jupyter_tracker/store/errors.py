"""Typed domain errors raised by the store; the server maps each to one HTTP status."""

from __future__ import annotations


class TrackerError(Exception):
    """Base class of every error the store raises on purpose.

    ``field`` names the piece of input at fault, when there is one, so that callers can say
    exactly what to fix.
    """

    status = 500

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(TrackerError):
    """The input is malformed or breaks a rule (400)."""

    status = 400


class Unauthenticated(TrackerError):
    """No valid credentials were given (401)."""

    status = 401


class Forbidden(TrackerError):
    """The caller is known but may not do this (403)."""

    status = 403


class NotFound(TrackerError):
    """The named thing does not exist, or the caller may not see it (404)."""

    status = 404


class Conflict(TrackerError):
    """The request clashes with what is stored (409)."""

    status = 409
