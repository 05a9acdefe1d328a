"""Every score at once (`enrich score --recompute`, the daily decay job), streamed in chunks.

A chunk of people is read with a few bulk queries (records, active links, touchpoints, bios,
scores, interests), scored by the pure scorer, and written with bulk statements (scores and
interests updated by primary key or inserted, hand-offs, outbox rows); then every account of
those people is rolled up, also in chunks. With `workers` > 1 the chunks are shared among
helper processes: the scoring is pure Python and takes most of the time. The helpers are
spawned, not forked: a fork copies the locks other threads hold at that moment (the job
threads of an embedded queue, a connection pool's mutex) and a helper waits on them forever.

On SQLite a chunk is read and scored outside the writers' lock and written under it (so ingest
waits for writes only); if a touchpoint or link changed meanwhile, the chunk is read and scored
again under the lock. On PostgreSQL a chunk is one transaction that first takes each person's
advisory lock, as `rescore` does, so live processing and the recompute never interleave on
one person.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, bindparam, delete, func, insert, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, col, select

from enrich.config import Settings
from enrich.db import retry_conflicts, session_scope, writers_lock
from enrich.errors import StorageUnavailable
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
from enrich.runtime import build, current, install
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

log = logging.getLogger("enrich.recompute")
CHUNK = 1000  # people per transaction
FIT_FIELDS = ("title", "company", "city", "country")  # what fit rules may test
SCORED_FIELDS = {"id", "crm", "crm_id", "object_type", "account_crm_id"} | set(FIT_FIELDS)
IN_CHUNK = 500  # values per IN (...) list
T = TypeVar("T")


def _in_chunks(values: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


@dataclass
class _Read:
    """What scoring a chunk needs, read in bulk."""

    records: dict[int, Any]  # id -> row (crm, object_type, account_crm_id, title, ...)
    touchpoints: dict[int, list[ScoringTouchpoint]]  # record id -> its touchpoints
    bios: dict[int, str]
    scores: dict[int, tuple[int, float, bool]]  # record id -> (score id, score, armed)
    interests: dict[int, dict[str, int]]  # record id -> topic -> interest id


def _read(session: Session, people: list[int]) -> _Read:
    conn = session.connection()
    records = {
        r.id: r
        for chunk in _in_chunks(people)
        for r in conn.execute(
            core_select(*(c for c in table_of(CrmRecord).c if c.name in SCORED_FIELDS)).where(
                col(CrmRecord.id).in_(chunk)
            )
        )
    }
    profiles_of: dict[int, list[int]] = defaultdict(list)
    for chunk in _in_chunks(people):
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
    for chunk in _in_chunks(profile_ids):
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
    for chunk in _in_chunks(people):
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
    return _Read(records, touchpoints, bios, scores, dict(interests))


@dataclass
class _Scored:
    updates: list[dict[str, Any]]
    inserts: list[dict[str, Any]]
    handoffs: list[dict[str, Any]]
    interest_updates: list[dict[str, Any]]
    interest_inserts: list[dict[str, Any]]
    interest_deletes: list[int]
    changed: list[int]  # people whose shown score changed (or every one: only_changed=False)
    accounts: set[tuple[str, str]]


def _score(
    session: Session, people: list[int], read: _Read, now: datetime, only_changed: bool
) -> _Scored:
    scorer = scorer_cache.get(session)
    out = _Scored([], [], [], [], [], [], [], set())
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


def _write(session: Session, scored: _Scored) -> None:
    conn = session.connection()
    if scored.updates:
        conn.execute(_update_of(Score, scored.updates[0]), _rows_by_id(scored.updates))
    if scored.inserts:
        conn.execute(insert(table_of(Score)), scored.inserts)
    if scored.handoffs:
        conn.execute(insert(table_of(Handoff)), scored.handoffs)
    for chunk in _in_chunks(scored.interest_deletes):
        conn.execute(delete(table_of(Interest)).where(table_of(Interest).c.id.in_(chunk)))
    if scored.interest_updates:
        conn.execute(
            _update_of(Interest, scored.interest_updates[0]), _rows_by_id(scored.interest_updates)
        )
    if scored.interest_inserts:
        conn.execute(insert(table_of(Interest)), scored.interest_inserts)
    request_sync_many(session, scored.changed)


def _changes(session: Session, people: list[int]) -> tuple[Any, ...]:
    """Moves whenever a touchpoint or a link of these people is added, removed or decided
    again. Asked of the chunk's own rows (indexed), not of the whole tables: a count over a
    million touchpoints, twice per chunk, was a tenth of a recompute."""
    conn = session.connection()
    out: list[Any] = []
    for chunk in _in_chunks(people):
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
    scored = _score(session, people, _read(session, people), now, only_changed=True)
    _write(session, scored)
    _rollup_in(session, sorted(scored.accounts), now)


def _chunk(
    engine: Engine, people: list[int], now: datetime, only_changed: bool
) -> tuple[int, set[tuple[str, str]]]:
    """Score and store one chunk of people; (how many changed, their accounts)."""
    if engine.dialect.name == "postgresql":
        with session_scope(engine) as session:
            for record_id in people:  # ascending, as every other scorer takes them
                serialize(session, PERSON_LOCK, record_id)
            scored = _score(session, people, _read(session, people), now, only_changed)
            _write(session, scored)
        return len(scored.changed), scored.accounts
    with Session(engine) as session:
        seen = _changes(session, people)
        scored = _score(session, people, _read(session, people), now, only_changed)
        session.rollback()  # the read snapshot must not outlive the scoring
    with writers_lock(engine).held(), session_scope(engine) as session:
        if _changes(session, people) != seen:  # live processing moved something: score again
            scored = _score(session, people, _read(session, people), now, only_changed)
        _write(session, scored)
    return len(scored.changed), scored.accounts


def _rollups(engine: Engine, accounts: list[tuple[str, str]], now: datetime) -> None:
    """Roll up these accounts (crm, account CRM id), many per transaction."""
    for start in range(0, len(accounts), CHUNK):
        with writers_lock(engine).held(), session_scope(engine) as session:
            _rollup_in(session, accounts[start : start + CHUNK], now)


def _rollup_in(session: Session, part: list[tuple[str, str]], now: datetime) -> None:
    """Roll up these accounts in the session's transaction; queue those whose shown score
    changed (or that had none) for the CRM."""
    wanted = set(part)
    config = scorer_cache.get(session).config.rollup
    conn = session.connection()
    rows = {}
    for chunk in _in_chunks(sorted({a for _, a in part})):
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
    for chunk in _in_chunks(sorted({a for _, a in rows})):
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
        for chunk in _in_chunks(sorted(rows.values()))
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


_job: tuple[datetime, bool] | None = None  # a helper process's arguments


def _helper_init(settings: Settings, now: datetime, only_changed: bool) -> None:
    global _job
    install(build(settings, embedded_worker=False))  # no job threads in a helper
    _job = (now, only_changed)


def _isolated(
    engine: Engine, people: list[int], now: datetime, only_changed: bool
) -> tuple[int, set[tuple[str, str]]]:
    """`_chunk`, and if it raises, one person at a time: a person whose data the scorer
    cannot handle keeps their old score (logged) and the rest are rescored. A database that
    cannot be reached stops the run."""
    try:
        # A deadlock with live processing (PostgreSQL) aborts one side: run the chunk again.
        result: tuple[int, set[tuple[str, str]]] = retry_conflicts(
            _chunk, engine, people, now, only_changed
        )
        return result
    except (StorageUnavailable, OperationalError):
        raise
    except Exception:
        if len(people) == 1:
            log.exception("rescoring record %s failed; its score is left as it was", people[0])
            return 0, set()
    changed, accounts = 0, set[tuple[str, str]]()
    for person in people:
        n, seen = _isolated(engine, [person], now, only_changed)
        changed, accounts = changed + n, accounts | seen
    return changed, accounts


def _helper(people: list[int]) -> tuple[int, int, set[tuple[str, str]]]:
    assert _job is not None
    changed, accounts = _isolated(current().engine, people, *_job)
    return len(people), changed, accounts


def recompute_all(
    engine: Engine,
    *,
    only_changed_sync: bool = True,
    batch: int = CHUNK,
    progress: Callable[[int], Any] | None = None,
    now: datetime | None = None,
    workers: int = 1,
) -> dict[str, int]:
    """Rescore every person with a score or links (decay, new rules); sync those whose shown
    score changed, and every account whose roll-up did. `workers` > 1 spawns that many helper
    processes (each imports enrich and reads the scoring rules: worth it from a few thousand
    people on)."""
    with Session(engine) as session:
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
        scorer_cache.get(session)  # refuses broken rules before any work starts
    now = now or utcnow()
    chunks = [people[i : i + batch] for i in range(0, len(people), batch)]
    changed = 0
    accounts: set[tuple[str, str]] = set()
    if workers > 1 and len(chunks) > 1:
        settings = current().settings.model_copy(
            update={"database_url": engine.url.render_as_string(hide_password=False)}
        )
        # A helper that dies (killed, out of memory) fails the run instead of hanging it.
        with ProcessPoolExecutor(
            min(workers, len(chunks)),
            multiprocessing.get_context("spawn"),
            _helper_init,
            (settings, now, only_changed_sync),
        ) as pool:
            for future in as_completed([pool.submit(_helper, chunk) for chunk in chunks]):
                done, n, seen = future.result()
                changed += n
                accounts |= seen
                if progress:
                    progress(done)
    else:
        for chunk in chunks:
            n, seen = _isolated(engine, chunk, now, only_changed_sync)
            changed += n
            accounts |= seen
            if progress:
                progress(len(chunk))
    _rollups(engine, sorted(accounts), now)
    return {"people": len(people), "changed": changed}


def decay_job() -> dict[str, int]:
    """Job (daily): scores decay even when nothing happens."""
    return recompute_all(current().engine)
