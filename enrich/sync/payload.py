"""What a sales rep should see on a CRM record: enrich's findings as meaning → value."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from enrich.models import CrmRecord, IdentityLink, Interest, LinkStatus, Score, SocialProfile
from enrich.scores import touchpoints_of

PLATFORM_NAMES = {"x": "X", "linkedin": "LinkedIn", "instagram": "Instagram",
                  "facebook": "Facebook"}
VERBS = {"follow": "Followed you on", "unfollow": "Unfollowed you on", "like": "Liked your post on",
         "comment": "Commented on your post on", "reply": "Replied to you on",
         "share": "Shared your post on", "quote": "Quoted your post on",
         "mention": "Mentioned you on", "dm": "Sent you a direct message on"}


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
    touchpoints = touchpoints_of(session, record.id)  # type: ignore[arg-type]
    interests = session.exec(
        select(Interest).where(Interest.record_id == record.id)
        .order_by(col(Interest.strength).desc(), Interest.topic).limit(5))
    profiles = session.exec(
        select(SocialProfile).join(IdentityLink, col(IdentityLink.profile_id) == SocialProfile.id)
        .where(IdentityLink.record_id == record.id, col(IdentityLink.status).in_(LinkStatus.ACTIVE))
        .order_by(SocialProfile.platform, SocialProfile.id))
    last = touchpoints[-1] if touchpoints else None
    return {
        "score": round(score.score) if score else 0,
        "score_reasons": score.reasons if score else "",
        "interests": ";".join(i.topic for i in interests),
        "last_touch": last.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ") if last else None,
        "last_touch_summary": summary(last.kind, last.platform, last.text) if last else "",
        "profiles": "\n".join(profile_url(p) for p in profiles),
        "enrich_url": f"{public_url.rstrip('/')}/people/{record.id}",
    }
