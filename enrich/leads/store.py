"""The `LeadForm` rows a delivery's lead references make, in the delivery's own transaction:
what the fetch job (`enrich.leads.jobs`) reads later. Idempotent: a redelivery, a replay or
a catch-up names the same (source, lead id) and changes nothing."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select, update

from enrich.models import LeadForm, LeadStatus, table_of, utcnow
from enrich.normalize import LeadRef


def record(session: Session, raw_id: int | None, refs: list[LeadRef]) -> int:
    """A new response is to be fetched; a deleted one (LinkedIn DELETED) is to be erased,
    whether or not we had fetched it (a CREATED arriving after its DELETED stays erased).
    Returns how many responses were new (`raw_id` None: the catch-up listed them)."""
    if not refs:
        return 0
    added = 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    for ref in refs:
        status = LeadStatus.DELETE if ref.deleted else LeadStatus.PENDING
        result = session.execute(
            insert(table_of(LeadForm))
            .values(
                source=ref.source,
                lead_id=ref.lead_id,
                raw_event_id=raw_id,
                account=ref.account,
                form_id=ref.form_id,
                ad_id=ref.ad_id,
                status=status,
                attempts=0,
                next_attempt_at=now,
                received_at=now,
                test_lead=False,
                crm_attempts=0,
            )
            .on_conflict_do_nothing(index_elements=["source", "lead_id"])
        )
        added += max(getattr(result, "rowcount", 0) or 0, 0)
        if ref.deleted:
            session.execute(
                update(LeadForm)
                .where(
                    col(LeadForm.source) == ref.source,
                    col(LeadForm.lead_id) == ref.lead_id,
                    col(LeadForm.status) != LeadStatus.DELETED,
                )
                .values(status=LeadStatus.DELETE, next_attempt_at=now, attempts=0)
            )
    return added


def due_any(session: Session) -> bool:
    """Whether any lead waits for the job (to fetch, to erase, or a CRM Lead to create)."""
    now = utcnow()
    waiting = session.exec(
        select(LeadForm.id)
        .where(
            col(LeadForm.status).in_([LeadStatus.PENDING, LeadStatus.DELETE]),
            col(LeadForm.next_attempt_at) <= now,
        )
        .limit(1)
    ).first()
    return waiting is not None
