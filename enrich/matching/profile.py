"""The two sides of a match, as plain values: a social ``Profile`` and a CRM ``Person``.

They carry raw strings exactly as received; every cleaning step lives in ``normalize``
so that an explanation can always quote what the rep would see. Field names here are
the vocabulary that rule files use (``left`` = profile fields, ``right`` = person fields).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cache
from operator import attrgetter

__all__ = [
    "EXTRA_PREFIX",
    "PERSON_FIELDS",
    "PROFILE_FIELDS",
    "Person",
    "Profile",
    "field_getter",
    "is_field",
]

# Any other column a rule wants to compare ("extra.postcode") travels in ``extra``.
EXTRA_PREFIX = "extra."
Extra = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Profile:
    """A social profile seen on a platform (or any "left" record of a CSV)."""

    key: str
    platform: str = ""
    user_id: str = ""
    handle: str = ""
    display_name: str = ""
    bio: str = ""
    location: str = ""
    url: str = ""
    website: str = ""
    email: str = ""
    extra: Extra = ()  # (name, value) pairs of fields named "extra.<name>" in rules


@dataclass(frozen=True, slots=True)
class Person:
    """A CRM contact or lead from the local mirror (or any "right" record of a CSV).

    ``full_name`` is for sources that only have one name column; it is parsed like a
    display name when ``first_name`` and ``last_name`` are both empty.
    """

    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    company: str = ""
    title: str = ""
    city: str = ""
    country: str = ""
    linkedin_url: str = ""
    twitter_handle: str = ""
    owner: str = ""
    full_name: str = ""
    phone: str = ""
    # What the survivor rule reads when one person is in the CRM twice (``duplicates``):
    # "contact" or "lead", and when the record last changed (ISO 8601).
    record_type: str = ""
    modified_at: str = ""
    # Other names of the company (a renamed company's former name or new brand), ";" between
    # them: a CRM field RevOps map (``right.columns.former_names``); the mirror has none.
    former_names: str = ""
    extra: Extra = ()  # (name, value) pairs of fields named "extra.<name>" in rules


PROFILE_FIELDS: frozenset[str] = frozenset(f.name for f in fields(Profile)) - {"key", "extra"}
PERSON_FIELDS: frozenset[str] = frozenset(f.name for f in fields(Person)) - {"id", "extra"}


def is_field(name: str, known: frozenset[str]) -> bool:
    """A named field of the record type, or an ``extra.<name>`` field."""
    return name in known or (name.startswith(EXTRA_PREFIX) and len(name) > len(EXTRA_PREFIX))


@cache
def field_getter(name: str) -> Callable[[Profile | Person], str]:
    """Reads one field (``first_name`` or ``extra.postcode``) of a record; "" if absent."""
    if not name.startswith(EXTRA_PREFIX):
        return attrgetter(name)
    key = name[len(EXTRA_PREFIX) :]

    def extra(record: Profile | Person) -> str:
        for k, v in record.extra:  # a loop, not next(genexpr): hot when indexing
            if k == key:
                return v
        return ""

    return extra
