"""What the social card on a CRM record shows: one JSON document, the same for HubSpot's app
card, Salesforce's Lightning component and the development preview page.

A contact or lead: score with a 90-day trend and its three strongest reasons, top interests,
the last five touchpoints (platform, kind, excerpt, post link), the linked social profiles with
the strongest evidence for each link, and the one line "why we think this is them".
An account: account score with its trend, engaged people with their titles, touchpoints per
week, and the open opportunities its people touched on social media in the window.
A record enrich does not know, or knows nothing social about: "No social activity yet".

Everything comes from enrich's own tables (no CRM call): the stored Score (what the CRM field
shows), and a trend recomputed from the same contributions the scorer counts, decayed to each
weekly point (`series`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from enrich.models import (
    CrmRecord,
    IdentityLink,
    Interest,
    LinkStatus,
    Score,
    SocialProfile,
    Touchpoint,
)
from enrich.normalize import web_url
from enrich.scoring import rollup_account
from enrich.scoring.active import scorer_cache
from enrich.scoring.decay import age_days, decay_factor
from enrich.scoring.score import PersonScore, round_score
from enrich.services.people import record_summary
from enrich.touchpoints import to_scoring, touchpoints_of

EMPTY = "No social activity yet"
WINDOW_DAYS = 90
WEEKS = 13  # 13 weekly points span the 90-day window
REASONS = 3
INTERESTS = 3
TOUCHPOINTS = 5
EXCERPT = 140  # characters: two lines at 300 px
# An account's trend recomputes each person's series; past this many (by score) the rest
# count at their stored score, so one huge account cannot make the card slow.
ACCOUNT_SERIES_PEOPLE = 25
ENGAGED_SHOWN = 10
PERSON_TYPES = ("contact", "lead")
CARD_TYPES = (*PERSON_TYPES, "account")


@dataclass(frozen=True)
class RecordRef:
    """The record a CRM asks about: its CRM, its id there and, when the CRM says, its type."""

    crm: str
    crm_id: str
    object_type: str | None = None


def find(session: Session, ref: RecordRef) -> CrmRecord | None:
    types = (ref.object_type,) if ref.object_type else CARD_TYPES
    return session.exec(
        select(CrmRecord).where(
            CrmRecord.crm == ref.crm,
            col(CrmRecord.object_type).in_(types),
            CrmRecord.crm_id == ref.crm_id,
            col(CrmRecord.deleted).is_(False),
        )
    ).first()


def card(session: Session, ref: RecordRef, now: datetime | None = None) -> dict[str, Any]:
    """The card for one CRM record (never None: an unknown record has an empty card)."""
    now = now or datetime.now(UTC)
    record = find(session, ref)
    if record is None:
        return empty(ref, None)
    if record.object_type == "account":
        return account_card(session, record, now)
    return person_card(session, record, now)


def empty(ref: RecordRef, record: CrmRecord | None) -> dict[str, Any]:
    return {
        "kind": record.object_type if record else ref.object_type or "unknown",
        "record": _record(record) if record else {"crm": ref.crm, "crm_id": ref.crm_id},
        "empty": True,
        "message": EMPTY,
    }


def _record(record: CrmRecord) -> dict[str, Any]:
    summary = record_summary(record)
    if record.object_type == "account":  # an account's name is its company
        summary["name"] = record.company or summary["name"]
    return {
        key: summary[key]
        for key in ("id", "crm", "object_type", "crm_id", "name", "company", "title")
    }


def weekly_points(now: datetime) -> list[datetime]:
    """The trend's x axis: UTC midnights a week apart over the window, then now. Midnights,
    so each point counts whole days and the daily caps come out as the scorer's."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return [midnight - timedelta(weeks=k) for k in range(WEEKS - 1, -1, -1)] + [now]


def series(person: PersonScore, points: Sequence[datetime], half_life_days: float) -> list[float]:
    """The person's score at each point, from the contributions scored as of the last point:
    what a touchpoint counted (after its day's cap) decays from when it happened; fit points
    from CRM fields count throughout."""
    fit = sum(c.points for c in person.overall.contributions if c.occurred_at is None)
    lines = [
        (c.occurred_at, c.counted)
        for c in person.overall.contributions
        if c.occurred_at is not None
    ]
    out = []
    for at in points:
        total = fit + sum(
            counted * decay_factor(age_days(when, at), half_life_days)
            for when, counted in lines
            if when <= at
        )
        out.append(round(max(0.0, total), 2))
    return out


