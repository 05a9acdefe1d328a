"""The daily CRM API budget: enrich never spends more than its share of the org's allocation.

Calls are counted per CRM connection and UTC day in `ApiUsage` (shared by every worker through
the database). Near the budget, writes wait for the next day and the console says so; a bug can
never burn the whole org's quota.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from enrich.db import session_scope
from enrich.models import ApiUsage, utcnow


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def used_today(engine: Engine, crm: str) -> int:
    with Session(engine) as session:
        row = session.exec(select(ApiUsage).where(ApiUsage.crm == crm,
                                                  ApiUsage.day == today())).first()
        return row.calls if row else 0


def charge(engine: Engine, crm: str, calls: int, limit_seen: int | None = None) -> None:
    """Add `calls` to today's count (atomically, so concurrent workers add up)."""
    if calls <= 0 and limit_seen is None:
        return
    day = today()
    values: dict[str, object] = {"calls": ApiUsage.calls + calls, "updated_at": utcnow()}
    if limit_seen is not None:
        values["limit_seen"] = limit_seen
    with session_scope(engine) as session:
        hit = session.execute(update(ApiUsage).where(
            ApiUsage.crm == crm, ApiUsage.day == day).values(**values)).rowcount  # type: ignore[arg-type]
    if hit:
        return
    try:
        with session_scope(engine) as session:
            session.add(ApiUsage(crm=crm, day=day, calls=calls, limit_seen=limit_seen))
    except IntegrityError:  # another worker created today's row first
        charge(engine, crm, calls, limit_seen)


def remaining(engine: Engine, crm: str, budget: int) -> int:
    return budget - used_today(engine, crm)
