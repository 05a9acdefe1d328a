"""The lead-form job: read the responses deliveries named, erase the ones the platform deleted,
and make a CRM Lead for each one no CRM person matches when RevOps chose so.

Each step is idempotent and works from the `LeadForm` rows alone (a lost queue, a killed
worker or a replayed dead letter only runs it again):

* **read** (`fetch`): the platform's answer becomes a `lead_form` touchpoint (dedupe key
  `<source>:lead:<id>`) of a profile carrying the answers' email and names, linked, scored and
  synced like any other touchpoint. A refusal is retried by `LEAD_READ` or parked with its
  reason (`needs_token`, `needs_permission`, `unavailable`, `failed`) as a dead letter.
* **erase** (`erase`): LinkedIn said DELETED: the CRM activity is retracted, the touchpoint
  and answers deleted, the person rescored. A CRM Lead enrich made stays, flagged for review.
* **create** (`create_leads`): a ledgered send like activities: `pending` → `sending` (sent,
  no answer yet: re-sent as an upsert on the Lead's key) → `written`, so retries and lost
  answers make exactly one Lead; then the Lead joins the mirror, linked to the person, and
  the activity sync writes the lead_form activity on it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from enrich.config import Settings
from enrich.db import write_scope
from enrich.errors import (
    CRMAuthError,
    CRMError,
    CRMRetryable,
    CRMUnavailable,
    PlatformReadError,
)
from enrich.leads.answers import Lead
from enrich.leads.clients import Readers
from enrich.linking import link_profile
from enrich.models import (
    ActivityWrite,
    CrmRecord,
    DeadLetter,
    IdentityLink,
    LeadForm,
    LeadStatus,
    LinkStatus,
    RawEvent,
    Touchpoint,
    WriteStatus,
    id_of,
    utcnow,
)
from enrich.normalize import ProfileData, TouchpointData
from enrich.pipeline import add_touchpoint, upsert_profile
from enrich.privacy import is_suppressed
from enrich.retry import CRM_WRITE, LEAD_READ
from enrich.runtime import current
from enrich.scoring.rescore import rescore
from enrich.services.decisions import relink
from enrich.sync import alerts
from enrich.sync.adapter import CrmAdapter, NewLead, WriteResult
from enrich.sync.connect import make_adapter
from enrich.sync.outbox import request_sync
from enrich.sync.writer import sync_pending

log = logging.getLogger("enrich.leads")
BATCH = 50  # leads read per run: each is one or two platform calls
REVIEW = "review"  # crm_status of a lead no CRM person matches, kept for RevOps
Adapter = Callable[[], CrmAdapter | None]


def work_leads() -> dict[str, int]:
    """Job (the scheduler's `leads` tick): everything due; a CRM write is hinted after."""
    rt = current()
    cached: list[CrmAdapter] = []

    def adapter() -> CrmAdapter | None:
        if rt.settings.crm == "none":
            return None
        if alerts.open_alert(rt.engine, rt.settings) is not None:
            # Refused credentials hold every CRM call until fixed (sync/alerts.py), these too.
            raise CRMUnavailable("CRM calls wait for the credentials alert to be resolved")
        if not cached:
            cached.append(make_adapter(rt.settings))
        return cached[0]

    readers = Readers(rt.settings)
    try:
        stats = run(rt.engine, rt.settings, readers, adapter)
    except CRMAuthError as exc:
        alerts.raise_alert(rt.engine, rt.settings, exc)
        return {"auth_failed": 1}
    finally:
        readers.http.close()
    if any(stats.get(k) for k in ("fetched", "erased", "created")):
        rt.queue.enqueue(sync_pending, key="sync")
    return stats


def run(engine: Engine, settings: Settings, readers: Readers, adapter: Adapter) -> dict[str, int]:
    """One pass: read or erase each due lead, then make the CRM Leads due; counts by outcome."""
    stats: Counter[str] = Counter()
    with Session(engine) as session:
        due = list(
            session.exec(
                select(LeadForm.id, LeadForm.status)
                .where(
                    col(LeadForm.status).in_([LeadStatus.PENDING, LeadStatus.DELETE]),
                    col(LeadForm.next_attempt_at) <= utcnow(),
                )
                .order_by(col(LeadForm.id))
                .limit(BATCH)
            )
        )
    for lead_form_id, status in due:
        assert lead_form_id is not None
        if status == LeadStatus.DELETE:
            stats[erase(engine, lead_form_id, adapter)] += 1
        else:
            stats[fetch(engine, settings, readers, lead_form_id)] += 1
    # Rows are due under `create_lead`, or when a person chose "create" in the lead review.
    if _creation_due(engine):
        try:
            crm = adapter()
        except CRMRetryable:
            crm = None  # they wait, as `pending` or `sending`, for the next run
        created = create_leads(engine, settings, crm) if crm else 0
        if created:
            stats["created"] += created
    return dict(stats)


# ---------------------------------------------------------------------------------- read
def fetch(engine: Engine, settings: Settings, readers: Readers, lead_form_id: int) -> str:
    """Read one response and store it; returns the outcome (fetched, retry, a park status)."""
    with Session(engine) as session:
        row = session.get(LeadForm, lead_form_id)
        if row is None or row.status != LeadStatus.PENDING:
            return "skipped"
        source, lead_id, account = row.source, row.lead_id, row.account
    try:
        lead = readers.read(source, lead_id, account)  # no transaction open meanwhile
    except PlatformReadError as exc:
        with write_scope(engine) as session:
            return _refused(session, lead_form_id, exc)
    with write_scope(engine) as session:
        row = session.get(LeadForm, lead_form_id)
        if row is None or row.status != LeadStatus.PENDING:
            return "skipped"  # deleted meanwhile: erasure wins
        return _store(session, settings, row, lead)


def _refused(session: Session, lead_form_id: int, exc: PlatformReadError) -> str:
    row = session.get(LeadForm, lead_form_id)
    if row is None or row.status != LeadStatus.PENDING:
        return "skipped"
    row.error = str(exc)[:2000]
    if exc.throttled:  # the platform asked us to wait: no attempt spent
        row.next_attempt_at = utcnow() + LEAD_READ.wait(row.attempts, exc.retry_after)
        return "throttled"
    row.attempts += 1
    if exc.park is None and not LEAD_READ.exhausted(row.attempts):
        row.next_attempt_at = utcnow() + LEAD_READ.wait(row.attempts)
        return "retry"
    row.status = exc.park or (LeadStatus.UNAVAILABLE if exc.gone else LeadStatus.FAILED)
    session.add(
        DeadLetter(
            kind="lead_form",
            ref_id=row.id,
            error=f"{row.source} lead {row.lead_id} ({row.status}): {exc}"[:2000],
            attempts=row.attempts,
            payload={"source": row.source, "lead_id": row.lead_id, "status": row.status},
        )
    )
    log.warning("%s lead %s parked as %s: %s", row.source, row.lead_id, row.status, exc)
    return row.status


def _actor(lead: Lead, row: LeadForm) -> ProfileData:
    first, last = lead.names()
    title, company = lead.value("title"), lead.value("company")
    email = lead.email
    return ProfileData(
        # LinkedIn names the member: the same profile as their likes and comments. Meta gives
        # no person id: the email (else the lead) is the identity of the lead's profile.
        platform=lead.platform,
        platform_user_id=(lead.submitter or f"lead:{email or row.lead_id}")[:200],
        name=" ".join(x for x in (first, last) if x)[:300] or None,
        bio=" at ".join(x for x in (title, company) if x)[:500] or None,
        email=email[:320] if email else None,
    )


def _store(session: Session, settings: Settings, row: LeadForm, lead: Lead) -> str:
    actor = _actor(lead, row)
    if is_suppressed(session, actor):
        row.status, row.error = LeadStatus.DELETED, "the person was erased: the lead is not kept"
        return "erased_person"
    raw_id = (
        row.raw_event_id if row.raw_event_id and session.get(RawEvent, row.raw_event_id) else None
    )
    data = TouchpointData(
        dedupe_key=f"{row.source}:lead:{row.lead_id}",
        kind="lead_form",
        actor=actor,
        occurred_at=lead.created_at or row.received_at,
        account=row.account,
        # The ad (else the form) the lead came from: what attribution credits.
        post_id=(row.ad_id or lead.ad_id or row.form_id or lead.form_id),
        text=lead.summary(),
    )
    touchpoint = add_touchpoint(session, raw_id, data)
    profile = upsert_profile(session, actor)
    before = set(
        session.exec(select(IdentityLink.record_id).where(IdentityLink.profile_id == profile.id))
    )
    links = link_profile(session, profile)
    records = before | {link.record_id for link in links}
    rescore(session, records)
    for record_id in sorted(records):
        request_sync(session, record_id)
    row.status, row.fetched_at, row.error = LeadStatus.FETCHED, utcnow(), None
    row.answers = [a.to_dict() for a in lead.answers]
    row.consents = lead.consents
    row.test_lead = lead.test
    row.profile_id = profile.id
    row.form_id = row.form_id or lead.form_id
    row.ad_id = row.ad_id or lead.ad_id
    if touchpoint is not None:
        row.touchpoint_id = touchpoint.id
    if not _matched(session, id_of(profile)):
        creates = settings.lead_forms_unmatched == "create_lead" and settings.crm != "none"
        row.crm_status = WriteStatus.PENDING if creates and not lead.test else REVIEW
        row.next_attempt_at = utcnow()
    return "fetched"


def _matched(session: Session, profile_id: int) -> bool:
    return (
        session.exec(
            select(IdentityLink.id).where(
                IdentityLink.profile_id == profile_id,
                col(IdentityLink.status).in_(LinkStatus.ACTIVE),
            )
        ).first()
        is not None
    )


# ---------------------------------------------------------------------------------- erase
def erase(engine: Engine, lead_form_id: int, adapter: Adapter) -> str:
    """LinkedIn DELETED: the CRM activity retracted, then answers and touchpoint deleted."""
    with Session(engine) as session:
        row = session.get(LeadForm, lead_form_id)
        if row is None or row.status != LeadStatus.DELETE:
            return "skipped"
        written = [
            w.activity_id
            for w in session.exec(
                select(ActivityWrite).where(ActivityWrite.touchpoint_id == row.touchpoint_id)
            )
            if w.activity_id
        ]
    if written and row.touchpoint_id:
        try:
            crm = adapter()
            if crm is not None:
                crm.delete_activities(written)
        except CRMError as exc:
            if isinstance(exc, CRMAuthError):
                raise
            with write_scope(engine) as session:
                again = session.get(LeadForm, lead_form_id)
                if again is not None:
                    again.attempts += 1
                    again.error = f"retracting the CRM activity: {exc}"[:2000]
                    again.next_attempt_at = utcnow() + CRM_WRITE.wait(again.attempts)
            return "retry"
    with write_scope(engine) as session:
        row = session.get(LeadForm, lead_form_id)
        if row is None or row.status != LeadStatus.DELETE:
            return "skipped"
        records: set[int] = set()
        touchpoint = session.get(Touchpoint, row.touchpoint_id) if row.touchpoint_id else None
        if touchpoint is not None:
            records = set(
                session.exec(
                    select(IdentityLink.record_id).where(
                        IdentityLink.profile_id == touchpoint.profile_id
                    )
                )
            )
            session.execute(
                delete(ActivityWrite).where(col(ActivityWrite.touchpoint_id) == touchpoint.id)
            )
            session.delete(touchpoint)
            session.flush()
        row.answers, row.consents, row.touchpoint_id = None, None, None
        row.status = LeadStatus.DELETED
        row.error = "deleted on the platform: answers and touchpoint erased" + (
            f"; the CRM Lead {row.crm_id} enrich made is left for review" if row.crm_id else ""
        )
        rescore(session, records)
        for record_id in sorted(records):
            request_sync(session, record_id)
    return "erased"


# ---------------------------------------------------------------------------------- create
def _creation_due(engine: Engine) -> bool:
    with Session(engine) as session:
        return (
            session.exec(
                select(LeadForm.id)
                .where(
                    col(LeadForm.crm_status).in_(WriteStatus.open()),
                    col(LeadForm.next_attempt_at) <= utcnow(),
                )
                .limit(1)
            ).first()
            is not None
        )


def _answer(answers: list[dict[str, Any]] | None, *meanings: str) -> str | None:
    for meaning in meanings:
        for a in answers or []:
            if a.get("meaning") == meaning and a.get("value"):
                return str(a["value"])
    return None


def new_lead(row: LeadForm, settings: Settings) -> NewLead:
    """What the CRM Lead of a response holds: its standard answers, the owner the rule gives,
    and every answer in the description."""
    first, last = _answer(row.answers, "first_name"), _answer(row.answers, "last_name")
    full = _answer(row.answers, "full_name")
    if full and not (first or last):
        head, _, tail = full.rpartition(" ")
        first, last = head or None, tail or None
    email = _answer(row.answers, "work_email", "email")
    lines = [f"Lead form ({row.source}, form {row.form_id or '?'}), lead {row.lead_id}"]
    lines += [f"{a.get('label') or a.get('key')}: {a.get('value')}" for a in row.answers or []]
    return NewLead(
        key=f"{row.source}:{row.lead_id}",
        last_name=last,
        first_name=first,
        email=email.strip().lower() if email and "@" in email else None,
        company=_answer(row.answers, "company"),
        title=_answer(row.answers, "title"),
        phone=_answer(row.answers, "phone"),
        owner_id=settings.lead_owner(row.form_id, row.account),
        description="\n".join(lines),
    )


def create_leads(engine: Engine, settings: Settings, adapter: CrmAdapter) -> int:
    """Send the due CRM Leads (one batch); returns how many were written."""
    with write_scope(engine) as session:
        rows = list(
            session.exec(
                select(LeadForm)
                .where(
                    col(LeadForm.crm_status).in_(WriteStatus.open()),
                    col(LeadForm.next_attempt_at) <= utcnow(),
                )
                .order_by(col(LeadForm.id))
                .limit(adapter.batch_size)
            )
        )
        todo = []
        people: set[int | None] = set()
        for row in rows:
            if row.profile_id is not None and _matched(session, row.profile_id):
                row.crm_status = None  # a person matched meanwhile (a mirror pull): no Lead
                continue
            if row.profile_id in people:
                continue  # their second form waits: once the first is a Lead, it is matched
            people.add(row.profile_id)
            row.crm_status = WriteStatus.SENDING  # from here on it may land: re-sent as upsert
            todo.append((id_of(row), new_lead(row, settings)))
    if not todo:
        return 0
    try:
        results = adapter.upsert_leads([lead for _, lead in todo])
    except CRMAuthError:
        raise
    except CRMError as exc:
        results = [WriteResult(lead.key, False, str(exc), retryable=True) for _, lead in todo]
    written = 0
    with write_scope(engine) as session:
        for (lead_form_id, lead), result in zip(todo, results, strict=True):
            stored = session.get(LeadForm, lead_form_id)
            if stored is None:
                continue
            row = stored
            if result.ok:
                _adopt(session, adapter, row, lead, result.crm_id)
                written += 1
            elif not result.sent:
                row.crm_status = WriteStatus.PENDING
            elif result.retryable and not CRM_WRITE.exhausted(row.crm_attempts + 1):
                row.crm_attempts += 1  # stays 'sending': it may have landed
                row.error = (result.error or "no answer")[:2000]
                row.next_attempt_at = utcnow() + CRM_WRITE.wait(
                    row.crm_attempts, result.retry_after
                )
            else:
                row.crm_status = WriteStatus.FAILED
                row.crm_attempts += 1
                reason = f"{adapter.name} Lead for {lead.key}: {result.error or 'not written'}"
                row.error = reason[:2000]
                session.add(
                    DeadLetter(
                        kind="lead_create",
                        ref_id=row.id,
                        error=reason[:2000],
                        attempts=row.crm_attempts,
                        payload={"key": lead.key, "crm": adapter.name},
                    )
                )
    return written


def _adopt(
    session: Session, adapter: CrmAdapter, row: LeadForm, lead: NewLead, crm_id: str
) -> None:
    """The Lead joins the mirror, linked to the person who filled the form in (confirmed: it
    was made from their own answers), so their touchpoints are written on it."""
    row.crm_status, row.crm_id, row.error = WriteStatus.WRITTEN, crm_id, None
    record = session.exec(
        select(CrmRecord).where(
            CrmRecord.crm == adapter.name,
            CrmRecord.object_type == adapter.lead_object,
            CrmRecord.crm_id == crm_id,
        )
    ).first()
    if record is None:
        record = CrmRecord(
            crm=adapter.name,
            object_type=adapter.lead_object,
            crm_id=crm_id,
            first_name=lead.first_name,
            last_name=lead.last_name,
            email=lead.email,
            company=lead.company,
            title=lead.title,
            owner_id=lead.owner_id,
        )
        session.add(record)
        session.flush()
    if row.profile_id is not None:
        relink(session, row.profile_id, id_of(record), "lead form")
