"""Scores, interests and hand-offs of CRM records, from the touchpoints of their linked profiles.

The maths lives in the rest of `enrich.scoring` (pure); this module feeds it from the database
and stores what it says: the person's Score (with breakdown and reason), Interest rows, a
Handoff when the threshold is crossed (with hysteresis), and the account roll-up of the
person's company. Whatever changed what the CRM shows is put in the sync outbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, text
from sqlmodel import Session, col, select

from enrich.db import session_scope
from enrich.models import (
    CrmRecord,
    Handoff,
    IdentityLink,
    Interest,
    LinkStatus,
    Score,
    SocialProfile,
    id_of,
    utcnow,
)
from enrich.runtime import current
from enrich.scoring.active import scorer_cache
from enrich.scoring.handoff import HandoffState, decide_handoff
from enrich.scoring.rollup import rollup_account
from enrich.scoring.score import round_score
from enrich.sync.outbox import request_sync
from enrich.touchpoints import to_scoring, touchpoints_of

BREAKDOWN_LINES = 50  # keep the strongest lines; thousands of likes need not be stored one by one


def _bios(session: Session, record_id: int) -> str:
    stmt = (
        select(SocialProfile.bio)
        .join(IdentityLink, col(IdentityLink.profile_id) == SocialProfile.id)
        .where(IdentityLink.record_id == record_id, col(IdentityLink.status).in_(LinkStatus.ACTIVE))
    )
    return "\n".join(b for b in session.exec(stmt) if b)


def _trim(breakdown: dict[str, Any]) -> dict[str, Any]:
    lines = breakdown.get("contributions", [])
    if len(lines) > BREAKDOWN_LINES:
        lines = sorted(lines, key=lambda c: -abs(c.get("points", 0)))[:BREAKDOWN_LINES]
        breakdown = {**breakdown, "contributions": lines, "trimmed": True}
    return breakdown


def _score_row(session: Session, record_id: int) -> Score:
    score = session.exec(select(Score).where(Score.record_id == record_id)).first()
    if score is None:
        score = Score(record_id=record_id)
        session.add(score)
    return score


PERSON_LOCK, ACCOUNT_LOCK = 1, 2  # advisory lock namespaces


def serialize(session: Session, namespace: int, key: int) -> None:
    """Workers score one person (or account) one after the other, on PostgreSQL: each must
    read the touchpoints the others committed, or the later commit would store a score that
    lacks them. Held to the end of the transaction; SQLite has one writer anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
            {"namespace": namespace, "key": key},
        )


def rescore(session: Session, record_ids: Iterable[int], now: datetime | None = None) -> None:
    """Score these people, then roll up each of their accounts once."""
    now = now or utcnow()
    accounts: set[tuple[str, str]] = set()
    for record_id in sorted(set(record_ids)):
        record = session.get(CrmRecord, record_id)
        if record is not None and record.object_type == "account":
            accounts.add((record.crm, record.crm_id))
            continue
        recompute(session, record_id, now, roll_up=False)
        if record is not None and record.account_crm_id:
            accounts.add((record.crm, record.account_crm_id))
    for crm, account_crm_id in sorted(accounts):
        rollup(session, crm, account_crm_id, now)


