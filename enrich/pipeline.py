"""Jobs from a stored delivery to a pending CRM write: normalize → profiles and touchpoints →
link → score → sync request. Every job takes ids, is idempotent, and can be re-run from the
database alone (the sweeper does that for work left pending by a lost queue or a killed worker).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from sqlalchemy import Engine, text, update
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, InterfaceError
from sqlmodel import Session, col, select

from enrich import batch, defaults
from enrich.batch import merge_profile
from enrich.db import (
    FileLock,
    file_lock,
    is_conflict,
    retry_conflicts,
    session_scope,
    writers_lock,
)
from enrich.leads import store as lead_store
from enrich.linking import link_profile
from enrich.models import (
    DeadLetter,
    EventStatus,
    IdentityLink,
    RawEvent,
    SocialProfile,
    SyncRequest,
    Touchpoint,
    id_of,
    utcnow,
)
from enrich.normalize import ProfileData, RawEventView, TouchpointData, normalize
from enrich.privacy import is_suppressed
from enrich.queue import HINT_DEBOUNCE_S
from enrich.retry import DELIVERY
from enrich.runtime import current
from enrich.scoring.rescore import rescore
from enrich.sync.outbox import request_sync
from enrich.sync.writer import sync_pending

log = logging.getLogger("enrich.pipeline")
MAX_ATTEMPTS = DELIVERY.max_attempts


def upsert_profile(session: Session, data: ProfileData) -> SocialProfile:
    profile = session.exec(
        select(SocialProfile).where(
            SocialProfile.platform == data.platform,
            SocialProfile.platform_user_id == data.platform_user_id,
        )
    ).first()
    if profile is None:
        profile = SocialProfile(platform=data.platform, platform_user_id=data.platform_user_id)
        session.add(profile)
    merge_profile(profile, data)
    session.flush()
    return profile


def add_touchpoint(session: Session, raw_id: int | None, data: TouchpointData) -> Touchpoint | None:
    """Insert unless its dedupe key is already stored; returns the new touchpoint or None."""
    if session.exec(select(Touchpoint.id).where(Touchpoint.dedupe_key == data.dedupe_key)).first():
        return None
    profile = upsert_profile(session, data.actor)
    tp = Touchpoint(
        dedupe_key=data.dedupe_key,
        raw_event_id=raw_id,
        profile_id=profile.id,  # type: ignore[arg-type]
        platform=data.actor.platform,
        kind=data.kind,
        account=data.account,
        post_id=data.post_id,
        post_url=data.post_url,
        post_text=data.post_text,
        text=data.text,
        occurred_at=data.occurred_at,
        is_own=data.is_own,
    )
    session.add(tp)
    session.flush()
    return tp


def _relink(session: Session, profile: SocialProfile) -> set[int]:
    """Re-decide a profile's links; returns every record whose links changed or stand."""
    before = set(
        session.exec(select(IdentityLink.record_id).where(IdentityLink.profile_id == profile.id))
    )
    after = {link.record_id for link in link_profile(session, profile)}
    return before | after


INGEST_KEY = "ingest"
BATCH = 200
REMATCH_CHUNK = 25  # profiles per re-match transaction: ~40 ms of holding the write lock


