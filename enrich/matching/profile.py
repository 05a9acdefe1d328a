"""The two sides of a match, as plain values: a social ``Profile`` and a CRM ``Person``.

They carry raw strings exactly as received; every cleaning step lives in ``normalize``
so that an explanation can always quote what the rep would see. Field names here are
the vocabulary that rule files use (``left`` = profile fields, ``right`` = person fields).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["PERSON_FIELDS", "PROFILE_FIELDS", "Person", "Profile"]


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


PROFILE_FIELDS: frozenset[str] = frozenset(f.name for f in fields(Profile)) - {"key"}
PERSON_FIELDS: frozenset[str] = frozenset(f.name for f in fields(Person)) - {"id"}
