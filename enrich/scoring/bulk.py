"""Many people scored with bulk statements in one transaction: read, score, write, roll up.

What a chunk of `enrich score --recompute` does, and what processing a batch of deliveries does
for the people it touched (`rescore_many`): a few bulk queries read the records, active links,
touchpoints, bios, scores and interests; the pure scorer scores; scores and interests are
updated by primary key or inserted, with hand-offs and outbox rows; then each of their
accounts is rolled up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, func, insert, update
from sqlalchemy import select as core_select
from sqlmodel import Session, SQLModel, col

from enrich.models import (
    CrmRecord,
    Handoff,
    IdentityLink,
    Interest,
    LinkStatus,
    Score,
    SocialProfile,
    Touchpoint,
    WriteStatus,
    table_of,
    utcnow,
)
from enrich.scoring.active import scorer_cache
from enrich.scoring.handoff import HandoffState, decide_handoff
from enrich.scoring.rescore import (
    ACCOUNT_LOCK,
    PERSON_LOCK,
    interest_values,
    score_values,
    serialize,
)
from enrich.scoring.rollup import rollup_account
from enrich.scoring.score import round_score
from enrich.scoring.touchpoint import Kind, Platform
from enrich.scoring.touchpoint import Touchpoint as ScoringTouchpoint
from enrich.sync.outbox import request_sync_many

FIT_FIELDS = ("title", "company", "city", "country")  # what fit rules may test
SCORED_FIELDS = {"id", "crm", "crm_id", "object_type", "account_crm_id"} | set(FIT_FIELDS)
IN_CHUNK = 500  # values per IN (...) list
T = TypeVar("T")


def in_chunks(values: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


@dataclass
class Read:
    """What scoring a chunk needs, read in bulk."""

    records: dict[int, Any]  # id -> row (crm, object_type, account_crm_id, title, ...)
    touchpoints: dict[int, list[ScoringTouchpoint]]  # record id -> its touchpoints
    bios: dict[int, str]
    scores: dict[int, tuple[int, float, bool]]  # record id -> (score id, score, armed)
    interests: dict[int, dict[str, int]]  # record id -> topic -> interest id


def read(session: Session, people: list[int]) -> Read:
    conn = session.connection()
    records = {
        r.id: r
        for chunk in in_chunks(people)
        for r in conn.execute(
            core_select(*(c for c in table_of(CrmRecord).c if c.name in SCORED_FIELDS)).where(
                col(CrmRecord.id).in_(chunk)
            )
        )
    }
    profiles_of: dict[int, list[int]] = defaultdict(list)
    for chunk in in_chunks(people):
        for record_id, profile_id in conn.execute(
            core_select(col(IdentityLink.record_id), col(IdentityLink.profile_id)).where(
                col(IdentityLink.record_id).in_(chunk),
                col(IdentityLink.status).in_(LinkStatus.ACTIVE),
            )
        ):
            profiles_of[record_id].append(profile_id)
    profile_ids = sorted({p for ps in profiles_of.values() for p in ps})
    by_profile: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    bio_of: dict[Any, str] = {}
    for chunk in in_chunks(profile_ids):
        for row in conn.execute(
            core_select(
                col(Touchpoint.profile_id),
                col(Touchpoint.occurred_at),
                col(Touchpoint.id),
                col(Touchpoint.kind),
                col(Touchpoint.platform),
                col(Touchpoint.text),
                col(Touchpoint.post_text),
            ).where(
                col(Touchpoint.profile_id).in_(chunk),
                col(Touchpoint.is_own) == False,  # noqa: E712
            )
        ):
            by_profile[row[0]].append(tuple(row[1:]))
        for pid, bio in conn.execute(
            core_select(col(SocialProfile.id), col(SocialProfile.bio)).where(
                col(SocialProfile.id).in_(chunk)
            )
        ):
            if bio:
                bio_of[pid] = bio
    touchpoints: dict[int, list[ScoringTouchpoint]] = {}
    bios: dict[int, str] = {}
    for record_id in people:
        rows = sorted(r for p in profiles_of.get(record_id, ()) for r in by_profile.get(p, ()))
        touchpoints[record_id] = [
            ScoringTouchpoint(
                id=str(tp_id),
                kind=Kind.parse(kind),
                platform=Platform.parse(platform),
                occurred_at=occurred_at,
                text=text or "",
                post_text=post_text or "",
            )
            for occurred_at, tp_id, kind, platform, text, post_text in rows
        ]
        # In link order, as `rescore` reads them (its join has no order either).
        bios[record_id] = "\n".join(
            bio_of[p] for p in profiles_of.get(record_id, ()) if p in bio_of
        )
    scores: dict[Any, tuple[Any, float, bool]] = {}
    interests: dict[Any, dict[str, Any]] = defaultdict(dict)
    for chunk in in_chunks(people):
        for score_id, record_id, value, armed in conn.execute(
            core_select(
                col(Score.id), col(Score.record_id), col(Score.score), col(Score.handoff_armed)
            ).where(col(Score.record_id).in_(chunk))
        ):
            scores[record_id] = (score_id, value, armed)
        for interest_id, record_id, topic in conn.execute(
            core_select(col(Interest.id), col(Interest.record_id), col(Interest.topic)).where(
                col(Interest.record_id).in_(chunk)
            )
        ):
            interests[record_id][topic] = interest_id
    return Read(records, touchpoints, bios, scores, dict(interests))


@dataclass
class Scored:
    updates: list[dict[str, Any]]
    inserts: list[dict[str, Any]]
    handoffs: list[dict[str, Any]]
    interest_updates: list[dict[str, Any]]
    interest_inserts: list[dict[str, Any]]
    interest_deletes: list[int]
    changed: list[int]  # people whose shown score changed (or every one: only_changed=False)
    accounts: set[tuple[str, str]]


def score(
    session: Session, people: list[int], read: Read, now: datetime, only_changed: bool
) -> Scored:
    scorer = scorer_cache.get(session)
    out = Scored([], [], [], [], [], [], [], set())
    for record_id in people:
        record = read.records.get(record_id)
        if record is not None and record.object_type == "account":
            out.accounts.add((record.crm, record.crm_id))
            continue
        fields = {name: getattr(record, name) for name in FIT_FIELDS} if record is not None else {}
        person = scorer.score_person(
            read.touchpoints[record_id],
            as_of=now,
            person_id=str(record_id),
            fields=fields,
            bio=read.bios[record_id],
        )
        values = score_values(person, now)
        stored = read.scores.get(record_id)
        decision = decide_handoff(
            HandoffState(armed=stored[2] if stored else True), person.score, scorer.config.handoff
        )
        values["handoff_armed"] = decision.state.armed
        if decision.emit:
            out.handoffs.append(
                {
                    "record_id": record_id,
                    "score": round(person.score, 2),
                    "reason": person.reason[:255],
                    "created_at": now,
                    "status": WriteStatus.PENDING,
                }
            )
        if stored is None:
            out.inserts.append({"record_id": record_id, **values})
        else:
            out.updates.append({"id": stored[0], **values})
        if (
            stored is None
            or round_score(stored[1]) != round_score(values["score"])
            or not only_changed
        ):
            out.changed.append(record_id)
        had = read.interests.get(record_id, {})
        kept = interest_values(person)
        for topic, interest in kept.items():
            if topic in had:
                out.interest_updates.append({"id": had[topic], **interest, "updated_at": now})
            else:
                out.interest_inserts.append(
                    {"record_id": record_id, "topic": topic, **interest, "updated_at": now}
                )
        out.interest_deletes += [i for topic, i in had.items() if topic not in kept]
        if record is not None and record.account_crm_id:
            out.accounts.add((record.crm, record.account_crm_id))
    return out


def _update_of(model: type[SQLModel], row: dict[str, Any]) -> Any:
    """UPDATE … WHERE id = :_id of the columns in ``row`` (every row of a chunk has the same
    keys), for executemany: Core, as the ORM's bulk update inspects every row again."""
    table = table_of(model)
    return (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({name: bindparam(name) for name in row if name != "id"})
    )