def process_pending() -> int:
    """Job: process every pending delivery, oldest first, in batches (`enrich.batch`);
    returns how many it processed.

    Receivers enqueue this with one key, so a burst of deliveries becomes one run instead of
    one job each (cheaper to enqueue, and one writer at a time on SQLite). On PostgreSQL each
    run claims its batches (`SELECT … FOR UPDATE SKIP LOCKED`), so runs on several workers
    process disjoint batches side by side.

    On SQLite it also gives way to ingest: one run at a time across processes, each batch
    prepared (normalised, matched) outside the ingest writers' lock and written under it (so
    the group commit waits for one batch's writes, never in SQLite's sleeping busy handler),
    and while deliveries keep arriving it pauses after each batch (`_Yield`).
    """
    rt = current()
    rt.queue.started(INGEST_KEY)
    done, after, rechecked, wrapped = 0, 0, False, False
    run_started = time.monotonic()
    writers, pause = writers_lock(rt.engine), _Yield(rt.engine)
    claiming = rt.engine.dialect.name == "postgresql"
    with file_lock(rt.engine, "processing").held():
        while True:
            if claiming:
                ids = _claimed_batch(rt.engine, after)
            else:
                with Session(rt.engine) as session:
                    ids = [
                        i
                        for i in session.exec(
                            select(RawEvent.id)
                            .where(RawEvent.status == EventStatus.PENDING, col(RawEvent.id) > after)
                            .order_by(col(RawEvent.id))
                            .limit(BATCH)
                        )
                        if i is not None
                    ]
                if ids:
                    _batch(rt.engine, ids, writers, pause)
            if not ids:
                if after and not wrapped:
                    # On PostgreSQL ids are taken at insert, not at commit: a delivery with a
                    # lower id may have committed after this run passed it. Wrap around once
                    # (not again: a delivery that failed stays pending for a later run).
                    after, wrapped = 0, True
                    continue
                if rechecked:
                    break
                # Receivers skip hints given moments ago (queue.HINT_DEBOUNCE_S): look once more
                # (embedded, a hint ends the wait: the delivery is processed at once).
                rt.queue.idle(INGEST_KEY, HINT_DEBOUNCE_S)
                rechecked = True
                continue
            rechecked = False
            done += len(ids)
            after = ids[-1]
            # The CRM hears about each batch now, not when the burst (and this run) ends.
            rt.queue.enqueue(sync_pending, key="sync")
            if time.monotonic() - run_started > defaults.INGEST_RUN_S:
                # A backlog must not keep the workers from every other job (CRM writes above
                # all): hand over, and continue as a new job behind the ones waiting.
                rt.queue.enqueue(process_pending, key=INGEST_KEY)
                break
    return done


def _batch(engine: Engine, ids: list[int], writers: FileLock, pause: _Yield) -> None:
    """SQLite: prepare the batch with no lock, write it under the writers' lock; if either
    raises, process its deliveries one by one (where a poison one is isolated)."""
    try:
        with Session(engine, autoflush=False) as read:
            plan = batch.prepare(read, ids)
            read.rollback()  # a reader's snapshot must not pin the WAL while the batch writes
        if plan.deliveries:  # else another run processed them meanwhile: nothing to write
            with writers.held():
                started = time.monotonic()
                with session_scope(engine) as session:
                    batch.apply(session, plan)
                spent = time.monotonic() - started
            pause.after(spent)
        alone = plan.alone
    except Exception as exc:
        if _database_unreachable(exc, engine):
            raise
        log.warning("a batch of %d deliveries failed (%s); one by one", len(ids), exc)
        alone = ids
    for raw_id in alone:
        with writers.held():
            started = time.monotonic()
            _process_safely(engine, raw_id)
            spent = time.monotonic() - started
        pause.after(spent)


def _claimed_batch(engine: Engine, after: int) -> list[int]:
    """PostgreSQL: claim, prepare and write a batch in one transaction; the ids claimed (none
    when every pending delivery after `after` is held by other workers)."""
    ids: list[int] = []
    alone: list[int] = []

    def run() -> None:
        nonlocal ids, alone
        with session_scope(engine) as session:
            ids = batch.claim(session, after, BATCH)
            if ids:
                plan = batch.prepare(session, ids)
                batch.apply(session, plan)
                alone = plan.alone

    try:
        retry_conflicts(run)
    except Exception as exc:
        if _database_unreachable(exc, engine):
            raise
        log.warning("a batch of %d deliveries failed (%s); one by one", len(ids), exc)
        alone = ids
    for raw_id in alone:
        _process_safely(engine, raw_id)
    return ids


