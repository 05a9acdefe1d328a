"""Write pending findings onto CRM records: coalesced per record, only changed fields, batched.

`SyncRequest` rows are the outbox. A run claims the due ones with a lease (so two workers never
write the same record at once), diffs the wanted values against `SyncState` (what was last
written), sends the changes in batches at the CRM's limit, and records what landed. Retryable
failures back off with jitter; what keeps failing is parked in `DeadLetter` for replay.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, delete, update
from sqlmodel import col, select

from enrich import defaults
from enrich.db import session_scope
from enrich.errors import (
    CRMAuthError,
    CRMError,
    CRMPermanent,
    CRMRateLimited,
    CRMRetryable,
    StorageUnavailable,
)
from enrich.models import (
    ActivityWrite,
    ApiUsage,
    CrmRecord,
    DeadLetter,
    Handoff,
    SyncRequest,
    SyncState,
    utcnow,
)
from enrich.scores import touchpoints_of
from enrich.sync import alerts, budget
from enrich.sync.adapter import Activity, CrmAdapter
from enrich.sync.fields import FieldMap
from enrich.sync.payload import account_values, activity_for, handoff_activity, person_values

log = logging.getLogger("enrich.sync")


def _claim(engine: Engine, limit: int, lease_s: float) -> dict[int, Any]:
    """Lease due requests; returns record_id -> requested_at as claimed."""
    now = utcnow()
    with session_scope(engine) as session:
        due = list(session.exec(
            select(SyncRequest.id).where(col(SyncRequest.next_attempt_at) <= now)
            .order_by(col(SyncRequest.next_attempt_at)).limit(limit)))
        if not due:
            return {}
        claimed = session.execute(
            update(SyncRequest)
            .where(col(SyncRequest.id).in_(due), col(SyncRequest.next_attempt_at) <= now)
            .values(next_attempt_at=now + timedelta(seconds=lease_s))
            .returning(col(SyncRequest.record_id), col(SyncRequest.requested_at))
        ).all()
    return {record_id: requested_at for record_id, requested_at in claimed}


def _renew(engine: Engine, record_ids: set[int], lease_s: float) -> None:
    """Extend the lease between phases, so a long run keeps its records to itself."""
    if record_ids:
        with session_scope(engine) as session:
            session.execute(update(SyncRequest).where(col(SyncRequest.record_id).in_(record_ids))
                            .values(next_attempt_at=utcnow() + timedelta(seconds=lease_s)))


def _backoff(attempts: int, floor: float = 0.0) -> timedelta:
    base = min(2.0 ** attempts, 900.0)
    return timedelta(seconds=max(floor, base * random.uniform(0.5, 1.0)))


def run(engine: Engine, adapter: CrmAdapter, fields: FieldMap, public_url: str,
        *, limit: int = 2000, lease_s: float = 120.0) -> dict[str, int]:
    """One pass over due sync requests; returns counts (written, unchanged, failed, deferred).

    Raises CRMAuthError when the CRM refuses the credentials: that is no record's fault, so
    the claimed records wait (no attempt spent) and the caller raises one alert."""
    claimed = _claim(engine, limit, lease_s)
    try:
        return _run(engine, adapter, fields, public_url, claimed, lease_s)
    except CRMAuthError as exc:
        _defer(engine, sorted(claimed), exc, attempt=False)
        raise
    except StorageUnavailable:
        # The bookkeeping failed ("database is locked"): what was sent is re-sent as upserts
        # on its key, so hand the records back now rather than hold them for the whole lease.
        _stubborn(_release, engine, sorted(claimed))
        raise


def _stubborn(func: Any, *args: Any) -> Any:
    """`func(*args)`, again after a growing pause (0.1 s ... 1.6 s) while the database is
    unavailable: a SQLite write lock held by a burst of ingest is gone within seconds."""
    for pause in (0.1, 0.2, 0.4, 0.8, 1.6):
        try:
            return func(*args)
        except StorageUnavailable:
            time.sleep(pause)
    return func(*args)


def _release(engine: Engine, record_ids: list[int]) -> None:
    with session_scope(engine) as session:
        session.execute(update(SyncRequest).where(col(SyncRequest.record_id).in_(record_ids))
                        .values(next_attempt_at=utcnow()))


def _run(engine: Engine, adapter: CrmAdapter, fields: FieldMap, public_url: str,
         claimed: dict[int, Any], lease_s: float) -> dict[str, int]:
    stats = {"records": len(claimed), "written": 0, "unchanged": 0, "failed": 0, "deferred": 0,
             "activities": 0, "calls": 0}
    if not claimed:
        return stats
    calls_before = adapter.calls
    by_type: dict[str, list[tuple[CrmRecord, dict[str, Any]]]] = {}
    ignored: set[int] = set()
    with session_scope(engine) as session:
        records = session.exec(select(CrmRecord).where(col(CrmRecord.id).in_(list(claimed))))
        last = {(s.record_id, s.field): s.value for s in session.exec(
            select(SyncState).where(col(SyncState.record_id).in_(list(claimed))))}
        for record in records:
            if record.object_type not in ("account", *fields.people):
                ignored.add(record.id)  # type: ignore[arg-type]  # RevOps left it out
                continue
            if record.crm != adapter.name or record.deleted:
                continue
            if record.object_type == "account":
                wanted, names = account_values(session, record), fields.account
            else:
                wanted, names = person_values(session, record, public_url), fields.person
            changes = {}
            for meaning, value in wanted.items():
                name = names.get(meaning)
                if name and last.get((record.id, name)) != _text(value):  # type: ignore[arg-type]
                    changes[name] = value
            if changes:
                by_type.setdefault(record.object_type, []).append((record, changes))
            else:
                stats["unchanged"] += 1

    done: set[int] = {rid for rid in claimed if not any(
        r.id == rid for batch in by_type.values() for r, _ in batch)}
    deferred: set[int] = set()
    dead: set[int] = set(ignored)  # refused by the CRM (or not ours to write): no activities
    for object_type, batch in by_type.items():
        try:
            # Salesforce hands a large run to Bulk API 2.0 in one job (`fields_chunk`).
            chunk = getattr(adapter, "fields_chunk", lambda n: adapter.batch_size)(len(batch))
            results = _until_retryable(lambda part, t=object_type: adapter.write_fields(t, part),
                                       [(r.crm_id, c) for r, c in batch], chunk)
        except CRMAuthError:
            raise
        except CRMError as exc:
            _defer(engine, [r.id for r, _ in batch], exc)  # type: ignore[misc]
            deferred.update(r.id for r, _ in batch)  # type: ignore[misc]
            stats["deferred"] += len(batch)
            continue
        retry: list[int] = []
        with session_scope(engine) as session:
            for (record, changes), result in zip(batch, results, strict=False):  # sent ones
                if result.ok:
                    _remember(session, record.id, changes)  # type: ignore[arg-type]
                    done.add(record.id)  # type: ignore[arg-type]
                    stats["written"] += 1
                elif result.retryable:
                    retry.append(record.id)  # type: ignore[arg-type]
                    stats["deferred"] += 1
                else:
                    session.add(DeadLetter(kind="sync", ref_id=record.id, error=result.error or "",
                                           payload={"crm_id": record.crm_id, "fields": changes}))
                    done.add(record.id)  # type: ignore[arg-type]
                    dead.add(record.id)  # type: ignore[arg-type]
                    stats["failed"] += 1
        if retry:
            wait = max(r.retry_after for r in results if r.retryable)
            error = CRMRateLimited("retryable write error", retry_after=wait, crm=adapter.name)
            _defer(engine, retry, error)
            # Records after the chunk that failed were never sent: wait, but spend no attempt.
            unsent = [r.id for r, _ in batch[len(results):]]
            _defer(engine, unsent, error, attempt=False)  # type: ignore[arg-type]
            retry += unsent  # type: ignore[arg-type]
            stats["deferred"] += len(unsent)
            deferred.update(retry)
    _renew(engine, done - dead, lease_s)
    try:
        written, retry_ids, unsent_ids, wait = _sync_activities(engine, adapter,
                                                                sorted(done - dead))
        stats["activities"] += written
    except CRMAuthError:
        raise
    except CRMError as exc:
        retry_ids, wait = set(done), 0.0
        # A throttled or unavailable CRM (e.g. the lookup of unsure entries) is no record's
        # fault: back off without spending the records' attempts.
        _defer(engine, sorted(retry_ids), exc, attempt=not isinstance(exc, CRMRetryable))
    else:
        error = CRMRateLimited("retryable activity write error", retry_after=wait,
                               crm=adapter.name)
        if retry_ids:
            _defer(engine, sorted(retry_ids), error)
        if unsent_ids - retry_ids:  # never sent this run: wait, but spend no attempt
            _defer(engine, sorted(unsent_ids - retry_ids), error, attempt=False)
        retry_ids |= unsent_ids
    deferred |= retry_ids
    done -= retry_ids
    try:
        stats["handoffs"], handoff_retry, wait = _sync_handoffs(
            engine, adapter, sorted(done - dead), public_url)
    except CRMAuthError:
        raise
    except CRMError as exc:
        # The hand-offs stay pending and so do their records' requests: the next run sends them.
        handoff_retry = done - dead
        _defer(engine, sorted(handoff_retry), exc, attempt=not isinstance(exc, CRMRetryable))
    else:
        _defer(engine, sorted(handoff_retry), CRMRateLimited(
            "retryable hand-off write error", retry_after=wait, crm=adapter.name))
    deferred |= handoff_retry
    done -= handoff_retry
    _stubborn(_finish, engine, claimed, done, deferred)
    stats["calls"] = adapter.calls - calls_before
    return stats


def _until_retryable(send: Any, items: list[Any], size: int) -> list[Any]:
    """Send chunk by chunk and stop after the first chunk with a retryable failure; returns the
    results of the chunks sent, a prefix of `items` (the rest were never sent)."""
    results: list[Any] = []
    for start in range(0, len(items), size):
        part = send(items[start : start + size])
        results += part
        if any(r.retryable for r in part):
            break
    return results


def _sync_activities(engine: Engine, adapter: CrmAdapter,
                     record_ids: list[int]) -> tuple[int, set[int], set[int], float]:
    """One timeline entry per touchpoint: ledger first, then the CRM, then the ledger again.

    Entries of all records go out together, in batches at the CRM's limit. A row left 'sending'
    by a crash is looked up in the CRM before anything is resent (HubSpot), and Salesforce Tasks
    are upserted on their external id, so no touchpoint is ever written twice. Entries after a
    chunk that failed were never sent: they go back to 'pending' (nothing to look up next time).
    Returns (entries written, records to retry, records with entries never sent, seconds the
    CRM asked us to wait).
    """
    todo: list[tuple[ActivityWrite, Activity]] = []
    stale: list[ActivityWrite] = []  # entries on a record the touchpoint is no longer linked to
    with session_scope(engine) as session:
        records = session.exec(select(CrmRecord).where(
            col(CrmRecord.id).in_(record_ids), CrmRecord.deleted == False,  # noqa: E712
            col(CrmRecord.object_type).in_(("contact", "lead"))))
        for record in records:
            ledger = {w.touchpoint_id: w for w in session.exec(
                select(ActivityWrite).where(ActivityWrite.record_id == record.id))}
            current = touchpoints_of(session, record.id)  # type: ignore[arg-type]
            linked = {tp.id for tp in current}
            # (tid None: the touchpoint aged out; its activity stays in the CRM's history)
            stale += [w for tid, w in ledger.items()
                      if tid is not None and tid not in linked and w.activity_id]
            for tp in current:
                write = ledger.get(tp.id)
                if write is None:
                    write = ActivityWrite(touchpoint_id=tp.id, record_id=record.id,  # type: ignore[arg-type]
                                          crm=adapter.name)
                    session.add(write)
                if write.status not in ("written", "failed"):
                    todo.append((write, activity_for(tp, record)))
    if stale:
        # Undo of a wrong link: take its timeline entries off the wrong record.
        adapter.delete_activities([w.activity_id for w in stale if w.activity_id])
        with session_scope(engine) as session:
            session.execute(delete(ActivityWrite).where(
                col(ActivityWrite.id).in_([w.id for w in stale])))
    if not todo:
        return 0, set(), set(), 0.0
    found: dict[str, str] = {}
    with session_scope(engine) as session:
        todo = [(session.merge(write), activity) for write, activity in todo]
        for write, _ in todo:
            write.status = "sending"
    to_send = [a for _, a in todo if a.key not in found]
    sent = _until_retryable(adapter.write_activities, to_send, adapter.batch_size)
    results = {a.key: r for a, r in zip(to_send, sent, strict=False)}
    written, retry, unsent, wait = 0, set(), set(), 0.0
    with session_scope(engine) as session:
        for write, activity in todo:
            write = session.merge(write)
            result = results.get(activity.key)
            if result is None and activity.key not in found:
                write.status = "pending"  # never sent (and, if it was unsure, looked up: absent)
                unsent.add(write.record_id)
                continue
            if activity.key in found:
                write.status, write.activity_id = "written", found[activity.key]
            elif result is not None and result.ok:
                write.status, write.activity_id = "written", result.crm_id
            elif result is not None and result.retryable:
                # Stays 'sending': the CRM may have created it before failing to answer.
                retry.add(write.record_id)
                wait = max(wait, result.retry_after)
                continue
            else:
                write.status = "failed"
                session.flush()
                session.add(DeadLetter(kind="activity", ref_id=write.id,
                                       error=(result.error if result else None) or "not written",
                                       payload={"key": activity.key, "subject": activity.subject}))
                continue
            write.written_at = utcnow()
            written += 1
    return written, retry, unsent, wait


def _sync_handoffs(engine: Engine, adapter: CrmAdapter, record_ids: list[int],
                   public_url: str) -> tuple[int, set[int], float]:
    """One follow-up task for the owner per hand-off, idempotent on its key like activities.

    A hand-off left 'sending' (a 503 or timeout whose outcome is unknown) is looked up in the
    CRM before anything is resent (HubSpot notes carry their key; Salesforce upserts on it),
    and the look-up comes before marking, so a failed look-up leaves nothing new unsure."""
    with session_scope(engine) as session:
        rows = list(session.exec(select(Handoff, CrmRecord).join(
            CrmRecord, col(CrmRecord.id) == Handoff.record_id).where(
            col(Handoff.record_id).in_(record_ids), col(Handoff.status).in_(("pending", "sending")),
            col(CrmRecord.object_type).in_(("contact", "lead")))))
        if not rows:
            return 0, set(), 0.0
        activities = [handoff_activity(h, r, public_url) for h, r in rows]
    found: dict[str, str] = {}
    with session_scope(engine) as session:
        for handoff, _ in rows:
            handoff.status = "sending"
            session.merge(handoff)
    to_send = [a for a in activities if a.key not in found]
    sent = dict(zip([a.key for a in to_send], adapter.write_activities(to_send) if to_send
                    else [], strict=True))
    written, retry, wait = 0, set(), 0.0
    with session_scope(engine) as session:
        for (handoff, _), activity in zip(rows, activities, strict=True):
            handoff = session.merge(handoff)
            if activity.key in found:
                handoff.status, handoff.activity_id = "written", found[activity.key]
                written += 1
                continue
            result = sent[activity.key]
            if result.ok:
                handoff.status, handoff.activity_id = "written", result.crm_id
                written += 1
            elif result.retryable:
                # Stays 'sending' (the CRM may have created it) and its record stays pending.
                retry.add(handoff.record_id)
                wait = max(wait, result.retry_after)
            else:
                handoff.status = "failed"
                session.add(DeadLetter(kind="handoff", ref_id=handoff.id,
                                       error=result.error or "not written"))
    return written, retry, wait


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _remember(session: Any, record_id: int, changes: dict[str, Any]) -> None:
    states = {s.field: s for s in session.exec(
        select(SyncState).where(SyncState.record_id == record_id,
                                col(SyncState.field).in_(list(changes))))}
    for name, value in changes.items():
        state = states.get(name) or SyncState(record_id=record_id, field=name)
        state.value = _text(value)
        state.written_at = utcnow()
        session.add(state)


def _finish(engine: Engine, claimed: dict[int, Any], done: set[int], deferred: set[int]) -> None:
    """Drop requests that landed, unless new work arrived for them meanwhile."""
    with session_scope(engine) as session:
        for record_id in done:
            session.execute(delete(SyncRequest).where(
                col(SyncRequest.record_id) == record_id,
                col(SyncRequest.requested_at) == claimed[record_id]))
        # Still here and not backing off: new work arrived during the run, so due again now.
        again = [rid for rid in claimed if rid not in deferred]
        session.execute(update(SyncRequest).where(col(SyncRequest.record_id).in_(again))
                        .values(next_attempt_at=utcnow()))


def _defer(engine: Engine, record_ids: list[int], exc: CRMError, attempt: bool = True) -> None:
    """Back off; `attempt=False` for records that were not sent at all (spends no attempt)."""
    if not record_ids:
        return
    floor = exc.retry_after if isinstance(exc, CRMRateLimited) else 0.0
    log.warning("sync of %d records deferred: %s", len(record_ids), exc)
    with session_scope(engine) as session:
        for request in session.exec(
                select(SyncRequest).where(col(SyncRequest.record_id).in_(record_ids))):
            if not attempt:
                request.next_attempt_at = utcnow() + _backoff(request.attempts, floor)
                continue
            request.attempts += 1
            request.last_error = str(exc)[:2000]
            # "Slow down" is not a fault of the record: rate-limited work waits, never parks.
            throttled = isinstance(exc, CRMRateLimited) and exc.retry_after > 0
            if isinstance(exc, CRMPermanent) or (
                    request.attempts >= defaults.MAX_SYNC_ATTEMPTS and not throttled):
                session.add(DeadLetter(kind="sync", ref_id=request.record_id, error=str(exc),
                                       attempts=request.attempts))
                session.delete(request)
            else:
                request.next_attempt_at = utcnow() + _backoff(request.attempts, floor)


def budget_limit(engine: Engine, settings: Any) -> int:
    """The configured budget, lowered to a share of the org's allocation once the CRM told it."""
    from sqlmodel import Session

    with Session(engine) as session:
        seen = session.exec(select(ApiUsage.limit_seen).where(
            ApiUsage.crm == settings.crm, col(ApiUsage.limit_seen).is_not(None))
            .order_by(col(ApiUsage.id).desc())).first()
    if seen:
        return min(int(settings.crm_daily_budget), int(seen * settings.crm_budget_share))
    return int(settings.crm_daily_budget)


