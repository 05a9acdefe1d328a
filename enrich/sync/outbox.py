"""The sync outbox: a record with news for its CRM, and when that news is due.

One `SyncRequest` row per record, coalescing every finding about it until it is written.
Routine news (a score, interests, the last touch) is due `ENRICH_SYNC_WINDOW_S` after the
record's first request, so what arrives within the window goes out in one write and in full
batches. A hand-off waiting to be written (its owner should follow up now) is due at once, on
its own: the record's routine news keeps waiting out its window (`due`).
One sync pass runs at a time across every process (`pass_lease`), whatever the number of
web processes, workers and schedulers that ask for one; it leases the requests it writes
(`claim`), and hands them back early when it must stop (`release`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, exists, func, or_, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from enrich import defaults
from enrich.db import file_lock, rowcount, write_scope
from enrich.models import Handoff, SyncRequest, WriteStatus, table_of, utcnow
from enrich.runtime import current

# pg_try_advisory_lock key of the sync pass (any constant unique within enrich).
PG_LOCK_KEY = 0x656E7379  # "ensy"


def waiting_handoff(record_id: Any, created_by: datetime | None = None) -> Any:
    """SQL: the record has a hand-off waiting to be written (its owner should follow up now),
    created by `created_by` when given."""
    clause = exists().where(
        Handoff.record_id == record_id, col(Handoff.status).in_(WriteStatus.open())
    )
    return clause.where(col(Handoff.created_at) <= created_by) if created_by else clause


def handoff_only() -> Any:
    """SQL: a request with a hand-off waiting, not backing off after a failure (then it waits
    like the rest)."""
    return and_(col(SyncRequest.attempts) == 0, waiting_handoff(SyncRequest.record_id))


def due(now: datetime) -> Any:
    """SQL: a request a sync pass should take now. Its routine news is due at
    `next_attempt_at`; a hand-off `SYNC_URGENT_S` after it was created (hand-offs made
    meanwhile go in the same call: a stream makes one call per few seconds, not one per
    hand-off), unless the request is backing off."""
    urgent_by = now - timedelta(seconds=defaults.SYNC_URGENT_S)
    return or_(
        col(SyncRequest.next_attempt_at) <= now,
        and_(col(SyncRequest.attempts) == 0, waiting_handoff(SyncRequest.record_id, urgent_by)),
    )


def request_sync(session: Session, record_id: int, *, window_s: float | None = None) -> None:
    """Mark a record as having news for its CRM, due after the window (`window_s`: the
    runtime's ENRICH_SYNC_WINDOW_S unless given) from its first news.

    Plain SQL, not ORM updates: a writer in another process may delete the row at any moment
    (its run finished); that must not fail this transaction. A waiting, leased or backing-off
    request keeps its time; the writer sees the newer `requested_at` and runs the record again.
    """
    now = utcnow()
    changed = rowcount(
        session.execute(
            update(SyncRequest)
            .where(col(SyncRequest.record_id) == record_id)
            .values(requested_at=now)
        )
    )
    if changed:
        return
    window = current().settings.sync_window_s if window_s is None else window_s
    try:
        with session.begin_nested():
            session.add(
                SyncRequest(
                    record_id=record_id,
                    requested_at=now,
                    next_attempt_at=now + timedelta(seconds=window),
                )
            )
    except IntegrityError:
        pass  # created by another process just now: it runs with our news too


def request_sync_many(session: Session, record_ids: Iterable[int]) -> None:
    """`request_sync` for many records in a few statements (a batch of deliveries, a chunk
    of a recompute): one UPDATE of the waiting requests, one INSERT of the others that skips
    a row another process created meanwhile."""
    ids = sorted(set(record_ids))
    if not ids:
        return
    now = utcnow()
    window = timedelta(seconds=current().settings.sync_window_s)
    table = table_of(SyncRequest)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for start in range(0, len(ids), 500):  # bound parameters per statement
        chunk = ids[start : start + 500]
        session.execute(
            update(SyncRequest)
            .where(col(SyncRequest.record_id).in_(chunk))
            .values(requested_at=now)
        )
        waiting = set(
            session.exec(select(SyncRequest.record_id).where(col(SyncRequest.record_id).in_(chunk)))
        )
        new = [
            {"record_id": r, "requested_at": now, "next_attempt_at": now + window, "attempts": 0}
            for r in chunk
            if r not in waiting
        ]
        if new:
            session.execute(insert(table).on_conflict_do_nothing(index_elements=["record_id"]), new)


def handoff_due_in(engine: Engine) -> float | None:
    """Seconds until the oldest hand-off waiting (of a request not backing off) is due; None
    when none waits."""
    with Session(engine) as session:
        oldest = session.exec(
            select(func.min(Handoff.created_at))
            .join(SyncRequest, col(SyncRequest.record_id) == Handoff.record_id)
            .where(col(Handoff.status).in_(WriteStatus.open()), col(SyncRequest.attempts) == 0)
        ).first()
    if oldest is None:
        return None
    due_at = oldest + timedelta(seconds=defaults.SYNC_URGENT_S)
    return max(0.0, (due_at - utcnow()).total_seconds())


def anything_due(engine: Engine) -> bool:
    with Session(engine) as session:
        return (
            session.exec(select(SyncRequest.id).where(due(utcnow())).limit(1)).first() is not None
        )


@contextmanager
def pass_lease(engine: Engine) -> Iterator[bool]:
    """Hold the right to run a sync pass, if no other process holds it; yields whether it
    does. Both kinds are released by the system when the holder dies (a closed file, a
    closed connection), so a killed worker never blocks the next pass."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            held = bool(
                conn.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": PG_LOCK_KEY}
                ).scalar()
            )
            try:
                yield held
            finally:
                if held:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
                    conn.commit()
        return
    lock = file_lock(engine, "sync").held(wait=False)
    try:
        lock.__enter__()
    except BlockingIOError:
        yield False
        return
    try:
        yield True
    finally:
        lock.__exit__(None, None, None)


