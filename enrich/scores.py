"""Person scores from the touchpoints of their linked profiles, stored with a breakdown."""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime

from sqlmodel import Session, col, select

from enrich.models import IdentityLink, LinkStatus, Score, Touchpoint, utcnow

RULE_VERSION = "simple/1"
POINTS = {"follow": 3.0, "like": 1.0, "comment": 5.0, "reply": 5.0, "share": 4.0, "quote": 4.0,
          "mention": 4.0, "dm": 6.0, "unfollow": -3.0}
HALF_LIFE_DAYS = 30.0


def touchpoints_of(session: Session, record_id: int) -> list[Touchpoint]:
    profile_ids = select(IdentityLink.profile_id).where(
        IdentityLink.record_id == record_id, col(IdentityLink.status).in_(LinkStatus.ACTIVE)
    )
    stmt = select(Touchpoint).where(
        col(Touchpoint.profile_id).in_(profile_ids), Touchpoint.is_own == False  # noqa: E712
    )
    return list(session.exec(stmt.order_by(Touchpoint.occurred_at, Touchpoint.id)))


def recompute(session: Session, record_id: int, now: datetime | None = None) -> Score:
    now = now or utcnow()
    touchpoints = touchpoints_of(session, record_id)
    breakdown = []
    total = 0.0
    for tp in touchpoints:
        age_days = max((now - tp.occurred_at).total_seconds(), 0) / 86400
        points = POINTS.get(tp.kind, 0.0) * math.pow(0.5, age_days / HALF_LIFE_DAYS)
        total += points
        breakdown.append({"touchpoint_id": tp.id, "kind": tp.kind, "platform": tp.platform,
                          "points": round(points, 2), "rule": f"{tp.kind} points, {HALF_LIFE_DAYS:g}-day half-life"})
    counts = Counter(tp.kind for tp in touchpoints)
    reasons = "; ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in counts.most_common())
    score = session.exec(select(Score).where(Score.record_id == record_id)).first()
    if score is None:
        score = Score(record_id=record_id)
        session.add(score)
    score.score = round(max(total, 0.0), 1)
    score.reasons = reasons[:255]
    score.breakdown = breakdown
    score.rule_version = RULE_VERSION
    score.computed_at = now
    session.flush()
    return score
