"""Timeline entries written at most once: a ledger row per entry, marked before and after it
is sent. Activities (`ActivityWrite`, one per touchpoint) and hand-off tasks (`Handoff`) share
one routine, `send`.

A row is 'sending' from just before the call until its answer is recorded. A row still
'sending' in a later run (a timeout, a 503, a crash) may have landed: it is sent again, and
the adapter's write is an upsert on the entry's key (Salesforce Tasks on an External ID,
HubSpot notes on a unique-value property), so the second send updates what the first made.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, select

from enrich.db import session_scope, write_scope
from enrich.models import (
    ActivityWrite,
    CrmRecord,
    DeadLetter,
    Handoff,
    WriteStatus,
    id_of,
    utcnow,
)
from enrich.sync.adapter import Activity, CrmAdapter
from enrich.sync.payload import activity_for, handoff_activity
from enrich.sync.report import Outcome, RunReport
from enrich.touchpoints import touchpoints_of_many

PEOPLE = ("contact", "lead")


@dataclass
class Entry:
    row: ActivityWrite | Handoff
    activity: Activity


def activity_entries(engine: Engine, adapter: CrmAdapter, record_ids: list[int]) -> list[Entry]:
    """One entry per touchpoint of these people not yet written (a new ledger row for a new
    touchpoint). Entries on a record the touchpoint is no longer linked to (an undone link) are
    taken off that record first."""
    todo: list[Entry] = []
    stale: list[ActivityWrite] = []
    if not record_ids:
        return todo
    with write_scope(engine) as session:
        records = session.exec(
            select(CrmRecord).where(
                col(CrmRecord.id).in_(record_ids),
                CrmRecord.deleted == False,  # noqa: E712
                col(CrmRecord.object_type).in_(PEOPLE),
            )
        ).all()
        ids = [id_of(r) for r in records]
        ledgers: dict[int, dict[int | None, ActivityWrite]] = defaultdict(dict)
        for w in session.exec(select(ActivityWrite).where(col(ActivityWrite.record_id).in_(ids))):
            ledgers[w.record_id][w.touchpoint_id] = w
        touchpoints = touchpoints_of_many(session, ids)
        for record in records:
            assert record.id is not None
            ledger = ledgers[record.id]
            current = touchpoints.get(record.id, [])
            linked = {tp.id for tp in current}
            # (tid None: the touchpoint aged out; its activity stays in the CRM's history)
            stale += [
                w
                for tid, w in ledger.items()
                if tid is not None and tid not in linked and w.activity_id
            ]
            for tp in current:
                assert tp.id is not None
                write = ledger.get(tp.id)
                if write is None:
                    write = ActivityWrite(
                        touchpoint_id=tp.id, record_id=record.id, crm=adapter.name
                    )
                    session.add(write)
                if write.status in WriteStatus.open():
                    todo.append(Entry(write, activity_for(tp, record)))
    if stale:
        adapter.delete_activities([w.activity_id for w in stale if w.activity_id])
        with write_scope(engine) as session:
            session.execute(
                delete(ActivityWrite).where(col(ActivityWrite.id).in_([w.id for w in stale]))
            )
    return todo


def handoff_entries(engine: Engine, record_ids: list[int], public_url: str) -> list[Entry]:
    """One follow-up task for the owner per hand-off not yet written."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(Handoff, CrmRecord)
            .join(CrmRecord, col(CrmRecord.id) == Handoff.record_id)
            .where(
                col(Handoff.record_id).in_(record_ids),
                col(Handoff.status).in_(WriteStatus.open()),
                col(CrmRecord.object_type).in_(PEOPLE),
            )
        )
        return [Entry(h, handoff_activity(h, r, public_url)) for h, r in rows]