def _score_now(
    session: Session, record: CrmRecord, tps: list[Touchpoint], now: datetime
) -> PersonScore:
    scorer = scorer_cache.get(session)
    fields = {
        "title": record.title,
        "company": record.company,
        "city": record.city,
        "country": record.country,
    }
    return scorer.score_person(
        [to_scoring(tp) for tp in tps], as_of=now, person_id=str(record.id), fields=fields
    )


def _trend(values: list[float], points: list[datetime]) -> dict[str, Any]:
    return {
        "points": [
            {"at": at.isoformat(), "score": v} for at, v in zip(points, values, strict=True)
        ],
        "change": round(values[-1] - values[0], 2) if values else 0.0,
    }


def excerpt(text: str | None, limit: int = EXCERPT) -> str:
    flat = re.sub(r"\s+", " ", text or "").strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def touchpoint_item(tp: Touchpoint) -> dict[str, Any]:
    return {
        "id": tp.id,
        "platform": tp.platform,
        "kind": tp.kind,
        "occurred_at": tp.occurred_at.astimezone(UTC).isoformat(),
        "excerpt": excerpt(tp.text or tp.post_text),
        "post_url": web_url(tp.post_url),
    }


def strongest(link: IdentityLink) -> str:
    """The one line a rep reads for "why we think this is them"."""
    if link.status == LinkStatus.CONFIRMED and link.decided_by != "matcher":
        return f"Confirmed by {link.decided_by}"
    lines = [e for e in link.explanation or [] if float(e.get("weight") or 0) > 0]
    if not lines:
        return "Linked by the matcher"
    best = max(lines, key=lambda e: float(e.get("weight") or 0))
    return str(best.get("explanation") or f"{best.get('comparison')}: {best.get('level')}")


def _links(session: Session, record_id: int) -> list[tuple[IdentityLink, SocialProfile]]:
    rows = session.exec(
        select(IdentityLink, SocialProfile)
        .join(SocialProfile, col(SocialProfile.id) == IdentityLink.profile_id)
        .where(IdentityLink.record_id == record_id, col(IdentityLink.status).in_(LinkStatus.ACTIVE))
        .order_by(col(IdentityLink.score).desc(), col(IdentityLink.id))
    )
    return list(rows.all())


def person_card(session: Session, record: CrmRecord, now: datetime) -> dict[str, Any]:
    assert record.id is not None
    links = _links(session, record.id)
    stored = session.exec(select(Score).where(Score.record_id == record.id)).first()
    if not links and (stored is None or not stored.score):
        return empty(RecordRef(record.crm, record.crm_id), record)
    tps = touchpoints_of(session, record.id)
    points = weekly_points(now)
    person = _score_now(session, record, tps, now)
    values = series(person, points, scorer_cache.get(session).config.half_life_days)
    interests = session.exec(
        select(Interest.topic, Interest.strength)
        .where(Interest.record_id == record.id)
        .order_by(col(Interest.strength).desc(), col(Interest.topic))
        .limit(INTERESTS)
    ).all()
    reasons = [r for r in (stored.reasons if stored else "").split("; ") if r][:REASONS]
    return {
        "kind": record.object_type,
        "record": _record(record),
        "empty": False,
        "score": {
            "value": round_score(stored.score) if stored else 0,
            "reasons": reasons,
            "trend": _trend(values, points),
        },
        "interests": [{"topic": t, "strength": round(s, 2)} for t, s in interests],
        "touchpoints": [touchpoint_item(tp) for tp in reversed(tps[-TOUCHPOINTS:])],
        "profiles": [
            {
                "link_id": link.id,
                "platform": p.platform,
                "handle": p.handle,
                "name": p.name,
                "url": web_url(p.url),
                "status": link.status,
                "evidence": strongest(link),
            }
            for link, p in links
        ],
        "why": strongest(links[0][0]) if links else None,
    }


