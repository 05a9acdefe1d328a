"""The review of lead-form responses no CRM person matched (`LEAD_FORMS_UNMATCHED=review`, and
test leads): what the console and API list, and the three decisions on one.

* **link** to a CRM contact or lead: the same sticky, audited relink as the review queue
  (`decisions.relink`), so the lead_form touchpoint is scored and written on that person;
* **create** the CRM Lead now: the row joins the ledgered creation the leads job runs for
  `create_lead` (`jobs.create_leads`: `pending` → `sending` → `written`, idempotent on
  `<source>:<lead id>`), so a retry or a lost answer still makes exactly one Lead;
* **dismiss**: nothing is written; the answers stay under the retention policy.

Each decision applies to a lead still waiting for review only (409 when someone decided
first) and leaves an `AuditLog` row (target `lead_form:<id>`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Engine, exists
from sqlmodel import Session, col, select

from enrich.config import Settings
from enrich.db import session_scope
from enrich.leads.jobs import REVIEW
from enrich.models import (
    AuditLog,
    CrmRecord,
    IdentityLink,
    LeadForm,
    LeadStatus,
    LinkStatus,
    Score,
    WriteStatus,
    utcnow,
)
from enrich.services import decisions
from enrich.services.errors import Conflict, NotFound
from enrich.services.people import record_summary

DISMISSED = "dismissed"


def _waiting() -> tuple[ColumnElement[bool], ...]:
    """Rows waiting for a person: read, kept for review, and still matched by nobody (a link
    confirmed in the review queue meanwhile answers them)."""
    matched = exists().where(
        col(IdentityLink.profile_id) == col(LeadForm.profile_id),
        col(IdentityLink.status).in_(LinkStatus.ACTIVE),
    )
    return (
        col(LeadForm.crm_status) == REVIEW,
        col(LeadForm.status) == LeadStatus.FETCHED,
        ~matched,
    )


def queue(
    engine: Engine, *, limit: int = 20, after: int = 0
) -> tuple[list[dict[str, Any]], int | None]:
    """Leads waiting for review, oldest first, each with its answers and candidates; the cursor
    is the last lead id returned."""
    with Session(engine) as session:
        rows = list(
            session.exec(
                select(LeadForm)
                .where(*_waiting(), col(LeadForm.id) > after)
                .order_by(col(LeadForm.id))
                .limit(limit + 1)
            )
        )
        more = len(rows) > limit
        rows = rows[:limit]
        items = [_item(session, row) for row in rows]
    return items, (rows[-1].id if more and rows else None)


def count(engine: Engine) -> int:
    with Session(engine) as session:
        return len(list(session.exec(select(LeadForm.id).where(*_waiting()))))


def _item(session: Session, row: LeadForm) -> dict[str, Any]:
    candidates = []
    if row.profile_id is not None:
        for link in session.exec(
            select(IdentityLink)
            .where(
                IdentityLink.profile_id == row.profile_id,
                IdentityLink.status == LinkStatus.PENDING,
            )
            .order_by(col(IdentityLink.score).desc())
            .limit(5)
        ):
            record = session.get(CrmRecord, link.record_id)
            if record is not None and not record.deleted:
                score = session.get(Score, record.id)
                candidates.append({**record_summary(record, score), "match_score": link.score})
    return {
        "id": row.id,
        "source": row.source,
        "lead_id": row.lead_id,
        "form_id": row.form_id,
        "ad_id": row.ad_id,
        "account": row.account,
        "received_at": row.received_at.isoformat(),
        "test_lead": row.test_lead,
        "answers": [
            {k: a.get(k) for k in ("key", "label", "value", "meaning")} for a in row.answers or []
        ],
        "consents": row.consents or [],
        "profile_id": row.profile_id,
        "candidates": candidates,
    }


def _in_review(session: Session, lead_form_id: int) -> LeadForm:
    row = session.get(LeadForm, lead_form_id)
    if row is None:
        raise NotFound(f"no lead {lead_form_id}")
    waiting = session.exec(select(LeadForm.id).where(col(LeadForm.id) == row.id, *_waiting()))
    if waiting.first() is None:
        now = row.crm_status if row.crm_status != REVIEW else None
        now = now or "matched to a CRM person"
        raise Conflict(
            f"lead {lead_form_id} is not waiting for review (it is {now}, {row.status}); "
            "reload to see it"
        )
    return row


def _audit(session: Session, actor: str, action: str, row: LeadForm, **detail: Any) -> None:
    session.add(
        AuditLog(
            actor=actor,
            action=action,
            target=f"lead_form:{row.id}",
            detail={"source": row.source, "lead_id": row.lead_id, **detail},
        )
    )


def link(engine: Engine, lead_form_id: int, record_id: int, actor: str) -> dict[str, Any]:
    """The person who filled the form in is this CRM contact or lead."""
    with session_scope(engine) as session:
        row = _in_review(session, lead_form_id)
        record = session.get(CrmRecord, record_id)
        if record is None or record.deleted or record.object_type not in ("contact", "lead"):
            raise NotFound(f"no contact or lead {record_id} in the CRM mirror")
        if row.profile_id is None:
            raise Conflict(f"lead {lead_form_id} has no profile to link")
        decisions.relink(session, row.profile_id, record_id, actor)
        row.crm_status = None  # matched: nothing to create
        _audit(session, actor, "lead_linked", row, record_id=record_id)
        return _item(session, row) | {"decision": "linked", "record_id": record_id}


def create(engine: Engine, settings: Settings, lead_form_id: int, actor: str) -> dict[str, Any]:
    """Make the CRM Lead now, by the leads job's ledgered, idempotent creation."""
    if settings.crm == "none":
        raise Conflict("no CRM is configured (ENRICH_CRM=none): there is nowhere to create it")
    with session_scope(engine) as session:
        row = _in_review(session, lead_form_id)
        if row.test_lead:
            raise Conflict(f"lead {lead_form_id} is a platform test lead: it is never made a Lead")
        row.crm_status, row.next_attempt_at = WriteStatus.PENDING, utcnow()
        _audit(session, actor, "lead_create", row)
        return _item(session, row) | {"decision": "create"}


def dismiss(engine: Engine, lead_form_id: int, actor: str) -> dict[str, Any]:
    """Neither a known person nor worth a Lead (a competitor, a student, spam)."""
    with session_scope(engine) as session:
        row = _in_review(session, lead_form_id)
        row.crm_status = DISMISSED
        _audit(session, actor, "lead_dismissed", row)
        return _item(session, row) | {"decision": "dismissed"}
