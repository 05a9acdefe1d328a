"""Deliveries are processed in batches, with every guarantee of one at a time (issue 21).

A batch is committed in one transaction; a poison delivery in the middle of one costs an
attempt on that delivery alone and every other one is processed exactly once; a touchpoint
sent twice in one batch is stored once; on PostgreSQL, two worker processes claiming batches
at once never process one delivery twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func
from sqlmodel import Session, col, select

from enrich import runtime
from enrich.db import session_scope, upgrade
from enrich.models import (
    CrmRecord,
    DeadLetter,
    EventStatus,
    IdentityLink,
    LinkStatus,
    RawEvent,
    Score,
    SyncRequest,
    Touchpoint,
    utcnow,
)
from enrich.pipeline import MAX_ATTEMPTS, process_pending
from enrich.runtime import current
from tests import servers
from tests.conftest import make_settings
from tests.integration.conftest import postgres_database, settings_env
from webhooks.store import store_raw_event

ROOT = Path(__file__).resolve().parent.parent
POISON = (  # a lone surrogate no database encodes, stored as an older release accepted it
    b'{"type": "touchpoint.created", "data": {"platform": "x", "kind": "like", '
    b'"actor": {"id": "1", "name": "\\ud800"}}}'
)


def body(n: int, actor: str, email: str | None = None, kind: str = "comment") -> bytes:
    data: dict[str, Any] = {
        "platform": "linkedin",
        "kind": kind,
        "id": f"tp-{n}",
        "text": "Kubernetes cost at scale",
        "occurred_at": utcnow().isoformat(),
        "actor": {"id": actor, "name": f"Person {actor}"} | ({"email": email} if email else {}),
    }
    return json.dumps({"type": "touchpoint.created", "data": data}).encode()


def store(engine: Any, delivery_id: str, raw: bytes) -> int:
    raw_id, created = store_raw_event(
        engine, source="standard:acme", delivery_id=delivery_id, body=raw, headers={}
    )
    assert created
    return raw_id


def seed_contact(engine: Any, email: str) -> int:
    with session_scope(engine) as session:
        record = CrmRecord(
            crm="salesforce",
            object_type="contact",
            crm_id="003000000000000001",
            first_name="Dana",
            last_name="Whitfield",
            email=email,
        )
        session.add(record)
        session.flush()
        assert record.id is not None
        return record.id


def test_a_batch_is_committed_together_and_scores_each_person_once(app: Flask) -> None:
    engine = current().engine
    dana = seed_contact(engine, "dana@northwind.example")
    ids = [store(engine, f"d{n}", body(n, "li-dana", "dana@northwind.example")) for n in range(6)]
    ids += [store(engine, f"s{n}", body(100 + n, f"li-stranger-{n}")) for n in range(4)]
    # A platform retry under a new delivery id: the same touchpoint, in the same batch.
    ids.append(store(engine, "retry", body(0, "li-dana", "dana@northwind.example")))

    assert process_pending() == len(ids)

    with Session(engine) as session:
        raws = session.exec(select(RawEvent).where(col(RawEvent.id).in_(ids))).all()
        assert {r.status for r in raws} == {EventStatus.PROCESSED}
        assert {r.attempts for r in raws} == {1}
        assert len({r.processed_at for r in raws}) == 1  # one transaction
        assert session.exec(select(func.count()).select_from(Touchpoint)).one() == 10
        [link] = session.exec(select(IdentityLink).where(IdentityLink.record_id == dana)).all()
        assert link.status == LinkStatus.AUTO
        score = session.exec(select(Score).where(Score.record_id == dana)).one()
        assert score.breakdown is not None and score.score > 0
        assert session.exec(select(SyncRequest.record_id)).all() == [dana]


def test_a_person_engaging_again_keeps_the_link_as_decided_until_the_decision_changes(
    app: Flask,
) -> None:
    engine = current().engine
    dana = seed_contact(engine, "dana@northwind.example")
    store(engine, "d0", body(0, "li-dana", "dana@northwind.example"))
    process_pending()
    with Session(engine) as session:
        [first] = session.exec(select(IdentityLink).where(IdentityLink.record_id == dana)).all()

    store(engine, "d1", body(1, "li-dana", "dana@northwind.example"))  # the same person again
    process_pending()
    with Session(engine) as session:
        [again] = session.exec(select(IdentityLink).where(IdentityLink.record_id == dana)).all()
    assert (again.id, again.status, again.score, again.decided_at) == (
        first.id,
        first.status,
        first.score,
        first.decided_at,
    )

    # A new delivery that changes the evidence (no email, another name) is decided anew.
    changed = body(2, "li-dana").replace(b'"name": "Person li-dana"', b'"name": "Dana Whitfield"')
    store(engine, "d2", changed)
    process_pending()
    with Session(engine) as session:
        [latest] = session.exec(select(IdentityLink).where(IdentityLink.record_id == dana)).all()
    assert latest.id == first.id and latest.score != first.score
    assert latest.decided_at > first.decided_at


def test_a_poison_delivery_in_the_middle_of_a_batch_is_isolated_and_the_rest_processed_once(
    app: Flask,
) -> None:
    engine = current().engine
    before = [store(engine, f"a{n}", body(n, f"li-{n}")) for n in range(5)]
    poison = store(engine, "poison", POISON)
    after = [store(engine, f"b{n}", body(10 + n, f"li-{10 + n}")) for n in range(5)]

    process_pending()

    with Session(engine) as session:
        good = session.exec(select(RawEvent).where(col(RawEvent.id).in_(before + after))).all()
        assert {(r.status, r.attempts) for r in good} == {(EventStatus.PROCESSED, 1)}
        failed = session.get(RawEvent, poison)
        assert failed is not None
        # Counted (a run looks once more at what it passed), not yet given up on.
        assert failed.status == EventStatus.PENDING and 1 <= failed.attempts < MAX_ATTEMPTS
        assert "UnicodeEncodeError" in (failed.error or "")
    while True:
        with Session(engine) as session:
            state = session.get(RawEvent, poison)
            assert state is not None
            if state.status != EventStatus.PENDING:
                break
        process_pending()
    with Session(engine) as session:
        failed = session.get(RawEvent, poison)
        assert failed is not None
        assert (failed.status, failed.attempts) == (EventStatus.FAILED, MAX_ATTEMPTS)
        assert session.exec(select(DeadLetter.ref_id)).all() == [poison]
        assert session.exec(select(func.count()).select_from(Touchpoint)).one() == 10
        again = session.exec(select(RawEvent).where(col(RawEvent.id).in_(before + after))).all()
        assert {r.attempts for r in again} == {1}


WORKER = """
import sys, time
from pathlib import Path
from enrich.linking import _cache
from enrich.pipeline import process_pending
from enrich.runtime import current
from sqlmodel import Session
with Session(current().engine) as s:
    _cache.get(s)  # the matcher index built before the start line
