"""Dashboard numbers: ingest per day, match outcomes, sync health, API budget, hand-offs,
engaged accounts. Plain aggregate queries that work the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from enrich.config import Settings
from enrich.models import (
    ActivityWrite,
    ApiUsage,
    CrmCursor,
    CrmRecord,
    DeadLetter,
    Handoff,
    IdentityLink,
    LinkStatus,
    RawEvent,
    Score,
    SocialProfile,
    SyncRequest,
    SyncState,
    Touchpoint,
    utcnow,
)
from enrich.sync.budget import daily_limit


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def touchpoints_per_day(session: Session, days: int) -> dict[str, Any]:
    start = datetime.combine(date.today() - timedelta(days=days - 1), datetime.min.time(), UTC)
    day = func.date(Touchpoint.occurred_at)
    rows = session.exec(
        select(day, Touchpoint.platform, Touchpoint.kind, func.count())
        .where(col(Touchpoint.occurred_at) >= start, Touchpoint.is_own == False)  # noqa: E712
        .group_by(day, Touchpoint.platform, Touchpoint.kind)
    ).all()
    series = [{"day": str(d)[:10], "platform": p, "kind": k, "count": n} for d, p, k, n in rows]
    all_days = [(start.date() + timedelta(days=i)).isoformat() for i in range(days)]
    return {"days": all_days, "series": series}


def match_outcomes(session: Session) -> dict[str, int]:
    """Profiles by outcome: linked (auto or confirmed), waiting in review, or no match."""
    total = session.exec(select(func.count()).select_from(SocialProfile)).one()
    linked = session.exec(
        select(func.count(func.distinct(IdentityLink.profile_id))).where(
            col(IdentityLink.status).in_(LinkStatus.ACTIVE)
        )
    ).one()
    review = session.exec(
        select(func.count(func.distinct(IdentityLink.profile_id))).where(
            IdentityLink.status == LinkStatus.PENDING,
            col(IdentityLink.profile_id).not_in(
                select(IdentityLink.profile_id).where(
                    col(IdentityLink.status).in_(LinkStatus.ACTIVE)
                )
            ),
        )
    ).one()
    return {"linked": linked, "review": review, "none": max(total - linked - review, 0)}


def sync_health(session: Session, settings: Settings, budget: int | None = None) -> dict[str, Any]:
    today = utcnow().strftime("%Y-%m-%d")
    usage = list(session.exec(select(ApiUsage).where(ApiUsage.day == today)))
    last_field = session.exec(select(func.max(SyncState.written_at))).one()
    last_activity = session.exec(select(func.max(ActivityWrite.written_at))).one()
    last = max((t for t in (last_field, last_activity) if t is not None), default=None)
    errors = session.exec(
        select(func.count())
        .select_from(SyncRequest)
        .where(col(SyncRequest.last_error).is_not(None))
    ).one()
    return {
        "crm": settings.crm,
        "pending_sync_requests": session.exec(select(func.count()).select_from(SyncRequest)).one(),
        "failing_sync_requests": errors,
        "dead_letters": session.exec(
            select(func.count())
            .select_from(DeadLetter)
            .where(col(DeadLetter.replayed_at).is_(None))
        ).one(),
        "last_successful_sync": _iso(last),
        "last_pull": _iso(session.exec(select(func.max(CrmCursor.updated_at))).one()),
        "raw_events_pending": session.exec(
            select(func.count()).select_from(RawEvent).where(RawEvent.status == "pending")
        ).one(),
        # `budget` is enrich's own daily allowance (what it stops at); `limit` the org's.
        "api_usage": [
            {
                "crm": u.crm,
                "day": u.day,
                "calls": u.calls,
                "limit": u.limit_seen,
                "budget": budget if u.crm == settings.crm else None,
            }
            for u in usage
        ],
        "budget": budget,
        # The CRM refused enrich's credentials: writes and pulls wait (enrich/sync/alerts.py).
        "crm_alert": session.exec(
            select(DeadLetter.error)
            .where(DeadLetter.kind == "crm_auth", col(DeadLetter.replayed_at).is_(None))
            .order_by(col(DeadLetter.id).desc())
        ).first(),
    }


def handoffs_this_week(session: Session) -> int:
    monday = datetime.combine(
        date.today() - timedelta(days=date.today().weekday()), datetime.min.time(), UTC
    )
    return session.exec(
        select(func.count()).select_from(Handoff).where(col(Handoff.created_at) >= monday)
    ).one()


def engaged_accounts(session: Session, limit: int = 8) -> list[dict[str, Any]]:
    """Accounts whose people score highest, with their open opportunities / deals."""
    key = func.coalesce(CrmRecord.account_crm_id, CrmRecord.company)
    rows = session.exec(
        select(key, func.max(CrmRecord.company), func.sum(Score.score), func.count())
        .join(Score, col(Score.record_id) == CrmRecord.id)
        .where(
            key.is_not(None),
            col(Score.score) > 0,
            col(CrmRecord.object_type).in_(("contact", "lead")),
        )
        .group_by(key)
        .order_by(func.sum(Score.score).desc())
        .limit(limit)
    ).all()
    keys = [r[0] for r in rows]
    accounts = {
        a.crm_id: a
        for a in session.exec(
            select(CrmRecord).where(
                CrmRecord.object_type == "account", col(CrmRecord.crm_id).in_(keys)
            )
        )
    }
    opportunities: dict[str, list[dict[str, Any]]] = {}
    for opp in session.exec(
        select(CrmRecord).where(
            CrmRecord.object_type == "opportunity",
            CrmRecord.deleted == False,  # noqa: E712
            col(CrmRecord.account_crm_id).in_(keys),
        )
    ):
        raw = opp.raw or {}
        closed = raw.get("IsClosed") or str(raw.get("hs_is_closed", "")).lower() == "true"
        if not closed:
            opportunities.setdefault(opp.account_crm_id or "", []).append(
                {
                    "name": opp.company,
                    "stage": opp.title,
                    "amount": raw.get("Amount") or raw.get("amount"),
                    "currency": raw.get("CurrencyIsoCode") or raw.get("deal_currency_code"),
                    "close_date": str(raw.get("CloseDate") or raw.get("closedate") or "")[:10],
                }
            )
    out = []
    for account_key, company, total, people in rows:
        account = accounts.get(account_key)
        out.append(
            {
                "account": (account.company if account else None) or company or account_key,
                "record_id": account.id if account else None,
                "people": people,
                "score": round(float(total or 0), 1),
                "open_opportunities": opportunities.get(account_key, [])[:5],
            }
        )
    return out


def dashboard(engine: Engine, settings: Settings, days: int = 14) -> dict[str, Any]:
    with Session(engine) as session:
        return {
            "touchpoints": touchpoints_per_day(session, days),
            "match_outcomes": match_outcomes(session),
            "sync": sync_health(
                session, settings, daily_limit(engine, settings) if settings.crm != "none" else None
            ),
            "handoffs_this_week": handoffs_this_week(session),
            "engaged_accounts": engaged_accounts(session),
        }