def _rows_by_id(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"_id": row["id"], **{k: v for k, v in row.items() if k != "id"}} for row in rows]


def write(session: Session, scored: Scored) -> None:
    conn = session.connection()
    if scored.updates:
        conn.execute(_update_of(Score, scored.updates[0]), _rows_by_id(scored.updates))
    if scored.inserts:
        conn.execute(insert(table_of(Score)), scored.inserts)
    if scored.handoffs:
        conn.execute(insert(table_of(Handoff)), scored.handoffs)
    for chunk in in_chunks(scored.interest_deletes):
        conn.execute(delete(table_of(Interest)).where(table_of(Interest).c.id.in_(chunk)))
    if scored.interest_updates:
        conn.execute(
            _update_of(Interest, scored.interest_updates[0]), _rows_by_id(scored.interest_updates)
        )
    if scored.interest_inserts:
        conn.execute(insert(table_of(Interest)), scored.interest_inserts)
    request_sync_many(session, scored.changed)


def changes(session: Session, people: list[int]) -> tuple[Any, ...]:
    """Moves whenever a touchpoint or a link of these people is added, removed or decided
    again. Asked of the chunk's own rows (indexed), not of the whole tables: a count over a
    million touchpoints, twice per chunk, was a tenth of a recompute."""
    conn = session.connection()
    out: list[Any] = []
    for chunk in in_chunks(people):
        linked = col(IdentityLink.record_id).in_(chunk)
        out += conn.execute(
            core_select(
                func.count(), func.max(IdentityLink.id), func.max(IdentityLink.decided_at)
            ).where(linked)
        ).one()
        out += conn.execute(
            core_select(func.count(), func.max(Touchpoint.id)).where(
                col(Touchpoint.profile_id).in_(
                    core_select(col(IdentityLink.profile_id)).where(linked)
                )
            )
        ).one()
    return tuple(out)