Path(sys.argv[1]).touch()
while not Path(sys.argv[2]).exists():
    time.sleep(0.01)
total = 0
while done := process_pending():  # a run hands over after INGEST_RUN_S
    total += done
print(total)
"""


@pytest.mark.postgres
def test_two_postgresql_workers_claim_batches_at_once_and_never_process_a_delivery_twice(
    postgres_server: servers.Server, tmp_path: Path
) -> None:
    settings = make_settings(postgres_database(postgres_server))
    upgrade(settings.database_url)
    rt = runtime.install(runtime.build(settings, embedded_worker=False))
    try:
        engine = rt.engine
        seed_contact(engine, "dana@northwind.example")
        n = 1200
        for i in range(n):
            who = ("li-dana", "dana@northwind.example") if i % 3 == 0 else (f"li-{i % 97}", None)
            store(engine, f"m{i}", body(i, *who))
        go = tmp_path / "go"
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(tmp_path / f"ready{w}"), str(go)],
                env=settings_env(settings) | {"PYTHONPATH": str(ROOT)},
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for w in range(2)
        ]
        deadline = time.monotonic() + 120
        while not all((tmp_path / f"ready{w}").exists() for w in range(2)):
            assert time.monotonic() < deadline, [w.poll() for w in workers]
            time.sleep(0.05)
        go.touch()
        counts = []
        for w in workers:
            out, err = w.communicate(timeout=600)
            assert w.returncode == 0, err[-3000:]
            counts.append(int(out.strip().splitlines()[-1]))
        # Each claimed batch is counted by the worker that claimed it: both worked, and
        # between them every delivery was claimed exactly once.
        assert all(c > 0 for c in counts), counts
        assert sum(counts) == n
        with Session(engine) as session:
            statuses = session.exec(
                select(RawEvent.status, RawEvent.attempts, func.count()).group_by(
                    col(RawEvent.status), col(RawEvent.attempts)
                )
            ).all()
            assert statuses == [(EventStatus.PROCESSED, 1, n)]
            assert session.exec(select(func.count()).select_from(Touchpoint)).one() == n
    finally:
        runtime.uninstall()


def test_results_kept_for_repeat_engagers_let_go_of_a_rebuilt_matcher() -> None:
    """The latest matches are reused only with the matcher they came from; once the mirror
    changes and the matcher is rebuilt, the old one (its whole index) is not kept alive."""
    import gc
    import weakref
    from dataclasses import replace

    from enrich.linking import _RecentMatches
    from enrich.matching.profile import Person, Profile
    from enrich.matching.rules import default_rules
    from enrich.matching.scorer import Matcher

    people = [Person(id="1", first_name="Dana", last_name="Whitfield", email="dana@acme.example")]
    query = Profile(key="7", platform="linkedin", user_id="li-dana", email="dana@acme.example")
    recent = _RecentMatches()
    old = Matcher(default_rules(), people)
    first = recent.get(old, query)
    assert recent.get(old, query) is first  # the same person again: not matched again
    rebuilt = Matcher(default_rules(), [*people, Person(id="2", first_name="Dan", last_name="W")])
    again = recent.get(rebuilt, query)
    assert again is not first and again.matcher is rebuilt
    recent.get(old, replace(query, key="8"))  # a late batch still on the old matcher
    recent.get(rebuilt, replace(query, key="9"))  # someone else, after the rebuild
    gone = weakref.ref(old)
    del old, first
    gc.collect()
    assert gone() is None
