"""Errors console and API actions raise on purpose; each maps to one HTTP status."""

from __future__ import annotations

from typing import TypeGuard

from enrich.errors import InputError


class NotFound(InputError):
    """The link, record, profile, token or version named does not exist (404)."""


class Conflict(InputError):
    """The thing changed under the caller, e.g. a link someone already decided (409)."""


class Invalid(InputError):
    """The request is well-formed but its content is refused, e.g. invalid rules (422)."""


MAX_ID = 2**63 - 1  # the largest id a BIGINT (and SQLite's INTEGER) holds


def is_id(value: object) -> TypeGuard[int]:
    """A database id as JSON gives it: an int (not a bool) in 1..MAX_ID."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