def recompute(
    session: Session, record_id: int, now: datetime | None = None, *, roll_up: bool = True
) -> Score:
    """Score one person (contact or lead), store interests and hand-offs, roll up the account."""
    serialize(session, PERSON_LOCK, record_id)
    now = now or utcnow()
    scorer = scorer_cache.get(session)
    record = session.get(CrmRecord, record_id)
    fields = (
        {
            "title": record.title,
            "company": record.company,
            "city": record.city,
            "country": record.country,
        }
        if record
        else {}
    )
    person = scorer.score_person(
        [to_scoring(tp) for tp in touchpoints_of(session, record_id)],
        as_of=now,
        person_id=str(record_id),
        fields=fields,
        bio=_bios(session, record_id),
    )
    score = _score_row(session, record_id)
    score.score = round(person.score, 2)
    score.reasons = person.reason[:255]
    score.breakdown = _trim(person.overall.breakdown())
    score.topic_scores = {name: round(s.value, 2) for name, s in person.topics.items() if s.value}
    score.rule_version = f"scoring/{person.config_version}:{person.config_fingerprint[:8]}"
    score.computed_at = now
    decision = decide_handoff(
        HandoffState(armed=score.handoff_armed), person.score, scorer.config.handoff
    )
    if decision.emit:
        session.add(
            Handoff(record_id=record_id, score=round(person.score, 2), reason=person.reason[:255])
        )
    score.handoff_armed = decision.state.armed

    kept = {i.topic: i for i in person.interests.top_interests(10)}
    session.execute(
        delete(Interest).where(
            col(Interest.record_id) == record_id, col(Interest.topic).not_in(list(kept))
        )
    )
    existing = {
        i.topic: i for i in session.exec(select(Interest).where(Interest.record_id == record_id))
    }
    for topic, interest in kept.items():
        row = existing.get(topic) or Interest(record_id=record_id, topic=topic)
        row.strength = round(interest.strength, 3)
        row.evidence = [
            {**e._asdict(), "occurred_at": e.occurred_at.isoformat() if e.occurred_at else None}
            for e in interest.evidence[:20]
        ]
        row.updated_at = now
        session.add(row)
    session.flush()
    if roll_up and record and record.account_crm_id:
        rollup(session, record.crm, record.account_crm_id, now)
    return score


def rollup(session: Session, crm: str, account_crm_id: str, now: datetime) -> Score | None:
    """The account's engagement score and engaged people, from its people's scores."""
    account = session.exec(
        select(CrmRecord).where(
            CrmRecord.crm == crm,
            CrmRecord.object_type == "account",
            CrmRecord.crm_id == account_crm_id,
        )
    ).first()
    if account is None:
        return None
    serialize(session, ACCOUNT_LOCK, id_of(account))
    people = session.exec(
        select(Score.record_id, Score.score)
        .join(CrmRecord, col(CrmRecord.id) == Score.record_id)
        .where(
            CrmRecord.crm == crm,
            CrmRecord.account_crm_id == account_crm_id,
            col(CrmRecord.object_type).in_(("contact", "lead")),
        )
    )
    result = rollup_account(
        str(account.id), {str(rid): s for rid, s in people}, scorer_cache.get(session).config.rollup
    )
    score = _score_row(session, id_of(account))
    changed = round(score.score) != round(result.score) or score.breakdown is None
    score.score = round(result.score, 2)
    score.reasons = result.reason[:255]
    score.breakdown = {
        "engaged_people": [
            {"record_id": int(p.person_id), "score": round(p.score, 2)} for p in result.people
        ]
    }
    score.computed_at = now
    session.flush()
    if changed:
        request_sync(session, id_of(account))
    return score


def recompute_all(
    engine: Any,
    *,
    only_changed_sync: bool = True,
    batch: int = 500,
    progress: Any = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Rescore every person with a score or links (decay, new rules); sync those whose shown
    score changed. Used by the daily scheduler job and `enrich score --recompute`."""
    with session_scope(engine) as session:
        people = sorted(
            set(
                session.exec(
                    select(Score.record_id)
                    .join(CrmRecord, col(CrmRecord.id) == Score.record_id)
                    .where(col(CrmRecord.object_type).in_(("contact", "lead")))
                )
            )
            | set(
                session.exec(
                    select(IdentityLink.record_id).where(
                        col(IdentityLink.status).in_(LinkStatus.ACTIVE)
                    )
                )
            )
        )
    changed = 0
    now = now or utcnow()
    for start in range(0, len(people), batch):
        chunk = people[start : start + batch]
        with session_scope(engine) as session:
            before = dict(
                session.exec(
                    select(Score.record_id, Score.score).where(col(Score.record_id).in_(chunk))
                ).all()
            )
            rescore(session, chunk, now)
            after = dict(
                session.exec(
                    select(Score.record_id, Score.score).where(col(Score.record_id).in_(chunk))
                ).all()
            )
            for record_id in chunk:
                old = before.get(record_id)
                if (
                    old is None
                    or round_score(old) != round_score(after.get(record_id, 0.0))
                    or not only_changed_sync
                ):
                    request_sync(session, record_id)
                    changed += 1
        if progress:
            progress(len(chunk))
    return {"people": len(people), "changed": changed}


def decay_job() -> dict[str, int]:
    """Job (daily): scores decay even when nothing happens."""
    return recompute_all(current().engine)
