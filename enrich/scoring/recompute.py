"""Every score at once (`enrich score --recompute`, the daily decay job), streamed in chunks.

Each chunk of people is read, scored and written by `enrich.scoring.bulk`; then every account
of those people is rolled up, also in chunks. With `workers` > 1 the chunks are shared among
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
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from enrich.config import Settings
from enrich.db import retry_conflicts, session_scope, writers_lock
from enrich.errors import StorageUnavailable
from enrich.models import CrmRecord, IdentityLink, LinkStatus, Score, utcnow
from enrich.runtime import build, current, install
from enrich.scoring import bulk
from enrich.scoring.active import scorer_cache
from enrich.scoring.rescore import PERSON_LOCK, serialize

log = logging.getLogger("enrich.recompute")
CHUNK = 1000  # people per transaction


def _chunk(
    engine: Engine, people: list[int], now: datetime, only_changed: bool
) -> tuple[int, set[tuple[str, str]]]:
    """Score and store one chunk of people; (how many changed, their accounts)."""
    if engine.dialect.name == "postgresql":
        with session_scope(engine) as session:
            for record_id in people:  # ascending, as every other scorer takes them
                serialize(session, PERSON_LOCK, record_id)
            scored = bulk.score(session, people, bulk.read(session, people), now, only_changed)
            bulk.write(session, scored)
        return len(scored.changed), scored.accounts
    with Session(engine) as session:
        seen = bulk.changes(session, people)
        scored = bulk.score(session, people, bulk.read(session, people), now, only_changed)
        session.rollback()  # the read snapshot must not outlive the scoring
    with writers_lock(engine).held(), session_scope(engine) as session:
        if bulk.changes(session, people) != seen:  # live processing moved something: score again
            scored = bulk.score(session, people, bulk.read(session, people), now, only_changed)
        bulk.write(session, scored)
    return len(scored.changed), scored.accounts


def _rollups(engine: Engine, accounts: list[tuple[str, str]], now: datetime) -> None:
    """Roll up these accounts (crm, account CRM id), many per transaction."""
    for start in range(0, len(accounts), CHUNK):
        with writers_lock(engine).held(), session_scope(engine) as session:
            bulk.rollup_in(session, accounts[start : start + CHUNK], now)


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
