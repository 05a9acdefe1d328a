"""What every normaliser shares: the delivery it reads, the profiles and touchpoints it makes,
and the checks on kinds, times and links."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from enrich import defaults

EARLIEST = datetime.fromisoformat(defaults.EARLIEST_OCCURRED_AT)

KINDS = (
    "follow",
    "unfollow",
    "like",
    "comment",
    "reply",
    "share",
    "quote",
    "mention",
    "dm",
    "lead_form",
)
KIND_ALIASES = {
    "reaction": "like",
    "repost": "share",
    "retweet": "share",
    "direct_message": "dm",
    "favorite": "like",
    "message": "dm",
}


def canonical_kind(kind: str | None, default: str = "mention") -> str:
    kind = (kind or default).strip().lower()
    kind = KIND_ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise ValueError(f"unknown touchpoint kind {kind!r}; expected one of {', '.join(KINDS)}")
    return kind


@dataclass(frozen=True)
class ProfileData:
    platform: str
    platform_user_id: str
    handle: str | None = None
    name: str | None = None
    bio: str | None = None
    location: str | None = None
    url: str | None = None
    website: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class TouchpointData:
    dedupe_key: str
    kind: str
    actor: ProfileData
    occurred_at: datetime
    account: str | None = None
    post_id: str | None = None
    post_url: str | None = None
    post_text: str | None = None
    text: str | None = None
    is_own: bool = False


@dataclass(frozen=True)
class LeadRef:
    """A lead-form response a delivery names: ids only, its answers are read later from the
    platform by a job (enrich/leads/), never inside the webhook request."""

    source: str  # meta, linkedin
    lead_id: str  # Meta leadgen_id; LinkedIn the response URN's last part
    deleted: bool = False  # LinkedIn `leadAction: DELETED`: erase our copy
    account: str | None = None  # our Page / the LinkedIn owner
    form_id: str | None = None
    ad_id: str | None = None


@dataclass
class Normalized:
    touchpoints: list[TouchpointData] = field(default_factory=list)
    leads: list[LeadRef] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # event types we do not use, with why
    errors: list[str] = field(default_factory=list)  # items that could not be read


@dataclass(frozen=True)
class RawEventView:
    """What a normaliser sees of a RawEvent (no ORM object, so normalisers stay pure)."""

    id: int
    source: str
    delivery_id: str
    body: bytes
    received_at: datetime
    account: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)


def parse_time(value: Any, fallback: datetime) -> datetime:
    """ISO-8601 strings, epoch seconds or milliseconds → aware UTC; anything else, or a time
    outside `plausible`, → fallback."""
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
            number = float(value)
            if number > 1e11:  # milliseconds
                number /= 1000
            parsed = datetime.fromtimestamp(number, UTC)
        elif isinstance(value, str) and value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
        else:
            parsed = None
        if parsed is not None and plausible(parsed):
            return parsed
    except (ValueError, OverflowError, OSError):
        pass
    return fallback if fallback.tzinfo else fallback.replace(tzinfo=UTC)


def plausible(when: datetime) -> bool:
    """Whether an aware time can be when a touchpoint happened (and fits every database)."""
    try:
        utc = when.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 has no UTC datetime
        return False
    return EARLIEST <= utc <= datetime.now(UTC) + timedelta(seconds=defaults.MAX_CLOCK_AHEAD_S)


_HTTP = re.compile(r"https?://[^\s/?#]", re.IGNORECASE)
_BARE_HOST = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?:[/?#]\S*)?")


def web_url(value: str | None) -> str | None:
    """A link enrich may render: http(s) only (a bare host gets https://); `javascript:`,
    `data:` and every other scheme are dropped, whatever their case or hidden whitespace."""
    if not value:
        return None
    value = value.strip()
    if any(ord(c) < 33 for c in value):
        return None
    if _HTTP.match(value):
        return value
    return f"https://{value}" if _BARE_HOST.fullmatch(value) else None


def website_text(value: str | None) -> str | None:
    """A website as matching evidence: kept as given (a bare domain is evidence too) unless it
    names a scheme other than http(s)."""
    if not value:
        return None
    return value if web_url(value) or "://" not in value and ":" not in value else None
