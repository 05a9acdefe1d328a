"""People: search the CRM mirror and assemble everything enrich knows about one person.

Shared by the console pages and the JSON API, so both answer the same question the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, or_
from sqlmodel import Session, col, func, select

from enrich.config import Settings
from enrich.models import (
    ActivityWrite,
    CrmRecord,
    IdentityLink,
    Interest,
    LinkStatus,
    Score,
    SocialProfile,
    SyncRequest,
    SyncState,
    Touchpoint,
)

PERSON_TYPES = ("contact", "lead")


def record_summary(record: CrmRecord, score: Score | None = None) -> dict[str, Any]:
    name = " ".join(p for p in (record.first_name, record.last_name) if p) or record.email or "—"
    return {
        "id": record.id,
        "crm": record.crm,
        "object_type": record.object_type,
        "crm_id": record.crm_id,
        "name": name,
        "email": record.email,
        "company": record.company,
        "title": record.title,
        "deleted": record.deleted,
        "score": score.score if score else None,
        "reasons": score.reasons if score else None,
    }


def search(
    engine: Engine, *, q: str = "", limit: int = 25, after: int = 0, object_type: str | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """Contacts/leads whose name, email, company or linked handle contains `q` (id order).

    Returns (rows, next cursor or None); the cursor is the last id seen (keyset pagination).
    """
    types = (object_type,) if object_type else PERSON_TYPES
    stmt = select(CrmRecord, Score).join(Score, col(Score.record_id) == CrmRecord.id, isouter=True)
    stmt = stmt.where(col(CrmRecord.object_type).in_(types), col(CrmRecord.id) > after)
    words = q.strip().lstrip("@").split()
    for word in words[:5]:
        like = f"%{_escape_like(word.lower())}%"
        by_handle = (
            select(IdentityLink.record_id)
            .join(SocialProfile, col(SocialProfile.id) == IdentityLink.profile_id)
            .where(
                col(IdentityLink.status).in_(LinkStatus.ACTIVE),
                or_(
                    func.lower(SocialProfile.handle).like(like, escape="\\"),
                    func.lower(SocialProfile.name).like(like, escape="\\"),
                ),
            )
        )
        stmt = stmt.where(
            or_(
                func.lower(CrmRecord.first_name).like(like, escape="\\"),
                func.lower(CrmRecord.last_name).like(like, escape="\\"),
                func.lower(CrmRecord.email).like(like, escape="\\"),
                func.lower(CrmRecord.company).like(like, escape="\\"),
                col(CrmRecord.id).in_(by_handle),
            )
        )
    with Session(engine) as session:
        rows = list(session.exec(stmt.order_by(col(CrmRecord.id)).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = rows[-1][0].id if more and rows else None
    return [record_summary(r, s) for r, s in rows], cursor


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def crm_url(settings: Settings, record: CrmRecord) -> str | None:
    """A link that opens the record in its CRM, when we know where the CRM lives."""
    if record.crm == "salesforce" and settings.salesforce_instance_url:
        return f"{settings.salesforce_instance_url.rstrip('/')}/{record.crm_id}"
    if record.crm == "hubspot":
        kind = {"contact": "0-1", "account": "0-2"}.get(record.object_type, "0-1")
        portal = (record.raw or {}).get("portalId") or (record.raw or {}).get("portal_id")
        if portal:
            return f"https://app.hubspot.com/contacts/{portal}/record/{kind}/{record.crm_id}"
    return None


def profile_dict(p: SocialProfile) -> dict[str, Any]:
    return {
        "id": p.id,
        "platform": p.platform,
        "platform_user_id": p.platform_user_id,
        "handle": p.handle,
        "name": p.name,
        "bio": p.bio,
        "location": p.location,
        "url": p.url,
        "email": p.email,
        "first_seen": p.first_seen.isoformat(),
        "last_seen": p.last_seen.isoformat(),
    }


def link_dict(link: IdentityLink) -> dict[str, Any]:
    return {
        "id": link.id,
        "profile_id": link.profile_id,
        "record_id": link.record_id,
        "status": link.status,
        "score": link.score,
        "explanation": link.explanation or [],
        "rule_version": link.rule_version,
        "decided_by": link.decided_by,
        "decided_at": link.decided_at.isoformat(),
    }


def touchpoint_dict(tp: Touchpoint) -> dict[str, Any]:
    return {
        "id": tp.id,
        "profile_id": tp.profile_id,
        "platform": tp.platform,
        "kind": tp.kind,
        "text": tp.text,
        "post_url": tp.post_url,
        "post_text": tp.post_text,
        "occurred_at": tp.occurred_at.isoformat(),
    }


def person(
    engine: Engine, settings: Settings, record_id: int, timeline_limit: int = 200
) -> dict[str, Any] | None:
    """Everything about one CRM person: profiles, touchpoints, interests, score, CRM writes."""
    with Session(engine) as session:
        record = session.get(CrmRecord, record_id)
        if record is None:
            return None
        score = session.exec(select(Score).where(Score.record_id == record_id)).first()
        links = list(
            session.exec(
                select(IdentityLink)
                .where(IdentityLink.record_id == record_id)
                .order_by(col(IdentityLink.id))
            )
        )
        profiles = {
            p.id: p
            for p in session.exec(
                select(SocialProfile).where(
                    col(SocialProfile.id).in_([link.profile_id for link in links])
                )
            )
        }
        active = [link.profile_id for link in links if link.status in LinkStatus.ACTIVE]
        touchpoints = list(
            session.exec(
                select(Touchpoint)
                .where(col(Touchpoint.profile_id).in_(active), Touchpoint.is_own == False)  # noqa: E712
                .order_by(col(Touchpoint.occurred_at).desc())
                .limit(timeline_limit)
            )
        )
        interests = list(
            session.exec(
                select(Interest)
                .where(Interest.record_id == record_id)
                .order_by(col(Interest.strength).desc())
            )
        )
        fields = list(
            session.exec(
                select(SyncState)
                .where(SyncState.record_id == record_id)
                .order_by(col(SyncState.field))
            )
        )
        activities = list(
            session.exec(
                select(ActivityWrite)
                .where(ActivityWrite.record_id == record_id)
                .order_by(col(ActivityWrite.id).desc())
                .limit(timeline_limit)
            )
        )
        pending_sync = session.exec(
            select(SyncRequest).where(SyncRequest.record_id == record_id)
        ).first()
    return {
        "record": {
            **record_summary(record, score),
            "city": record.city,
            "country": record.country,
            "linkedin_url": record.linkedin_url,
            "twitter_handle": record.twitter_handle,
            "owner_id": record.owner_id,
            "crm_url": crm_url(settings, record),
        },
        "links": [
            {**link_dict(link), "profile": profile_dict(profiles[link.profile_id])}
            for link in links
            if link.profile_id in profiles
        ],
        "touchpoints": [touchpoint_dict(tp) for tp in touchpoints],
        "interests": [
            {"topic": i.topic, "strength": i.strength, "updated_at": i.updated_at.isoformat()}
            for i in interests
        ],
        "score": None
        if score is None
        else {
            "score": score.score,
            "reasons": score.reasons,
            "breakdown": score.breakdown or [],
            "rule_version": score.rule_version,
            "computed_at": score.computed_at.isoformat(),
        },
        "crm_fields": [
            {"field": f.field, "value": f.value, "written_at": f.written_at.isoformat()}
            for f in fields
        ],
        "activities": [
            {
                "touchpoint_id": a.touchpoint_id,
                "crm": a.crm,
                "activity_id": a.activity_id,
                "status": a.status,
                "written_at": a.written_at.isoformat() if a.written_at else None,
            }
            for a in activities
        ],
        "sync_pending": None
        if pending_sync is None
        else {
            "requested_at": pending_sync.requested_at.isoformat(),
            "attempts": pending_sync.attempts,
            "last_error": pending_sync.last_error,
        },
    }
