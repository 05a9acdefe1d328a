"""Write pending findings onto CRM records: coalesced per record, only changed fields, batched.

`SyncRequest` rows are the outbox (outbox.py says when each is due). A run claims the due ones
with a lease (so two workers never write the same record at once), then writes in three kinds,
each for the records every earlier kind went through for:

1. hand-offs: one follow-up task for the owner per hand-off, first as the urgent kind
   (ledger.py);
2. fields: the wanted values diffed against `SyncState` (what was last written), all records
   of a type handed to the adapter at once (it cuts the batches);
3. activities: one timeline entry per touchpoint (ledger.py).

Every write reports its outcome into one `RunReport`; `_settle` then drops, backs off or
dead-letters each claimed request from its record's outcome, by the `CRM_WRITE` policy.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, select

from enrich import defaults
from enrich.db import session_scope, write_scope
from enrich.errors import CRMAuthError, CRMError, StorageUnavailable
from enrich.models import CrmRecord, DeadLetter, Handoff, SyncRequest, SyncState, id_of, utcnow
from enrich.retry import CRM_WRITE, RetryPolicy
from enrich.runtime import current
from enrich.services import attribution
from enrich.sync import alerts, budget, outbox
from enrich.sync import ledger as ledgers
from enrich.sync.adapter import CrmAdapter
from enrich.sync.connect import make_adapter
from enrich.sync.fields import FieldMap
from enrich.sync.payload import account_values, person_values
from enrich.sync.report import Outcome, RunReport

log = logging.getLogger("enrich.sync")
PASS_LIMIT = 2000  # records claimed per run; a pass runs again while it claims this many
Changes = list[tuple[CrmRecord, dict[str, Any]]]


def run(
    engine: Engine,
    adapter: CrmAdapter,
    fields: FieldMap,
    public_url: str,
    *,
    limit: int = 2000,
    lease_s: float = 120.0,
    window_s: float = 0.0,
    policy: RetryPolicy = CRM_WRITE,
    inside: set[int] | None = None,
) -> dict[str, int]:
    """One pass over due sync requests; returns counts (see `RunReport.stats`). News that
    arrived for a record during the pass is due `window_s` later (at once if urgent).
    `inside`: this is a hand-off pass run within a routine one (which holds the lease and
    claimed these records), for the hand-offs of every other record.

    Raises CRMAuthError when the CRM refuses the credentials: that is no record's fault, so
    the claimed records wait (no attempt spent) and the caller raises one alert."""
    started = time.monotonic()
    report = RunReport(*outbox.claim(engine, limit, lease_s, inside, window_s), lap_at=started)
    if not report.claimed:
        return report.stats()
    report.lap("claim")
    calls_before = adapter.calls

    def interlude() -> None:
        """Hand-offs that came due while this routine pass writes go out now, not when it
        ends: a pass over a busy window takes seconds to tens of seconds."""
        if report.handoff_only or inside is not None or outbox.handoff_due_in(engine) != 0.0:
            return
        _guarded(report, report.open(), partial(_handoffs, engine, adapter, public_url, report))
        run(
            engine,
            adapter,
            fields,
            public_url,
            limit=limit,
            lease_s=lease_s,
            window_s=window_s,
            policy=policy,
            inside=set(report.claimed),
        )
        report.lap("hand-offs meanwhile")

    try:
        _write(engine, adapter, fields, public_url, report, lease_s, interlude)
    except (CRMAuthError, StorageUnavailable):
        # Hand the records back now rather than hold them for the lease: what was sent is
        # re-sent as upserts on its key, and unchanged fields are not sent again.
        _stubborn(outbox.release, engine, sorted(report.claimed))
        raise
    finally:
        report.calls = adapter.calls - calls_before
    _stubborn(_settle, engine, report, policy, window_s)
    report.lap("settle")
    log.info(
        "sync pass (%s): %d records, %d hand-offs (oldest made %.2f s before the pass), "
        "%d activities, %d calls, %.2f s (%s)",
        "hand-offs" if report.handoff_only else "routine",
        len(report.claimed),
        report.handoffs,
        report.handoff_waited_s,
        report.activities,
        report.calls,
        time.monotonic() - started,
        ", ".join(f"{phase} {s:.2f}" for phase, s in report.phases.items()),
    )
    return report.stats()


def _write(
    engine: Engine,
    adapter: CrmAdapter,
    fields: FieldMap,
    public_url: str,
    report: RunReport,
    lease_s: float,
    interlude: Callable[[], None],
) -> None:
    # Hand-offs first: they are the urgent writes (an owner should follow up now), and they
    # need nothing of the rest (the task names the record, which exists). Those that come due
    # later in the pass go out between its calls (`interlude`).
    people = report.open()
    _guarded(report, people, partial(_handoffs, engine, adapter, public_url, report))
    report.lap("hand-offs")
    for object_type, changes in _changes(engine, adapter, fields, public_url, report).items():
        ids = [r.id for r, _ in changes if r.id is not None]
        report.lap("changes")
        interlude()
        _guarded(report, ids, partial(_write_fields, engine, adapter, object_type, changes, report))
        report.lap("fields")
    outbox.renew(engine, report.open(), lease_s)
    people = report.open(routine=True)

    def activities() -> None:
        entries = ledgers.activity_entries(engine, adapter, people)
        report.lap("activity entries")
        interlude()
        report.activities += ledgers.send(
            engine, adapter, entries, "activity", report, between=interlude
        )

    _guarded(report, people, activities)
    report.lap("activities")


def _handoffs(engine: Engine, adapter: CrmAdapter, public_url: str, report: RunReport) -> None:
    """The waiting hand-offs of the records still open in this pass."""
    entries = ledgers.handoff_entries(engine, report.open(), public_url)
    waited = [
        (utcnow() - e.row.created_at).total_seconds() for e in entries if isinstance(e.row, Handoff)
    ]
    report.handoff_waited_s = max([report.handoff_waited_s, *waited])
    report.handoffs += ledgers.send(engine, adapter, entries, "handoff", report)


def _guarded(report: RunReport, record_ids: list[int], write: Callable[[], None]) -> None:
    """Run one kind of write; a call that fails as a whole fails it for all `record_ids`,
    except refused credentials, which stop the run (no record's fault)."""
    try:
        write()
    except CRMAuthError:
        raise
    except CRMError as exc:
        log.warning("%d records: %s", len(record_ids), exc)
        report.failed(record_ids, exc)


def _changes(
    engine: Engine, adapter: CrmAdapter, fields: FieldMap, public_url: str, report: RunReport
) -> dict[str, Changes]:
    """The fields to write per object type; records with none are counted unchanged, and
    records that are not ours to write (another CRM, deleted, an object RevOps left out) are
    skipped by every kind of write."""
    by_type: dict[str, Changes] = {}
    with session_scope(engine) as session:
        routine = report.open(routine=True)
        records = session.exec(select(CrmRecord).where(col(CrmRecord.id).in_(routine)))
        last = {
            (s.record_id, s.field): s.value
            for s in session.exec(select(SyncState).where(col(SyncState.record_id).in_(routine)))
        }
        ours = []
        for record in records:
            assert record.id is not None
            if (
                record.object_type not in ("account", "opportunity", *fields.people)
                or record.crm != adapter.name
                or record.deleted
            ):
                report.skipped.add(record.id)
            else:
                ours.append(record)
        accounts = [r for r in ours if r.object_type == "account"]
        deals = [r for r in ours if r.object_type == "opportunity"]
        values = account_values(session, accounts) | person_values(
            session, [r for r in ours if r.object_type in fields.people], public_url
        )
        if deals:
            window = timedelta(days=current().settings.attribution_window_days)
            values |= attribution.opportunity_values(session, deals, window)
        names_of = {"account": fields.account, "opportunity": fields.opportunity}
        for record in ours:
            assert record.id is not None
            wanted = values.get(record.id, {})  # an opportunity without a creation time: none
            names = names_of.get(record.object_type, fields.person)
            changes = {
                name: value
                for meaning, value in wanted.items()
                if (name := names.get(meaning)) and last.get((record.id, name)) != _text(value)
            }
            if changes:
                by_type.setdefault(record.object_type, []).append((record, changes))
            else:
                report.unchanged += 1
    return by_type


def _write_fields(
    engine: Engine, adapter: CrmAdapter, object_type: str, changes: Changes, report: RunReport
) -> None:
    results = adapter.write_fields(object_type, [(r.crm_id, c) for r, c in changes])
    with write_scope(engine) as session:
        _remember(session, [c for c, result in zip(changes, results, strict=True) if result.ok])
        for (record, values), result in zip(changes, results, strict=True):
            assert record.id is not None
            if result.ok:
                report.written += 1
            elif not result.sent:
                report.note(record.id, Outcome.UNSENT, wait_s=result.retry_after)
            elif result.retryable:
                report.note(
                    record.id, Outcome.RETRY, wait_s=result.retry_after, error=result.error or ""
                )
            else:
                report.note(
                    record.id,
                    Outcome.DEAD,
                    error=result.error or "not written",
                    payload={"crm_id": record.crm_id, "fields": values},
                )


def _remember(session: Session, written: Changes) -> None:
    """What each record now shows, per field, for the next pass to compare with."""
    ids = [id_of(record) for record, _ in written]
    states = {
        (s.record_id, s.field): s
        for s in session.exec(select(SyncState).where(col(SyncState.record_id).in_(ids)))
    }
    now = utcnow()
    for record, changes in written:
        for name, value in changes.items():
            state = states.get((id_of(record), name)) or SyncState(
                record_id=id_of(record), field=name
            )
            state.value = _text(value)
            state.written_at = now
            session.add(state)


def _settle(engine: Engine, report: RunReport, policy: RetryPolicy, window_s: float) -> None:
    """Each claimed request from its record's outcome, in one transaction: done and dead
    ones are dropped (unless new work arrived meanwhile: then due again now), the others
    wait, spending an attempt if they were sent, until the policy dead-letters them."""
    now = utcnow()
    with write_scope(engine) as session:
        attempts = dict(
            session.execute(
                select(col(SyncRequest.record_id), col(SyncRequest.attempts)).where(
                    col(SyncRequest.record_id).in_(report.claimed)
                )
            ).all()
        )
        again: list[int] = []
        for record_id, requested_at in report.claimed.items():
            if record_id not in attempts:
                continue  # erased meanwhile
            result = report.outcome(record_id)
            tries = attempts[record_id] + (result.outcome is Outcome.RETRY)
            routine_due = report.handoff_only.get(record_id)
            if routine_due is not None and result.outcome is Outcome.DONE:
                # Its hand-off is written; its routine news still waits out the window.
                session.execute(
                    update(SyncRequest)
                    .where(col(SyncRequest.record_id) == record_id)
                    .values(next_attempt_at=routine_due, attempts=0, last_error=None)
                )
                continue
            throttled = result.wait_s > 0
            if result.outcome is Outcome.RETRY and policy.exhausted(tries, throttled=throttled):
                result.outcome = Outcome.DEAD
            if result.outcome in (Outcome.DONE, Outcome.DEAD):
                if result.outcome is Outcome.DEAD:
                    session.add(
                        DeadLetter(
                            kind="sync",
                            ref_id=record_id,
                            error=result.error,
                            payload=result.payload,
                            attempts=tries,
                        )
                    )
                    log.warning("sync of record %s dead-lettered: %s", record_id, result.error)
                session.execute(
                    delete(SyncRequest).where(
                        col(SyncRequest.record_id) == record_id,
                        col(SyncRequest.requested_at) == requested_at,
                    )
                )
                again.append(record_id)  # still there: new work arrived during the run
                continue
            values: dict[str, Any] = {"next_attempt_at": now + policy.wait(tries, result.wait_s)}
            if result.outcome is Outcome.RETRY:
                values.update(attempts=tries, last_error=result.error[:2000])
            session.execute(
                update(SyncRequest).where(col(SyncRequest.record_id) == record_id).values(**values)
            )
        if again:  # news that arrived during the run waits out a window of its own
            session.execute(
                update(SyncRequest)
                .where(col(SyncRequest.record_id).in_(again))
                .values(next_attempt_at=now + timedelta(seconds=window_s))
            )


def _stubborn(func: Callable[..., None], *args: Any) -> None:
    """`func(*args)`, again after a growing pause (0.1 s ... 1.6 s) while the database is
    unavailable: a SQLite write lock held by a burst of ingest is gone within seconds, and
    giving up here would leave the records claimed for the whole lease."""
    for pause in (0.1, 0.2, 0.4, 0.8, 1.6):
        try:
            func(*args)
            return
        except StorageUnavailable:
            time.sleep(pause)
    func(*args)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def sync_pending() -> dict[str, int]:
    """Job: run due CRM writes with the configured CRM (no-op when none is configured)."""
    rt = current()
    settings = rt.settings
    if settings.crm == "none":
        return {}
    budget_calls = budget.daily_limit(rt.engine, settings)
    if budget.remaining(rt.engine, settings.crm, budget_calls) <= 0:
        log.warning(
            "daily CRM API budget of %d calls spent: writes wait for tomorrow (UTC)", budget_calls
        )
        return {"budget_exhausted": 1}
    if alerts.open_alert(rt.engine, settings) is not None:
        log.warning(
            "CRM credentials refused earlier (see the 'crm_auth' dead letter): writes "
            "wait until they are fixed or the letter is replayed"
        )
        return {"auth_failed": 1}
    while not outbox.anything_due(rt.engine):
        # A hand-off due within seconds is waited for here, not left to the next scheduler
        # tick (up to SYNC_EVERY_S later): that wait would be most of its latency. A hint
        # (another batch processed) ends the wait early, to look again.
        wait = outbox.handoff_due_in(rt.engine)
        if wait is None or wait > defaults.SYNC_URGENT_S:
            return {}  # the common case between windows: no adapter, no call
        rt.queue.idle("sync", wait + 0.01)
    public_url = settings.public_url or f"http://{settings.host}:{settings.port}"
    with outbox.pass_lease(rt.engine) as held:
        if not held:  # another process is writing; what it leaves due, the next pass takes
            return {"busy": 1}
        adapter = None
        try:
            adapter = make_adapter(settings)
            total: dict[str, int] = {}
            while True:
                stats = run(
                    rt.engine,
                    adapter,
                    adapter.fields,
                    public_url,
                    limit=PASS_LIMIT,
                    lease_s=settings.sync_lease_s,
                    window_s=settings.sync_window_s,
                )
                total = {k: total.get(k, 0) + v for k, v in stats.items()}
                if stats["records"] < PASS_LIMIT:  # nothing more due (a backlog: go on)
                    return total
        except CRMAuthError as exc:
            alerts.raise_alert(rt.engine, settings, exc)
            return {"auth_failed": 1}
        finally:
            if adapter is not None:
                budget.charge(rt.engine, settings.crm, adapter.calls, adapter.api_limit())
