"""What a sales rep should see on a CRM record: enrich's findings as meaning → value."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from enrich.models import (
    CrmRecord,
    Handoff,
    IdentityLink,
    Interest,
    LinkStatus,
    Score,
    SocialProfile,
    Touchpoint,
    id_of,
)
from enrich.scoring.active import scorer_cache
from enrich.scoring.score import round_score
from enrich.sync.adapter import Activity
from enrich.touchpoints import last_touchpoints

PLATFORM_NAMES = {
    "x": "X",
    "linkedin": "LinkedIn",
    "instagram": "Instagram",
    "facebook": "Facebook",
}
VERBS = {
    "follow": "Followed you on",
    "unfollow": "Unfollowed you on",
    "like": "Liked your post on",
    "comment": "Commented on your post on",
    "reply": "Replied to you on",
    "share": "Shared your post on",
    "quote": "Quoted your post on",
    "mention": "Mentioned you on",
    "dm": "Sent you a direct message on",
    "lead_form": "Filled in your lead form on",
}


def summary(kind: str, platform: str, text: str | None) -> str:
    where = PLATFORM_NAMES.get(platform, platform.title())
    line = f"{VERBS.get(kind, kind.title())} {where}"
    if text:
        line += f": {' '.join(text.split())[:160]}"
    return line[:255]


def profile_url(profile: SocialProfile) -> str:
    if profile.url:
        return profile.url
    if profile.platform == "x" and profile.handle:
        return f"https://x.com/{profile.handle.lstrip('@')}"
    if profile.platform == "instagram" and profile.handle:
        return f"https://www.instagram.com/{profile.handle.lstrip('@')}"
    return f"{profile.platform}:{profile.handle or profile.platform_user_id}"


def person_values(
    session: Session, records: Iterable[CrmRecord], public_url: str
) -> dict[int, dict[str, Any]]:
    """Per record id, what its CRM record should show, read for all of them with a few
    queries (a sync pass asks for hundreds at once)."""
    records = list(records)
    ids = [id_of(r) for r in records]
    scores = _scores(session, ids)
    last = last_touchpoints(session, ids)
    interests: dict[int, list[Interest]] = defaultdict(list)
    for interest in session.exec(
        select(Interest)
        .where(col(Interest.record_id).in_(ids))
        .order_by(col(Interest.record_id), col(Interest.strength).desc(), Interest.topic)
    ):
        interests[interest.record_id].append(interest)
    profiles: dict[int, list[SocialProfile]] = defaultdict(list)
    for record_id, profile in session.exec(
        select(IdentityLink.record_id, SocialProfile)
        .join(SocialProfile, col(SocialProfile.id) == IdentityLink.profile_id)
        .where(
            col(IdentityLink.record_id).in_(ids), col(IdentityLink.status).in_(LinkStatus.ACTIVE)
        )
        .order_by(col(SocialProfile.platform), col(SocialProfile.id))
    ):
        profiles[record_id].append(profile)
    taxonomy = scorer_cache.get(session).taxonomy
    out = {}
    for record_id in ids:
        score, tp = scores.get(record_id), last.get(record_id)
        out[record_id] = {
            "score": round_score(score.score) if score else 0,
            "score_reasons": score.reasons if score else "",
            "interests": ";".join(taxonomy.label(i.topic) for i in interests[record_id][:5])[:255],
            "last_touch": tp.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ") if tp else None,
            "last_touch_summary": summary(tp.kind, tp.platform, tp.text) if tp else "",
            "profiles": "\n".join(profile_url(p) for p in profiles[record_id]),
            "enrich_url": f"{public_url.rstrip('/')}/people/{record_id}",
        }
    return out


def _scores(session: Session, ids: list[int]) -> dict[int, Score]:
    return {
        s.record_id: s for s in session.exec(select(Score).where(col(Score.record_id).in_(ids)))
    }


def activity_key(tp: Touchpoint, record: CrmRecord) -> str:
    """Stable across databases: derived from the platform's own ids, not from our row ids."""
    return hashlib.sha256(f"{tp.dedupe_key}|{record.crm_id}".encode()).hexdigest()[:40]


def activity_for(tp: Touchpoint, record: CrmRecord) -> Activity:
    lines = [tp.text or ""]
    if tp.post_text or tp.post_url:
        lines.append(f"On our post: {(tp.post_text or '')[:300]} {tp.post_url or ''}".strip())
    lines.append(
        f"Captured by enrich from {PLATFORM_NAMES.get(tp.platform, tp.platform)} "
        f"at {tp.occurred_at:%Y-%m-%d %H:%M} UTC"
    )
    return Activity(
        key=activity_key(tp, record),
        object_type=record.object_type,
        record_crm_id=record.crm_id,
        account_crm_id=record.account_crm_id,
        subject=summary(tp.kind, tp.platform, tp.text),
        body="\n".join(x for x in lines if x),
        occurred_at=tp.occurred_at,
    )


def account_values(session: Session, records: Iterable[CrmRecord]) -> dict[int, dict[str, Any]]:
    """Per account record id, what its CRM record should show."""
    ids = [id_of(r) for r in records]
    scores = _scores(session, ids)
    out = {}
    for record_id in ids:
        score = scores.get(record_id)
        people = (score.breakdown or {}).get("engaged_people", []) if score else []
        out[record_id] = {
            "account_score": round(score.score) if score else 0,
            "engaged_people": len(people),
        }
    return out


def handoff_activity(handoff: Handoff, record: CrmRecord, public_url: str) -> Activity:
    name = " ".join(x for x in (record.first_name, record.last_name) if x) or "This person"
    return Activity(
        key=f"handoff-{hashlib.sha256(f'{handoff.id}|{record.crm_id}'.encode()).hexdigest()[:32]}",
        object_type=record.object_type,
        record_crm_id=record.crm_id,
        account_crm_id=record.account_crm_id,
        subject=f"Follow up: {name} is engaging on social (score {round(handoff.score)})"[:255],
        body=f"{handoff.reason}\nDetails: {public_url.rstrip('/')}/people/{record.id}",
        occurred_at=handoff.created_at,
        handoff=True,
        owner_id=record.owner_id,
    )
