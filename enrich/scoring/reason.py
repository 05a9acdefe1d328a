"""The short reason a sales rep reads next to a score (at most 255 characters).

Built from a score's contributions, most valuable first, e.g.
"3 comments on Cloud security posts this week; 4 likes this month; follows us on LinkedIn;
C-level title". Only what actually added points is mentioned (a like fully eaten by the
daily cap is not), plus negative signals, which a rep must see.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from enrich.scoring.decay import age_days
from enrich.scoring.taxonomy import Taxonomy
from enrich.scoring.touchpoint import Kind, Platform

if TYPE_CHECKING:
    from enrich.scoring.score import Contribution

MAX_REASON = 255  # Salesforce/HubSpot short text fields
_NOUNS = {
    Kind.LIKE: ("like", "likes"),
    Kind.COMMENT: ("comment", "comments"),
    Kind.REPLY: ("reply", "replies"),
    Kind.SHARE: ("share", "shares"),
    Kind.QUOTE: ("quote", "quotes"),
    Kind.MENTION: ("mention", "mentions"),
    Kind.DM: ("DM", "DMs"),
    Kind.FOLLOW: ("follow", "follows"),
    Kind.UNFOLLOW: ("unfollow", "unfollows"),
    Kind.LEAD_FORM: ("lead form", "lead forms"),
}
# Engagement with one of our posts reads "on X posts"; a message to us reads "about X".
_ON_POSTS = {Kind.LIKE, Kind.COMMENT, Kind.SHARE, Kind.QUOTE}
# Older than four half-lives a touchpoint keeps under 7% of its points: not worth a rep's
# attention when there are fresher ones of the same kind.
_RECENT_DECAY = 1 / 16


def explain(
    contributions: Sequence[Contribution],
    as_of: datetime,
    taxonomy: Taxonomy,
    *,
    follows: Mapping[Platform, bool] | None = None,
    topic: str | None = None,
) -> str:
    """A reason string for these contributions; ``topic`` set means a per-topic score."""
    parts: list[tuple[float, str]] = []
    by_kind: dict[Kind, list[Contribution]] = {}
    for c in contributions:
        if c.kind is None:
            continue
        if c.rule == "negative_phrase":
            channel = _NOUNS[c.kind][0]
            parts.append(
                (abs(c.points) + 1e6, f'said "{c.note}" in a {channel} {_window(c, as_of)}')
            )
        elif c.base > 0 and c.kind not in (Kind.FOLLOW, Kind.UNFOLLOW):
            # Capped touchpoints are still counted: "10 likes" is what happened, the cap
            # only limits what they are worth.
            by_kind.setdefault(c.kind, []).append(c)
    for kind, all_items in by_kind.items():
        value = sum(c.points for c in all_items)
        if value <= 0:
            continue
        items = [c for c in all_items if c.decay >= _RECENT_DECAY] or all_items
        singular, plural = _NOUNS[kind]
        text = f"{len(items)} {singular if len(items) == 1 else plural}"
        label = taxonomy.label(topic) if topic else _dominant_topic(items, taxonomy)
        if label and topic is None:
            text += f" on {label} posts" if kind in _ON_POSTS else f" about {label}"
        oldest = min(items, key=lambda c: c.occurred_at or as_of)
        text += f" {_window(oldest, as_of)}"
        parts.append((value, text))
    parts.sort(key=lambda p: -p[0])
    texts = [t for _, t in parts]

    if topic is None and follows:
        following = [p.label for p, f in sorted(follows.items()) if f]
        unfollowed = [p.label for p, f in sorted(follows.items()) if not f]
        if following:
            texts.append("follows us on " + " and ".join(following))
        if unfollowed:
            texts.append("unfollowed us on " + " and ".join(unfollowed))
    fit = [c.note.split(" (", 1)[0] for c in contributions if c.rule.startswith("fit.")]
    if fit:
        texts.append(", ".join(fit))
    return _join(texts) or "no recent social engagement"


def _dominant_topic(items: Sequence[Contribution], taxonomy: Taxonomy) -> str:
    # Name a topic only when it covers at least half of the touchpoints, else it misleads.
    counts = Counter(t for c in items for t in c.topics)
    if not counts:
        return ""
    best, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return taxonomy.label(best) if 2 * n >= len(items) else ""


def _window(oldest: Contribution, as_of: datetime) -> str:
    days = age_days(oldest.occurred_at, as_of) if oldest.occurred_at else 0.0
    if days <= 1:
        return "today"
    if days <= 7:
        return "this week"
    if days <= 31:
        return "this month"
    months = int(days // 30.4) + 1
    return (
        f"in the last {months} months"
        if months < 24
        else f"in the last {int(days // 365) + 1} years"
    )


def _join(texts: list[str]) -> str:
    out = ""
    for text in texts:
        candidate = f"{out}; {text}" if out else text
        if len(candidate) > MAX_REASON:
            if not out:  # a single over-long part (a huge label): cut it
                return text[: MAX_REASON - 1] + "…"
            break
        out = candidate
    return out
