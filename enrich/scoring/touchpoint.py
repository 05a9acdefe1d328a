"""The input of scoring: one thing a person did that involved us on a social platform.

The normalizer turns webhook payloads into :class:`Touchpoint` values; scoring never sees a
platform payload. Platform words are folded into one vocabulary here (a LinkedIn
"reaction" is a ``like``, a "repost" is a ``share``) so rules are written once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from enrich.errors import InputError


class Kind(StrEnum):
    """What the person did."""

    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    LIKE = "like"
    COMMENT = "comment"
    REPLY = "reply"
    SHARE = "share"
    QUOTE = "quote"
    MENTION = "mention"
    DM = "dm"
    LEAD_FORM = "lead_form"  # a lead-gen form filled in: the person raised their hand

    @classmethod
    def parse(cls, value: str | Kind) -> Kind:
        """Accept a kind or a platform synonym ("reaction", "repost", "retweet", "message")."""
        known = _KINDS.get(value) if isinstance(value, str) else None  # the common case
        if known is not None:
            return known
        key = str(value).strip().lower()
        try:
            return cls(_KIND_ALIASES.get(key, key))
        except ValueError:
            raise InputError(
                f"unknown touchpoint kind {value!r}; use one of {', '.join(k.value for k in cls)}"
            ) from None


class Platform(StrEnum):
    """Where it happened."""

    X = "x"
    LINKEDIN = "linkedin"
    INSTAGRAM = "instagram"
    FACEBOOK = "facebook"
    OTHER = "other"

    @classmethod
    def parse(cls, value: str | Platform) -> Platform:
        """Accept a platform or a common spelling ("twitter", "LinkedIn"); unknown -> other."""
        known = _PLATFORMS.get(value) if isinstance(value, str) else None
        if known is not None:
            return known
        key = str(value).strip().lower()
        key = _PLATFORM_ALIASES.get(key, key)
        return cls(key) if key in cls._value2member_map_ else cls.OTHER

    @property
    def label(self) -> str:
        return _PLATFORM_LABELS[self]


_KIND_ALIASES = {
    "reaction": "like",
    "favorite": "like",
    "favourite": "like",
    "repost": "share",
    "retweet": "share",
    "quote_tweet": "quote",
    "direct_message": "dm",
    "message": "dm",
}
_PLATFORM_ALIASES = {"twitter": "x", "fb": "facebook", "ig": "instagram", "li": "linkedin"}
_KINDS = {**{k.value: k for k in Kind}, **{a: Kind(k) for a, k in _KIND_ALIASES.items()}}
_PLATFORMS = {
    **{p.value: p for p in Platform},
    **{a: Platform(p) for a, p in _PLATFORM_ALIASES.items()},
}
_PLATFORM_LABELS = {
    Platform.X: "X",
    Platform.LINKEDIN: "LinkedIn",
    Platform.INSTAGRAM: "Instagram",
    Platform.FACEBOOK: "Facebook",
    Platform.OTHER: "other platforms",
}


@dataclass(frozen=True, slots=True)
class Touchpoint:
    """One interaction of one person with us.

    ``id`` is the dedupe key (the same id twice counts once). ``text`` is what the person
    wrote (comment, reply, quote, mention, DM); ``post_text`` is our post they engaged with.
    ``replied_to_us`` marks an answer to something we said to them (a conversation).
    ``kind`` and ``platform`` also accept their string spellings.
    """

    id: str
    kind: Kind
    platform: Platform
    occurred_at: datetime
    text: str = ""
    post_text: str = ""
    replied_to_us: bool = False

    def __post_init__(self) -> None:
        if not self.id:
            raise InputError("touchpoint id (the dedupe key) must not be empty")
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise InputError(
                f"touchpoint {self.id}: occurred_at must be timezone-aware "
                f"(got naive {self.occurred_at.isoformat()}); attach UTC"
            )
        # Frozen: coercion of the string spellings has to go through object.__setattr__.
        object.__setattr__(self, "kind", Kind.parse(self.kind))
        object.__setattr__(self, "platform", Platform.parse(self.platform))
        object.__setattr__(self, "text", self.text or "")
        object.__setattr__(self, "post_text", self.post_text or "")


def canonical(
    touchpoints: Iterable[Touchpoint], *, as_of: datetime | None = None
) -> list[Touchpoint]:
    """Touchpoints deduplicated by ``id``, sorted by (occurred_at, id), none after ``as_of``.

    Everything downstream iterates this order, so the result (down to float rounding) does
    not depend on the order in which touchpoints arrived. When two deliveries share an id,
    the earliest one wins (ties broken by content), again independently of arrival order.
    """
    chosen: dict[str, Touchpoint] = {}
    for tp in touchpoints:
        if as_of is not None and tp.occurred_at > as_of:
            continue  # not yet happened "as of" then: a recompute for a past date ignores it
        seen = chosen.get(tp.id)
        if seen is None or _tiebreak(tp) < _tiebreak(seen):
            chosen[tp.id] = tp
    return sorted(chosen.values(), key=_order)


def _order(tp: Touchpoint) -> tuple[datetime, str]:
    return (tp.occurred_at, tp.id)


def _tiebreak(tp: Touchpoint) -> tuple[datetime, str, str, str, str, bool]:
    return (
        tp.occurred_at,
        tp.kind.value,
        tp.platform.value,
        tp.text,
        tp.post_text,
        tp.replied_to_us,
    )