def send(
    engine: Engine,
    adapter: CrmAdapter,
    entries: list[Entry],
    kind: str,
    report: RunReport,
    between: Callable[[], None] | None = None,
) -> int:
    """Send the entries a batch at a time (`between` runs between two batches); returns how
    many were written. A batch refused for now leaves the rest unsent, as `in_chunks` does."""
    written = 0
    for start in range(0, len(entries), adapter.batch_size):
        if start and between is not None:
            between()
        part = entries[start : start + adapter.batch_size]
        done, refused = _send(engine, adapter, part, kind, report)
        written += done
        if refused is not None:
            for entry in entries[start + adapter.batch_size :]:
                report.note(entry.row.record_id, Outcome.UNSENT, wait_s=refused)
            break
    return written


def _send(
    engine: Engine, adapter: CrmAdapter, entries: list[Entry], kind: str, report: RunReport
) -> tuple[int, float | None]:
    """Mark the entries 'sending', send them, record each answer; returns how many were
    written, and the wait asked for when the CRM refused them for now (else None). What is
    refused for now, or unanswered, keeps its record pending in `report`; what is refused for
    good is dead-lettered (`kind`)."""
    if not entries:
        return 0, None
    with write_scope(engine) as session:
        for model, ids in _ids_by_model(entries).items():
            session.execute(
                update(model).where(col(model.id).in_(ids)).values(status=WriteStatus.SENDING)
            )
    for entry in entries:
        entry.row.status = WriteStatus.SENDING
    results = adapter.write_activities([e.activity for e in entries])
    written = 0
    with write_scope(engine) as session:
        rows = _stored(session, entries)
        for entry, result in zip(entries, results, strict=True):
            row = rows.get((type(entry.row), id_of(entry.row)))
            if row is None:  # removed meanwhile (a merge in the CRM moved the ledger): no mark
                written += result.ok
                continue
            if result.ok:
                row.status, row.activity_id = WriteStatus.WRITTEN, result.crm_id
                if isinstance(row, ActivityWrite):
                    row.written_at = utcnow()
                written += 1
            elif not result.sent:
                row.status = WriteStatus.PENDING  # never left: nothing can have landed
                report.note(row.record_id, Outcome.UNSENT, wait_s=result.retry_after)
            elif result.retryable:
                # Stays 'sending': it may have landed, and goes out again as an upsert.
                report.note(
                    row.record_id,
                    Outcome.RETRY,
                    wait_s=result.retry_after,
                    error=result.error or "",
                )
            else:
                row.status = WriteStatus.FAILED
                session.flush()
                session.add(
                    DeadLetter(
                        kind=kind,
                        ref_id=row.id,
                        error=result.error or "not written",
                        payload={"key": entry.activity.key, "subject": entry.activity.subject},
                    )
                )
    for entry in entries:  # the caller's rows as they were stored
        entry.row = rows.get((type(entry.row), id_of(entry.row)), entry.row)
    # The whole batch refused for now (not a record or two of it): the CRM asked us to wait.
    whole = all(r.retryable and not r.ok for r in results)
    return written, max(r.retry_after for r in results) if whole else None


def _ids_by_model(entries: list[Entry]) -> dict[type[ActivityWrite] | type[Handoff], list[int]]:
    out: dict[type[ActivityWrite] | type[Handoff], list[int]] = defaultdict(list)
    for entry in entries:
        out[type(entry.row)].append(id_of(entry.row))
    return out


def _stored(
    session: Session, entries: list[Entry]
) -> dict[tuple[type, int], ActivityWrite | Handoff]:
    """The entries' ledger rows as stored, by (model, id), in two queries."""
    ids = _ids_by_model(entries)
    rows: dict[tuple[type, int], ActivityWrite | Handoff] = {}
    for write in session.exec(
        select(ActivityWrite).where(col(ActivityWrite.id).in_(ids.get(ActivityWrite, [])))
    ):
        rows[ActivityWrite, id_of(write)] = write
    for handoff in session.exec(select(Handoff).where(col(Handoff.id).in_(ids.get(Handoff, [])))):
        rows[Handoff, id_of(handoff)] = handoff
    return rows
