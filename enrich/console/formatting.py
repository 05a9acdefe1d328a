"""How the console writes times, scores, amounts and scoring rules for people, as Jinja filters.

One place for each, so a score reads the same on every page and in the CRM (28, not 28.5 on
one page and 28 on the next), and a time reads "today 15:15" with its exact UTC value a hover
away instead of ``2026-12-07T15:15:23.514022+00:00``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint
from markupsafe import Markup, escape

from enrich.scoring.score import round_score

KINDS = {
    "like": "likes",
    "comment": "comments",
    "share": "shares",
    "dm": "direct messages",
    "follow": "follows",
    "unfollow": "unfollows",
    "reply": "replies",
    "quote": "quotes",
    "mention": "mentions",
    "lead_form": "lead forms",
}


def _datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, str) and value:
        try:
            found = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def human_time(value: Any, now: datetime | None = None) -> str:
    """'3 min ago', 'today 15:15', 'yesterday 09:02', 'Mon 14:10', '3 Dec 2026' (UTC)."""
    moment = _datetime(value)
    if moment is None:
        return "—" if not value else str(value)
    moment = moment.astimezone(UTC)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    ago = now - moment
    if timedelta(0) <= ago < timedelta(minutes=1):
        return "just now"
    if timedelta(0) <= ago < timedelta(hours=1):
        return f"{int(ago.total_seconds() // 60)} min ago"
    days = (now.date() - moment.date()).days
    clock = moment.strftime("%H:%M")
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"yesterday {clock}"
    if 1 < days < 7:
        return f"{moment.strftime('%a')} {clock}"
    return f"{moment.day} {moment.strftime('%b %Y')}"


def when(value: Any) -> Markup:
    """A `<time>` element: the human text, the exact UTC time on hover and for machines."""
    moment = _datetime(value)
    if moment is None:
        return Markup(escape(human_time(value)))
    exact = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return Markup(
        f'<time datetime="{escape(moment.isoformat())}" title="{exact}">'
        f"{escape(human_time(moment))}</time>"
    )


def score(value: Any) -> str:
    """The score as the CRM shows it (rounded half up, as `enrich.scoring` writes it)."""
    if value is None or value == "":
        return "—"
    try:
        return str(round_score(float(value)))
    except (TypeError, ValueError):
        return str(value)


def money(value: Any, currency: str | None = None) -> str:
    """'48,000 USD' / '$48,000': thousands separated, no cents on round amounts."""
    if value is None or value == "":
        return ""
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{amount:,.0f}" if amount == int(amount) else f"{amount:,.2f}"
    code = (currency or "").upper()
    if code in ("", "USD"):
        return f"${text}"
    return f"{text} {code}"


def number(value: Any) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def rule_label(rule: str, notes: dict[str, str] | None = None) -> str:
    """A scoring rule as RevOps reads it: 'points.comment' -> 'comments', 'fit.vp' -> the fit
    rule's own label ('VP title')."""
    family, _, name = rule.partition(".")
    if family == "points":
        return KINDS.get(name, name)
    if family == "fit":
        label = (notes or {}).get(rule, "")
        return label.split(" (")[0] if label else name.replace("-", " ")
    if rule == "negative_phrase":
        return "negative phrases"
    return rule.replace("_", " ")


def fit_notes(breakdown: Any) -> dict[str, str]:
    """rule -> the note the scorer stored with it (a fit rule's label and the field it read)."""
    lines = breakdown.get("contributions", []) if isinstance(breakdown, dict) else []
    return {
        str(c["rule"]): str(c["note"])
        for c in lines
        if isinstance(c, dict) and c.get("note") and str(c.get("rule", "")).startswith("fit.")
    }


def register(bp: Blueprint) -> None:
    for name, function in (
        ("when", when),
        ("score", score),
        ("money", money),
        ("number", number),
        ("rule_label", rule_label),
    ):
        bp.add_app_template_filter(function, name)