def claim(
    engine: Engine,
    limit: int,
    lease_s: float,
    inside: set[int] | None = None,
    window_s: float = 0.0,
) -> tuple[dict[int, Any], dict[int, Any]]:
    """Lease the requests this pass writes. Returns (record_id -> requested_at as claimed, and
    for requests taken only for a hand-off, record_id -> when their routine news is due).

    Once a window ends (a request's routine news is due), every request with news (not one
    backing off after a failure) goes in the same pass: the calls are being made anyway, and a
    window then ends for all the records in it at once, so writes go out in full batches.
    Otherwise the pass takes the retries that are due and every hand-off waiting: a retry of
    one record must not end everyone's window early (their news would go out twice, in two
    sets of batches)."""
    now = utcnow()
    with write_scope(engine) as session:
        if inside is not None:  # within a routine pass: the others' waiting hand-offs alone
            wanted = and_(handoff_only(), col(SyncRequest.record_id).not_in(inside))
            return _lease(
                session, wanted, now, limit, lease_s, full_by=datetime.min.replace(tzinfo=UTC)
            )
        window_ended = (
            session.exec(
                select(SyncRequest.id)
                .where(col(SyncRequest.next_attempt_at) <= now, col(SyncRequest.attempts) == 0)
                .limit(1)
            ).first()
            is not None
        )
        if window_ended:
            wanted = or_(col(SyncRequest.next_attempt_at) <= now, col(SyncRequest.attempts) == 0)
        elif session.exec(select(SyncRequest.id).where(due(now)).limit(1)).first():
            # retries due, and every hand-off waiting, however recent
            wanted = or_(col(SyncRequest.next_attempt_at) <= now, handoff_only())
        else:
            return {}, {}
        return _lease(
            session,
            wanted,
            now,
            limit,
            lease_s,
            full_by=None if window_ended else now,
            window_s=window_s,
        )


def _lease(
    session: Session,
    wanted: Any,
    now: datetime,
    limit: int,
    lease_s: float,
    *,
    full_by: datetime | None,
    window_s: float = 0.0,
) -> tuple[dict[int, Any], dict[int, Any]]:
    """Lease the requests `wanted`. Those due after `full_by` are taken for their hand-offs
    alone, and keep when their routine news is due; with no `full_by`, none is. So is a retry
    whose hand-off still waits (what failed was the hand-off, the first write of a pass): its
    routine news goes out a window after its latest news, not now in a call of its own."""
    waiting = waiting_handoff(SyncRequest.record_id)
    due = session.execute(
        sa_select(  # six columns: more than sqlmodel's typed select takes
            col(SyncRequest.id),
            col(SyncRequest.record_id),
            col(SyncRequest.next_attempt_at),
            col(SyncRequest.attempts),
            col(SyncRequest.requested_at),
            waiting,
        )
        .where(wanted)
        .order_by(col(SyncRequest.next_attempt_at))
        .limit(limit)
    ).all()
    if not due:
        return {}, {}
    claimed = session.execute(
        update(SyncRequest)
        .where(col(SyncRequest.id).in_([row[0] for row in due]))
        .values(next_attempt_at=now + timedelta(seconds=lease_s))
        .returning(col(SyncRequest.record_id), col(SyncRequest.requested_at))
    ).all()
    taken = {record_id: requested_at for record_id, requested_at in claimed}
    if full_by is None:
        return taken, {}
    alone: dict[int, Any] = {}
    for _, record_id, at, attempts, requested_at, has_handoff in due:
        if record_id not in taken:
            continue
        if at > full_by:
            alone[record_id] = at
        elif attempts and has_handoff and requested_at + timedelta(seconds=window_s) > now:
            alone[record_id] = requested_at + timedelta(seconds=window_s)
    return taken, alone


def renew(engine: Engine, record_ids: list[int], lease_s: float) -> None:
    """Extend the lease between phases, so a long run keeps its records to itself."""
    if record_ids:
        with write_scope(engine) as session:
            session.execute(
                update(SyncRequest)
                .where(col(SyncRequest.record_id).in_(record_ids))
                .values(next_attempt_at=utcnow() + timedelta(seconds=lease_s))
            )


def release(engine: Engine, record_ids: list[int]) -> None:
    with write_scope(engine) as session:
        session.execute(
            update(SyncRequest)
            .where(col(SyncRequest.record_id).in_(record_ids))
            .values(next_attempt_at=utcnow())
        )
