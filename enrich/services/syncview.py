"""Sync health for the console: dead letters (list, replay) and recent sync errors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from enrich.db import session_scope
from enrich.deadletters import replay
from enrich.models import AuditLog, CrmRecord, DeadLetter, SyncRequest
from enrich.services.errors import NotFound


def letter_dict(d: DeadLetter) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind,
        "ref_id": d.ref_id,
        "error": d.error,
        "attempts": d.attempts,
        "created_at": d.created_at.isoformat(),
        "replayed_at": d.replayed_at.isoformat() if d.replayed_at else None,
    }


def dead_letters(
    engine: Engine,
    *,
    limit: int = 50,
    before: int | None = None,
    kind: str | None = None,
    replayed: bool | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Newest first; the cursor is the smallest id returned."""
    stmt = select(DeadLetter)
    if before is not None:
        stmt = stmt.where(col(DeadLetter.id) < before)
    if kind:
        stmt = stmt.where(DeadLetter.kind == kind)
    if replayed is not None:
        stmt = stmt.where(
            col(DeadLetter.replayed_at).is_not(None)
            if replayed
            else col(DeadLetter.replayed_at).is_(None)
        )
    with Session(engine) as session:
        rows = list(session.exec(stmt.order_by(col(DeadLetter.id).desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return [letter_dict(d) for d in rows], (rows[-1].id if more and rows else None)


def replay_letters(engine: Engine, ids: list[int] | None, actor: str) -> int:
    """Replay the given dead letters (all open ones when `ids` is None), audited."""
    if ids is not None:
        with Session(engine) as session:
            known = set(session.exec(select(DeadLetter.id).where(col(DeadLetter.id).in_(ids))))
        missing = sorted(set(ids) - known)
        if missing:
            raise NotFound(f"no dead letter {missing[0]}")
    count = replay(engine, ids)

    with session_scope(engine) as session:
        session.add(
            AuditLog(
                actor=actor,
                action="deadletters.replay",
                target="deadletters",
                detail={"ids": ids, "count": count},
            )
        )
    return count


def recent_errors(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """Sync requests that failed their last attempt, with the record they are for."""
    with Session(engine) as session:
        rows = session.exec(
            select(SyncRequest, CrmRecord)
            .join(CrmRecord, col(CrmRecord.id) == SyncRequest.record_id)
            .where(col(SyncRequest.last_error).is_not(None))
            .order_by(col(SyncRequest.requested_at).desc())
            .limit(limit)
        ).all()
    return [
        {
            "record_id": r.id,
            "crm_id": r.crm_id,
            "attempts": s.attempts,
            "error": s.last_error,
            "next_attempt_at": s.next_attempt_at.isoformat(),
        }
        for s, r in rows
    ]


def recent_audit(engine: Engine, prefix: str, limit: int = 20) -> list[dict[str, Any]]:
    with Session(engine) as session:
        rows = list(
            session.exec(
                select(AuditLog)
                .where(col(AuditLog.action).startswith(prefix))
                .order_by(col(AuditLog.id).desc())
                .limit(limit)
            )
        )
    return [
        {"at": a.at.isoformat(), "actor": a.actor, "action": a.action, "detail": a.detail}
        for a in rows
    ]
