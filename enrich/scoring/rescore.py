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
from enrich.scoring.active import scorer_cache
from enrich.scoring.handoff import HandoffState, decide_handoff
from enrich.scoring.rollup import rollup_account
from enrich.scoring.score import PersonScore
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
    for name, value in score_values(person, now).items():
        setattr(score, name, value)
    decision = decide_handoff(
        HandoffState(armed=score.handoff_armed), person.score, scorer.config.handoff
    )
    if decision.emit:
        session.add(
            Handoff(record_id=record_id, score=round(person.score, 2), reason=person.reason[:255])
        )
    score.handoff_armed = decision.state.armed

    kept = interest_values(person)
    session.execute(
        delete(Interest).where(
            col(Interest.record_id) == record_id, col(Interest.topic).not_in(list(kept))
        )
    )
    existing = {
        i.topic: i for i in session.exec(select(Interest).where(Interest.record_id == record_id))
    }
    for topic, values in kept.items():
        row = existing.get(topic) or Interest(record_id=record_id, topic=topic)
        row.strength, row.evidence, row.updated_at = values["strength"], values["evidence"], now
        session.add(row)
    session.flush()
    if roll_up and record and record.account_crm_id:
        rollup(session, record.crm, record.account_crm_id, now)
    return score


def score_values(person: PersonScore, now: datetime) -> dict[str, Any]:
    """A person's Score columns as stored (the hand-off state aside)."""
    return {
        "score": round(person.score, 2),
        "reasons": person.reason[:255],
        "breakdown": person.overall.breakdown(strongest=BREAKDOWN_LINES),
        "topic_scores": {name: round(s.value, 2) for name, s in person.topics.items() if s.value},
        "rule_version": f"scoring/{person.config_version}:{person.config_fingerprint[:8]}",
        "computed_at": now,
    }


def interest_values(person: PersonScore) -> dict[str, dict[str, Any]]:
    """Topic -> the Interest columns stored for it: the ten strongest, 20 evidence each."""
    return {
        i.topic: {
            "strength": round(i.strength, 3),
            "evidence": [
                {**e._asdict(), "occurred_at": e.occurred_at.isoformat() if e.occurred_at else None}
                for e in i.evidence[:20]
            ],
        }
        for i in person.interests.top_interests(10)
    }


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
