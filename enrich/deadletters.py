"""Replay parked work: a dead letter becomes pending work again, through the normal paths."""

from __future__ import annotations

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from enrich.db import session_scope
from enrich.models import (
    ActivityWrite,
    DeadLetter,
    EventStatus,
    Handoff,
    LeadForm,
    LeadStatus,
    RawEvent,
    SocialProfile,
    SyncRequest,
    WriteStatus,
    utcnow,
)


def replay(engine: Engine, ids: list[int] | None = None) -> int:
    """Re-queue the given dead letters (all unreplayed ones when `ids` is None); returns count."""
    with session_scope(engine) as session:
        stmt = select(DeadLetter).where(col(DeadLetter.replayed_at).is_(None))
        if ids is not None:
            stmt = stmt.where(col(DeadLetter.id).in_(ids))
        letters = list(session.exec(stmt))
        for letter in letters:
            if letter.kind == "raw_event" and letter.ref_id:
                raw = session.get(RawEvent, letter.ref_id)
                if raw is not None:
                    raw.status, raw.attempts = EventStatus.PENDING, 0
            elif letter.kind == "sync" and letter.ref_id:
                _request(session, letter.ref_id)
            elif letter.kind == "activity" and letter.ref_id:
                write = session.get(ActivityWrite, letter.ref_id)
                if write is not None:
                    write.status = WriteStatus.PENDING
                    _request(session, write.record_id)
            elif letter.kind == "rematch" and letter.ref_id:
                profile = session.get(SocialProfile, letter.ref_id)
                if profile is not None:
                    profile.match_requested_at = utcnow()
            elif letter.kind == "handoff" and letter.ref_id:
                handoff = session.get(Handoff, letter.ref_id)
                if handoff is not None:
                    handoff.status = WriteStatus.PENDING
                    _request(session, handoff.record_id)
            elif letter.kind in ("lead_form", "lead_create") and letter.ref_id:
                _lead(session, letter.kind, letter.ref_id)
            elif letter.kind == "crm_auth":
                # The CRM refused the credentials (enrich/sync/alerts.py): everything waiting
                # was held back by that alone, so it is due again now.
                session.execute(update(SyncRequest).values(next_attempt_at=utcnow()))
            letter.replayed_at = utcnow()
    return len(letters)


def _lead(session: Session, kind: str, lead_form_id: int) -> None:
    """A lead read again (a new token, a permission granted) or its CRM Lead sent again."""
    lead = session.get(LeadForm, lead_form_id)
    if lead is None:
        return
    if kind == "lead_form" and lead.status != LeadStatus.DELETED:
        lead.status, lead.attempts, lead.next_attempt_at = LeadStatus.PENDING, 0, utcnow()
    elif kind == "lead_create" and lead.crm_status == WriteStatus.FAILED:
        lead.crm_status, lead.crm_attempts = WriteStatus.PENDING, 0
        lead.next_attempt_at = utcnow()


def _request(session: Session, record_id: int) -> None:
    existing = session.exec(select(SyncRequest).where(SyncRequest.record_id == record_id)).first()
    if existing is None:
        session.add(SyncRequest(record_id=record_id))
    else:
        existing.attempts, existing.next_attempt_at = 0, utcnow()
