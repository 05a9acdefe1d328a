"""What a sales rep should see on a CRM record: enrich's findings as meaning → value."""

from __future__ import annotations

import hashlib
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
from enrich.touchpoints import touchpoints_of

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


def person_values(session: Session, record: CrmRecord, public_url: str) -> dict[str, Any]:
    score = session.exec(select(Score).where(Score.record_id == record.id)).first()
    touchpoints = touchpoints_of(session, id_of(record))
    interests = session.exec(
        select(Interest)
        .where(Interest.record_id == record.id)
        .order_by(col(Interest.strength).desc(), Interest.topic)
        .limit(5)
    )
    taxonomy = scorer_cache.get(session).taxonomy
    profiles = session.exec(
        select(SocialProfile)
        .join(IdentityLink, col(IdentityLink.profile_id) == SocialProfile.id)
        .where(IdentityLink.record_id == record.id, col(IdentityLink.status).in_(LinkStatus.ACTIVE))
        .order_by(col(SocialProfile.platform), col(SocialProfile.id))
    )
    last = touchpoints[-1] if touchpoints else None
    return {
        "score": round_score(score.score) if score else 0,
        "score_reasons": score.reasons if score else "",
        "interests": ";".join(taxonomy.label(i.topic) for i in interests)[:255],
        "last_touch": last.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ") if last else None,
        "last_touch_summary": summary(last.kind, last.platform, last.text) if last else "",
        "profiles": "\n".join(profile_url(p) for p in profiles),
        "enrich_url": f"{public_url.rstrip('/')}/people/{record.id}",
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


def account_values(session: Session, record: CrmRecord) -> dict[str, Any]:
    score = session.exec(select(Score).where(Score.record_id == record.id)).first()
    people = (score.breakdown or {}).get("engaged_people", []) if score else []
    return {"account_score": round(score.score) if score else 0, "engaged_people": len(people)}


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