def rescore_many(session: Session, record_ids: Iterable[int], now: datetime | None = None) -> None:
    """`rescore` for many people with bulk statements, in the session's transaction: score
    them (queueing those whose shown score changed), then roll up each of their accounts."""
    now = now or utcnow()
    people = sorted(set(record_ids))
    if not people:
        return
    for record_id in people:  # ascending, as every other scorer takes them
        serialize(session, PERSON_LOCK, record_id)
    scored = score(session, people, read(session, people), now, only_changed=True)
    write(session, scored)
    rollup_in(session, sorted(scored.accounts), now)


def rollup_in(session: Session, part: list[tuple[str, str]], now: datetime) -> None:
    """Roll up these accounts in the session's transaction; queue those whose shown score
    changed (or that had none) for the CRM."""
    wanted = set(part)
    config = scorer_cache.get(session).config.rollup
    conn = session.connection()
    rows = {}
    for chunk in in_chunks(sorted({a for _, a in part})):
        for row in conn.execute(
            core_select(col(CrmRecord.id), col(CrmRecord.crm), col(CrmRecord.crm_id)).where(
                col(CrmRecord.object_type) == "account", col(CrmRecord.crm_id).in_(chunk)
            )
        ):
            if (row.crm, row.crm_id) in wanted:
                rows[(row.crm, row.crm_id)] = row.id
    if not rows:
        return
    for account_id in sorted(rows.values()):
        serialize(session, ACCOUNT_LOCK, account_id)
    people: dict[tuple[Any, Any], dict[str, float]] = defaultdict(dict)
    for chunk in in_chunks(sorted({a for _, a in rows})):
        for record_id, crm, account_crm_id, value in conn.execute(
            core_select(
                col(Score.record_id),
                col(CrmRecord.crm),
                col(CrmRecord.account_crm_id),
                col(Score.score),
            )
            .join(CrmRecord, col(CrmRecord.id) == Score.record_id)
            .where(
                col(CrmRecord.account_crm_id).in_(chunk),
                col(CrmRecord.object_type).in_(("contact", "lead")),
            )
        ):
            people[(crm, account_crm_id)][str(record_id)] = value
    stored = {
        record_id: (score_id, value, breakdown is None)
        for chunk in in_chunks(sorted(rows.values()))
        for score_id, record_id, value, breakdown in conn.execute(
            core_select(
                col(Score.id), col(Score.record_id), col(Score.score), col(Score.breakdown)
            ).where(col(Score.record_id).in_(chunk))
        )
    }
    updates, inserts, changed = [], [], []
    for key, account_id in rows.items():
        result = rollup_account(str(account_id), people.get(key, {}), config)
        values = {
            "score": round(result.score, 2),
            "reasons": result.reason[:255],
            "breakdown": {
                "engaged_people": [
                    {"record_id": int(p.person_id), "score": round(p.score, 2)}
                    for p in result.people
                ]
            },
            "computed_at": now,
        }
        old = stored.get(account_id)
        if old is None:
            inserts.append({"record_id": account_id, "handoff_armed": True, **values})
            changed.append(account_id)
            continue
        updates.append({"id": old[0], **values})
        if round(old[1]) != round(result.score) or old[2]:
            changed.append(account_id)
    if updates:
        session.execute(update(Score), updates)
    if inserts:
        session.execute(insert(Score), inserts)
    request_sync_many(session, changed)