class _Yield:
    """Processing's courtesy to ingest on SQLite: after each delivery, if deliveries have
    arrived faster than `PROCESSING_YIELD_ABOVE_PER_S` since the last look, sleep
    `PROCESSING_YIELD_RATIO` times as long as that delivery took. Ingest then holds the write
    lock (and the web processes' CPU) most of the time during a burst, and processing still
    advances at a bounded share; a steady stream below that rate is processed at full speed."""

    WINDOW_S = 0.1

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.enabled = engine.dialect.name == "sqlite"
        self.newest = self._newest() if self.enabled else 0
        self.looked = time.monotonic()
        self.burst = False
        self.sleep = time.sleep

    def _newest(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT max(id) FROM raw_event")).scalar() or 0)

    def after(self, spent_s: float) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.looked >= self.WINDOW_S:  # a rate over a few deliveries would be noise
            newest = self._newest()
            rate = (newest - self.newest) / (now - self.looked)
            self.burst = rate > defaults.PROCESSING_YIELD_ABOVE_PER_S
            self.newest, self.looked = max(newest, self.newest), now
        if self.burst:
            self.sleep(spent_s * defaults.PROCESSING_YIELD_RATIO)


def process_raw_event(raw_event_id: int) -> None:
    """Job: turn one stored delivery into touchpoints, links, scores and sync requests."""
    rt = current()
    with writers_lock(rt.engine).held():
        _process_safely(rt.engine, raw_event_id)
    rt.queue.enqueue(sync_pending, key="sync")


def _process_safely(engine: Engine, raw_event_id: int) -> None:
    """Process one delivery; whatever it raises is that delivery's failure, never the run's.

    A delivery whose processing raises (a value no database holds, a bug a message triggers)
    gets an attempt counted and its error recorded in a transaction of its own, and is
    quarantined as a dead letter after `MAX_ATTEMPTS`; the run goes on with the next one. Only a
    database that cannot be reached at all stops the run (every delivery would fail alike).
    """
    try:
        try:
            retry_conflicts(_process, engine, raw_event_id)
        except IntegrityError:
            # Another worker inserted the same touchpoint or profile first: run again, it is a
            # no-op for what that worker stored and completes the rest.
            retry_conflicts(_process, engine, raw_event_id)
    except Exception as exc:
        if _database_unreachable(exc, engine):
            raise
        try:
            _record_failure(engine, raw_event_id, f"{type(exc).__name__}: {exc}")
        except Exception:
            raise exc from None
        log.exception("raw event %s failed; counted an attempt", raw_event_id)


def _database_unreachable(exc: BaseException, engine: Engine) -> bool:
    """Whether `exc` is the database's fault rather than the item's: a lost connection, a lock
    held elsewhere, or a database that does not answer a trivial query right now."""
    cause: BaseException | None = exc
    while cause is not None:
        if (
            isinstance(cause, InterfaceError | DisconnectionError)
            or (isinstance(cause, DBAPIError) and cause.connection_invalidated)
            or (is_conflict(cause) or "database is locked" in str(cause))
        ):
            return True
        cause = cause.__cause__
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return True
    return False


def _record_failure(engine: Engine, raw_event_id: int, error: str) -> None:
    with session_scope(engine) as session:
        raw = session.get(RawEvent, raw_event_id)
        if raw is None or raw.status != EventStatus.PENDING:
            return
        raw.attempts += 1
        _fail(session, raw, error)


def _process(engine: Engine, raw_event_id: int) -> None:
    with session_scope(engine) as session:
        # Several workers may walk the pending deliveries at once (PostgreSQL): each takes the
        # ones no other worker holds (SQLite ignores the clause: it has one writer).
        raw = session.exec(
            select(RawEvent).where(RawEvent.id == raw_event_id).with_for_update(skip_locked=True)
        ).first()
        if raw is None or raw.status != EventStatus.PENDING:
            return
        raw.attempts += 1
        view = RawEventView(
            raw_event_id, raw.source, raw.delivery_id, raw.body, raw.received_at, raw.account
        )
        try:
            result = normalize(view)
        except Exception as exc:  # a normaliser bug must not lose the event: park it
            _fail(session, raw, f"normalise failed: {type(exc).__name__}: {exc}")
            return
        touched_profiles: dict[int, SocialProfile] = {}
        kept = [tp for tp in result.touchpoints if not is_suppressed(session, tp.actor)]
        if len(kept) < len(result.touchpoints):
            result.ignored.append(
                f"{len(result.touchpoints) - len(kept)} touchpoints by erased people"
            )
            if not kept:  # the delivery concerns only erased people: keep nothing of it
                raw.body = b""
                raw.headers = {}
        result.touchpoints = kept
        for data in result.touchpoints:
            tp = add_touchpoint(session, raw.id, data)
            if tp is not None and not tp.is_own:
                touched_profiles[tp.profile_id] = session.get(SocialProfile, tp.profile_id)  # type: ignore[assignment]
        records: set[int] = set()
        for profile in touched_profiles.values():
            records |= _relink(session, profile)
        rescore(session, records)
        for record_id in sorted(records):
            request_sync(session, record_id)
        lead_store.record(session, id_of(raw), result.leads)
        raw.error = "; ".join(result.errors + result.ignored)[:2000] or None
        raw.status = (
            EventStatus.PROCESSED if result.touchpoints or result.leads else EventStatus.IGNORED
        )
        raw.processed_at = utcnow()


def _fail(session: Session, raw: RawEvent, error: str) -> None:
    raw.error = error[:2000]
    if raw.attempts >= MAX_ATTEMPTS:
        raw.status = EventStatus.FAILED
        session.add(DeadLetter(kind="raw_event", ref_id=raw.id, error=error, attempts=raw.attempts))
    log.warning("raw event %s: %s", raw.id, error)


def sweep() -> dict[str, int]:
    """Job: re-enqueue work that has waited too long (lost Redis, killed worker, restart)."""
    rt = current()
    cutoff = utcnow() - timedelta(seconds=rt.settings.sweep_after_s)
    with session_scope(rt.engine) as session:
        stale = list(
            session.exec(
                select(RawEvent.id)
                .where(RawEvent.status == EventStatus.PENDING, col(RawEvent.received_at) < cutoff)
                .order_by(col(RawEvent.id))
                .limit(5000)
            )
        )
        due_syncs = session.exec(
            select(SyncRequest.id).where(col(SyncRequest.next_attempt_at) <= utcnow()).limit(1)
        ).first()
        rematch = session.exec(
            select(SocialProfile.id).where(col(SocialProfile.match_requested_at).is_not(None))
        ).first()
    if stale:
        rt.queue.enqueue(process_pending, key=INGEST_KEY)
    if rematch is not None:
        rt.queue.enqueue(rematch_pending, key="rematch")
    if due_syncs is not None:
        rt.queue.enqueue(sync_pending, key="sync")
    return {"raw_events": len(stale), "sync": int(due_syncs is not None)}


def _rematch(engine: Engine, ids: list[int]) -> set[int]:
    with session_scope(engine) as session:
        records: set[int] = set()
        for profile in session.exec(select(SocialProfile).where(col(SocialProfile.id).in_(ids))):
            if profile.match_requested_at is not None:
                records |= _relink(session, profile)
        rescore(session, records)
        for record_id in sorted(records):
            request_sync(session, record_id)
    return records


def _rematch_or_set_aside(engine: Engine, profile_id: int) -> set[int]:
    try:
        return _rematch(engine, [profile_id])
    except Exception as exc:
        if _database_unreachable(exc, engine):
            raise
        log.exception("re-matching profile %s failed; set aside as a dead letter", profile_id)
        with session_scope(engine) as session:  # Core: the profile may not even load
            session.execute(
                update(SocialProfile)
                .where(col(SocialProfile.id) == profile_id)
                .values(match_requested_at=None)
            )
            session.add(
                DeadLetter(
                    kind="rematch",
                    ref_id=profile_id,
                    attempts=1,
                    error=f"{type(exc).__name__}: {exc}"[:2000],
                )
            )
        return set()


def rematch_pending(limit: int = 1000) -> int:
    """Job: re-link profiles whose CRM records (or rules) changed; rescore what moved.

    A few profiles per transaction (`REMATCH_CHUNK`), each under the ingest writers' lock on
    SQLite as deliveries are: new rules re-match every stored profile, and one transaction
    over a thousand of them would hold the database's only write lock for seconds while
    webhooks wait. Past `limit` it hands over to a new run behind the jobs waiting.
    """
    rt = current()
    rt.queue.started("rematch")
    writers = writers_lock(rt.engine)
    done = 0
    while done < limit:
        with writers.held():
            with Session(rt.engine) as session:
                ids = [
                    i
                    for i in session.exec(
                        select(SocialProfile.id)
                        .where(col(SocialProfile.match_requested_at).is_not(None))
                        .order_by(col(SocialProfile.id))
                        .limit(min(REMATCH_CHUNK, limit - done))
                    )
                    if i is not None
                ]
            if not ids:
                break
            try:
                records = _rematch(rt.engine, ids)
            except Exception as exc:
                if _database_unreachable(exc, rt.engine):
                    raise
                # One profile the matcher cannot handle must not hold back every other (each
                # run would start at it again): one at a time, and the failing one set aside.
                records = set().union(*(_rematch_or_set_aside(rt.engine, i) for i in ids))
        done += len(ids)
        if records:
            rt.queue.enqueue(sync_pending, key="sync")
    if done >= limit:
        rt.queue.enqueue(rematch_pending, key="rematch")
    return done
