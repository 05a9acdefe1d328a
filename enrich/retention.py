"""Retention: raw deliveries and touchpoints older than the configured ages are purged.

Raw deliveries are kept for replay after a normaliser bug, so they age out first
(ENRICH_RAW_EVENT_RETENTION_DAYS); touchpoints are the evidence behind scores and interests
(ENRICH_TOUCHPOINT_RETENTION_DAYS). Work that is not finished is never purged: a pending or
failed delivery waits for its replay, a touchpoint whose CRM activity is not yet written waits
for the writer. What enrich wrote to the CRM stays there (it is the CRM's history now); the
ledger keeps the activity id without the touchpoint, so a later erasure can still retract it.

Deletes run in short batches, so ingest never waits long behind a purge on SQLite.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, exists, update
from sqlmodel import col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from enrich import defaults
from enrich.db import rowcount, session_scope
from enrich.models import (
    ActivityWrite,
    AuditLog,
    EventStatus,
    IdentityLink,
    LeadForm,
    LinkStatus,
    LoginAttempt,
    RawEvent,
    Touchpoint,
    utcnow,
)
from enrich.runtime import current
from enrich.scoring.rescore import rescore
from enrich.sync.outbox import request_sync

BATCH = 500
# Only finished work ages out; pending and failed deliveries wait for a worker or a replay.
PURGEABLE_EVENTS = (EventStatus.PROCESSED, EventStatus.IGNORED)


@dataclass
class PurgeReport:
    raw_events: int = 0
    touchpoints: int = 0
    rescored: int = 0
    raw_before: datetime | None = None
    touchpoints_before: datetime | None = None

    def summary(self) -> str:
        def cutoff(at: datetime | None) -> str:
            return f"older than {at:%Y-%m-%d %H:%M} UTC" if at else "kept (retention off)"

        return (
            f"raw events: {self.raw_events} purged ({cutoff(self.raw_before)}); "
            f"touchpoints: {self.touchpoints} purged ({cutoff(self.touchpoints_before)}); "
            f"{self.rescored} people rescored"
        )


def _cutoff(days: float, now: datetime) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


def _old_events(before: datetime, limit: int) -> SelectOfScalar[int | None]:
    return (
        select(col(RawEvent.id))
        .where(col(RawEvent.status).in_(PURGEABLE_EVENTS), col(RawEvent.received_at) < before)
        .order_by(col(RawEvent.id))
        .limit(limit)
    )


def _old_touchpoints(before: datetime, limit: int) -> Select[int | None, int]:
    unwritten = exists().where(
        col(ActivityWrite.touchpoint_id) == col(Touchpoint.id),
        col(ActivityWrite.status) != "written",
    )
    return (
        select(col(Touchpoint.id), col(Touchpoint.profile_id))
        .where(col(Touchpoint.occurred_at) < before, ~unwritten)
        .order_by(col(Touchpoint.id))
        .limit(limit)
    )


def purge(
    engine: Engine,
    *,
    raw_event_days: float,
    touchpoint_days: float,
    now: datetime | None = None,
    dry_run: bool = False,
    actor: str = "scheduler",
    batch: int = BATCH,
) -> PurgeReport:
    """Purge what is older than the given ages (0 = keep forever); `dry_run` only counts."""
    now = now or utcnow()
    report = PurgeReport(
        raw_before=_cutoff(raw_event_days, now), touchpoints_before=_cutoff(touchpoint_days, now)
    )
    profiles: set[int] = set()
    if report.raw_before is not None:
        report.raw_events = _purge_events(engine, report.raw_before, dry_run, batch)
    if report.touchpoints_before is not None:
        report.touchpoints = _purge_touchpoints(
            engine, report.touchpoints_before, dry_run, batch, profiles
        )
    if profiles:
        report.rescored = _rescore(engine, profiles, now, dry_run)
    if not dry_run and (report.raw_events or report.touchpoints):
        with session_scope(engine) as session:
            detail = {
                k: (v.isoformat() if isinstance(v, datetime) else v)
                for k, v in asdict(report).items()
            }
            session.add(AuditLog(actor=actor, action="retention_purge", detail=detail))
    return report


def _purge_events(engine: Engine, before: datetime, dry_run: bool, batch: int) -> int:
    total, after_id = 0, 0
    while True:
        with session_scope(engine) as session:
            ids = list(session.exec(_old_events(before, batch).where(col(RawEvent.id) > after_id)))
            if not ids:
                return total
            last = ids[-1]
            assert last is not None  # a primary key
            after_id, total = last, total + len(ids)
            if dry_run:
                continue
            # The touchpoints outlive their delivery: only the back reference goes.
            session.execute(
                update(Touchpoint)
                .where(col(Touchpoint.raw_event_id).in_(ids))
                .values(raw_event_id=None)
            )
            session.execute(delete(RawEvent).where(col(RawEvent.id).in_(ids)))


def _purge_touchpoints(
    engine: Engine, before: datetime, dry_run: bool, batch: int, profiles: set[int]
) -> int:
    total, after_id = 0, 0
    while True:
        with session_scope(engine) as session:
            rows = list(
                session.exec(_old_touchpoints(before, batch).where(col(Touchpoint.id) > after_id))
            )
            if not rows:
                return total
            ids = [tid for tid, _ in rows]
            last = ids[-1]
            assert last is not None  # a primary key
            after_id, total = last, total + len(ids)
            profiles.update(pid for _, pid in rows)
            if dry_run:
                continue
            session.execute(
                update(ActivityWrite)
                .where(col(ActivityWrite.touchpoint_id).in_(ids))
                .values(touchpoint_id=None)
            )
            # A lead form's answers are kept as long as its touchpoint (docs/LEAD_FORMS.md §4).
            session.execute(
                update(LeadForm)
                .where(col(LeadForm.touchpoint_id).in_(ids))
                .values(answers=None, consents=None, touchpoint_id=None)
            )
            session.execute(delete(Touchpoint).where(col(Touchpoint.id).in_(ids)))


def _rescore(engine: Engine, profiles: set[int], now: datetime, dry_run: bool) -> int:
    """Scores and interests no longer count what was purged; changed values go to the CRM."""
    with session_scope(engine) as session:
        records = sorted(
            set(
                session.exec(
                    select(IdentityLink.record_id).where(
                        col(IdentityLink.profile_id).in_(profiles),
                        col(IdentityLink.status).in_(LinkStatus.ACTIVE),
                    )
                )
            )
        )
    if dry_run:
        return len(records)
    for start in range(0, len(records), BATCH):
        chunk = records[start : start + BATCH]
        with session_scope(engine) as session:
            rescore(session, chunk, now)
            for record_id in chunk:
                request_sync(session, record_id)
    return len(records)


def purge_sign_in_attempts(engine: Engine, now: datetime | None = None) -> int:
    """Drop failed sign-ins too old to count towards a lock; returns how many."""
    before = (now or utcnow()) - defaults.SIGN_IN_FAILURE_WINDOW
    with session_scope(engine) as session:
        return rowcount(session.execute(delete(LoginAttempt).where(col(LoginAttempt.at) < before)))


def retention_job() -> dict[str, int]:
    """Job (daily): purge with the configured ages, and expired failed sign-ins."""
    rt = current()
    report = purge(
        rt.engine,
        raw_event_days=rt.settings.raw_event_retention_days,
        touchpoint_days=rt.settings.touchpoint_retention_days,
    )
    return {
        "raw_events": report.raw_events,
        "touchpoints": report.touchpoints,
        "rescored": report.rescored,
        "sign_in_attempts": purge_sign_in_attempts(rt.engine),
    }