def account_card(session: Session, account: CrmRecord, now: datetime) -> dict[str, Any]:
    assert account.id is not None
    stored = session.exec(select(Score).where(Score.record_id == account.id)).first()
    people = list(
        session.exec(
            select(CrmRecord, Score)
            .join(Score, col(Score.record_id) == CrmRecord.id)
            .where(
                CrmRecord.crm == account.crm,
                CrmRecord.account_crm_id == account.crm_id,
                col(CrmRecord.object_type).in_(PERSON_TYPES),
                col(CrmRecord.deleted).is_(False),
            )
            .order_by(col(Score.score).desc(), col(CrmRecord.id))
        ).all()
    )
    start = now - timedelta(days=WINDOW_DAYS)
    touches = session.exec(
        select(IdentityLink.record_id, Touchpoint)
        .join(Touchpoint, col(Touchpoint.profile_id) == IdentityLink.profile_id)
        .where(
            col(IdentityLink.record_id).in_([r.id for r, _ in people]),
            col(IdentityLink.status).in_(LinkStatus.ACTIVE),
            col(Touchpoint.is_own).is_(False),
        )
    ).all()
    if (stored is None or not stored.score) and not touches:
        return empty(RecordRef(account.crm, account.crm_id), account)

    points = weekly_points(now)
    by_person: dict[int, list[Touchpoint]] = {}
    for record_id, tp in touches:
        by_person.setdefault(record_id, []).append(tp)
    scorer = scorer_cache.get(session)
    person_series: dict[str, list[float]] = {}
    for record, score in people:
        assert record.id is not None
        mine = by_person.get(record.id)
        if mine and len(person_series) < ACCOUNT_SERIES_PEOPLE:
            mine.sort(key=lambda tp: (tp.occurred_at, tp.id or 0))
            person = _score_now(session, record, mine, now)
            person_series[str(record.id)] = series(person, points, scorer.config.half_life_days)
        else:
            person_series[str(record.id)] = [score.score] * len(points)
    values = [
        round(
            rollup_account(
                str(account.id),
                {pid: s[i] for pid, s in person_series.items()},
                scorer.config.rollup,
            ).score,
            2,
        )
        for i in range(len(points))
    ]

    engaged_ids = (
        [int(p["record_id"]) for p in (stored.breakdown or {}).get("engaged_people", [])]
        if stored
        else []
    )
    names = {r.id: (r, s) for r, s in people}
    engaged = [
        {
            "record_id": rid,
            "name": record_summary(names[rid][0])["name"],
            "title": names[rid][0].title,
            "score": round_score(names[rid][1].score),
        }
        for rid in engaged_ids[:ENGAGED_SHOWN]
        if rid in names
    ]
    recent = [(rid, tp) for rid, tp in touches if tp.occurred_at >= start]
    return {
        "kind": "account",
        "record": _record(account),
        "empty": False,
        "score": {
            "value": round_score(stored.score) if stored else 0,
            "reasons": [r for r in (stored.reasons if stored else "").split("; ") if r][:REASONS],
            "trend": _trend(values, points),
        },
        "engaged_people": engaged,
        "touchpoints_by_week": _by_week([tp for _, tp in recent], now),
        "opportunities": _opportunities(session, account, recent, names),
    }


def _by_week(tps: list[Touchpoint], now: datetime) -> list[dict[str, Any]]:
    """Touchpoints in each of the 13 seven-day weeks ending now (the last one ends now)."""
    weeks = []
    for k in range(WEEKS - 1, -1, -1):
        end = now - timedelta(weeks=k)
        begin = end - timedelta(weeks=1)
        count = sum(1 for tp in tps if begin < _utc(tp.occurred_at) <= end)
        weeks.append({"week_ending": end.date().isoformat(), "count": count})
    return weeks


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _is_open(raw: dict[str, Any]) -> bool:
    # Salesforce says IsClosed; HubSpot's deal search says hs_is_closed ("true"/"false").
    return not (raw.get("IsClosed") or str(raw.get("hs_is_closed", "")).lower() == "true")


def _opportunities(
    session: Session,
    account: CrmRecord,
    recent: list[tuple[int, Touchpoint]],
    people: dict[int | None, tuple[CrmRecord, Score]],
) -> list[dict[str, Any]]:
    """Open opportunities of the account, when its people engaged on social in the window:
    with who touched last and when. (The CRM does not tell enrich which contacts an
    opportunity involves, so the account's people stand for it.)"""
    if not recent:
        return []
    rid, last = max(recent, key=lambda item: item[1].occurred_at)
    by = record_summary(people[rid][0])["name"] if rid in people else None
    out = []
    for opp in session.exec(
        select(CrmRecord)
        .where(
            CrmRecord.crm == account.crm,
            CrmRecord.object_type == "opportunity",
            CrmRecord.account_crm_id == account.crm_id,
            col(CrmRecord.deleted).is_(False),
        )
        .order_by(col(CrmRecord.id))
    ):
        raw = opp.raw or {}
        if _is_open(raw):
            out.append(
                {
                    "crm_id": opp.crm_id,
                    "name": opp.company,
                    "stage": opp.title,
                    "amount": raw.get("Amount") or raw.get("amount"),
                    "close_date": str(raw.get("CloseDate") or raw.get("closedate") or "")[:10]
                    or None,
                    "touches": len(recent),
                    "last_touch_by": by,
                    "last_touch_at": _utc(last.occurred_at).isoformat(),
                }
            )
    return out
