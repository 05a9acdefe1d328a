"""Erase and export a person (GDPR / CCPA).

Erasure removes what enrich holds about the person (profiles, touchpoints, the raw deliveries
that carried them, links, scores, interests, sync ledger), retracts what enrich wrote to the CRM
(its fields emptied, its activities deleted), and keeps only salted hashes of the person's
identifiers in `Suppression`, so later deliveries about them are dropped at ingest. The audit
entry says who erased and when, and nothing about whom.

The CRM is retracted first: if the CRM cannot be reached, nothing is deleted locally and the
erasure can simply be run again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, and_, delete, or_, update
from sqlmodel import Session, col, select

from enrich.db import rowcount, session_scope
from enrich.models import (
    ActivityWrite,
    AuditLog,
    CrmRecord,
    IdentityLink,
    Interest,
    LeadForm,
    LeadStatus,
    LinkStatus,
    ProfileMatchKey,
    RawEvent,
    Score,
    SocialProfile,
    Suppression,
    SyncRequest,
    SyncState,
    Touchpoint,
)
from enrich.normalize import ProfileData

# Not a secret: it only keeps the hashes from being a plain lookup table of emails.
_SALT = b"enrich-suppression-v1"


def identifier_hashes(
    platform: str, user_id: str | None, handle: str | None, email: str | None
) -> set[str]:
    values = set()
    if user_id:
        values.add(f"id:{platform}:{user_id.strip()}")
    if handle:
        values.add(f"handle:{platform}:{handle.strip().lstrip('@').lower()}")
    if email:
        values.add(f"email:{email.strip().lower()}")
    return {hashlib.sha256(_SALT + v.encode()).hexdigest() for v in values}


def is_suppressed(session: Session, actor: ProfileData) -> bool:
    hashes = identifier_hashes(actor.platform, actor.platform_user_id, actor.handle, actor.email)
    return (
        session.exec(
            select(Suppression.id).where(col(Suppression.identifier_hash).in_(hashes))
        ).first()
        is not None
    )


def _profiles(
    session: Session, record_id: int | None, profile_ids: list[int]
) -> list[SocialProfile]:
    ids = set(profile_ids)
    if record_id is not None:
        ids |= set(
            session.exec(
                select(IdentityLink.profile_id).where(
                    IdentityLink.record_id == record_id,
                    col(IdentityLink.status).in_(LinkStatus.ACTIVE),
                )
            )
        )
    if not ids:
        return []
    return list(session.exec(select(SocialProfile).where(col(SocialProfile.id).in_(ids))))


def _dump(rows: Iterable[Any]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in rows]


def export_person(
    engine: Engine, *, record_id: int | None, profile_ids: list[int]
) -> dict[str, Any]:
    """Everything enrich holds about a person, as JSON-ready data."""
    with Session(engine) as session:
        profiles = _profiles(session, record_id, profile_ids)
        pids = [p.id for p in profiles]
        record = session.get(CrmRecord, record_id) if record_id is not None else None
        return {
            "record": record.model_dump(mode="json", exclude={"raw"}) if record else None,
            "profiles": _dump(profiles),
            "touchpoints": _dump(
                session.exec(
                    select(Touchpoint)
                    .where(col(Touchpoint.profile_id).in_(pids))
                    .order_by(col(Touchpoint.occurred_at))
                )
            ),
            "links": _dump(
                session.exec(select(IdentityLink).where(col(IdentityLink.profile_id).in_(pids)))
            ),
            "score": _dump(session.exec(select(Score).where(Score.record_id == record_id))),
            "interests": _dump(
                session.exec(select(Interest).where(Interest.record_id == record_id))
            ),
            "written_to_crm": _dump(
                session.exec(select(SyncState).where(SyncState.record_id == record_id))
            ),
            "activities": _dump(
                session.exec(select(ActivityWrite).where(ActivityWrite.record_id == record_id))
            ),
            "lead_forms": _dump(
                session.exec(select(LeadForm).where(col(LeadForm.profile_id).in_(pids)))
            ),
        }


def erase_person(
    engine: Engine,
    *,
    record_id: int | None,
    profile_ids: list[int],
    actor: str,
    adapter: Any = None,
) -> dict[str, int]:
    """Erase a person; `adapter` (a CRM adapter) retracts what enrich wrote to the CRM."""
    with Session(engine) as session:
        profiles = _profiles(session, record_id, profile_ids)
        pids = [p.id for p in profiles]
        records = set(
            session.exec(
                select(IdentityLink.record_id).where(col(IdentityLink.profile_id).in_(pids))
            )
        )
        if record_id is not None:
            records.add(record_id)
        touchpoint_ids = list(
            session.exec(select(Touchpoint.id).where(col(Touchpoint.profile_id).in_(pids)))
        )
        # Entries whose touchpoint retention purged are found by their record.
        ledger = or_(
            col(ActivityWrite.touchpoint_id).in_(touchpoint_ids),
            and_(
                col(ActivityWrite.touchpoint_id).is_(None),
                col(ActivityWrite.record_id).in_(records),
            ),
        )
        activities = list(
            session.exec(
                select(ActivityWrite).where(ledger, col(ActivityWrite.activity_id).is_not(None))
            )
        )
        written = list(session.exec(select(SyncState).where(col(SyncState.record_id).in_(records))))
        crm_records = {
            r.id: r for r in session.exec(select(CrmRecord).where(col(CrmRecord.id).in_(records)))
        }

    if adapter is not None:
        if activities:
            adapter.delete_activities([a.activity_id for a in activities if a.activity_id])
        by_record: dict[int, dict[str, Any]] = {}
        for state in written:
            by_record.setdefault(state.record_id, {})[state.field] = None
        for object_type in ("contact", "lead"):
            updates = [
                (crm_records[rid].crm_id, fields)
                for rid, fields in by_record.items()
                if rid in crm_records
                and crm_records[rid].object_type == object_type
                and crm_records[rid].crm == adapter.name
            ]
            if updates:
                adapter.write_fields(object_type, updates)

    with session_scope(engine) as session:
        raw_ids = set(
            session.exec(
                select(Touchpoint.raw_event_id).where(
                    col(Touchpoint.id).in_(touchpoint_ids),
                    col(Touchpoint.raw_event_id).is_not(None),
                )
            )
        )
        hashes: set[str] = set()
        for p in profiles:
            hashes |= identifier_hashes(p.platform, p.platform_user_id, p.handle, p.email)
        known = set(
            session.exec(
                select(Suppression.identifier_hash).where(
                    col(Suppression.identifier_hash).in_(hashes)
                )
            )
        )
        for h in hashes - known:
            session.add(Suppression(identifier_hash=h))
        counts = {
            "activities_retracted": len(activities) if adapter is not None else 0,
            "fields_cleared": len(written) if adapter is not None else 0,
            "profiles": len(pids),
            "touchpoints": len(touchpoint_ids),
        }
        session.execute(delete(ActivityWrite).where(ledger))
        # Lead-form answers go; the row stays (its id only) so a redelivery is not read again.
        session.execute(
            update(LeadForm)
            .where(col(LeadForm.profile_id).in_(pids))
            .values(
                answers=None,
                consents=None,
                profile_id=None,
                touchpoint_id=None,
                status=LeadStatus.DELETED,
                error="the person was erased",
            )
        )
        session.execute(delete(Touchpoint).where(col(Touchpoint.id).in_(touchpoint_ids)))
        # A delivery that named them is removed whole: its other touchpoints are already stored.
        counts["raw_events"] = rowcount(
            session.execute(delete(RawEvent).where(col(RawEvent.id).in_(raw_ids)))
        )
        session.execute(delete(IdentityLink).where(col(IdentityLink.profile_id).in_(pids)))
        for model in (Score, Interest, SyncState, SyncRequest):
            session.execute(delete(model).where(col(model.record_id).in_(records)))
        session.execute(delete(ProfileMatchKey).where(col(ProfileMatchKey.profile_id).in_(pids)))
        session.execute(delete(SocialProfile).where(col(SocialProfile.id).in_(pids)))
        session.add(
            AuditLog(
                actor=actor,
                action="erase_person",
                target=f"record:{record_id}" if record_id is not None else None,
                detail=counts,
            )
        )
    return counts