def _limit_seen(adapter: Any) -> int | None:
    """Salesforce reports the org's daily allocation on every answer (Sforce-Limit-Info)."""
    usage = getattr(getattr(adapter, "sf", None), "api_usage", None) or {}
    total = getattr(usage.get("api-usage"), "total", None)
    return int(total) if total else None


def sync_pending() -> dict[str, int]:
    """Job: run due CRM writes with the configured CRM (no-op when none is configured)."""
    from enrich.runtime import current
    from enrich.sync.adapter import make_adapter

    rt = current()
    settings = rt.settings
    if settings.crm == "none":
        return {}
    budget_calls = budget_limit(rt.engine, settings)
    if budget.remaining(rt.engine, settings.crm, budget_calls) <= 0:
        log.warning("daily CRM API budget of %d calls spent: writes wait for tomorrow (UTC)",
                    budget_calls)
        return {"budget_exhausted": 1}
    if alerts.open_alert(rt.engine, settings) is not None:
        log.warning("CRM credentials refused earlier (see the 'crm_auth' dead letter): writes "
                    "wait until they are fixed or the letter is replayed")
        return {"auth_failed": 1}
    public_url = settings.public_url or f"http://{settings.host}:{settings.port}"
    adapter = None
    try:
        adapter = make_adapter(settings)
        fields = getattr(adapter, "fields", None) or FieldMap.from_settings(settings)
        return run(rt.engine, adapter, fields, public_url,
                   lease_s=settings.sync_lease_s)
    except CRMAuthError as exc:
        alerts.raise_alert(rt.engine, settings, exc)
        return {"auth_failed": 1}
    finally:
        if adapter is not None:
            budget.charge(rt.engine, settings.crm, adapter.calls, _limit_seen(adapter))
