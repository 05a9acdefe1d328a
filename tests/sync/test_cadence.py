"""Sync cadence under a stream: routine news waits out ENRICH_SYNC_WINDOW_S so that it goes out
in one write, a hand-off goes out at once, and one sync pass runs at a time across processes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from enrich.db import session_scope
from enrich.defaults import SYNC_URGENT_S
from enrich.models import Handoff, SyncRequest, utcnow
from enrich.sandbox import Sandbox
from enrich.sync.outbox import pass_lease
from enrich.sync.writer import sync_pending
from tests.sync.harness import World, people_seed

ENGAGED = [
    ("person2@acme.example", kind, f"{kind} {i}")
    for i in range(4)
    for kind in ("comment", "share", "mention", "reply", "dm", "quote")
]


@pytest.fixture(params=["salesforce", "hubspot"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with Sandbox(seed=people_seed(5)) as sandbox:
        w = World(tmp_path, sandbox, request.param, sync_window_s=30.0)
        yield w
        w.close()


def test_routine_news_waits_out_the_window_and_makes_no_call_before(world: World) -> None:
    world.ingest([("person1@acme.example", "like", None)])
    with Session(world.rt.engine) as s:
        waits = [
            (r.next_attempt_at - utcnow()).total_seconds() for r in s.exec(select(SyncRequest))
        ]
    assert waits and all(28 < w <= 30 for w in waits)
    assert sync_pending() == {}
    assert world.write_calls() == 0


def test_news_within_the_window_joins_the_waiting_request_without_delaying_it(world: World) -> None:
    world.ingest([("person1@acme.example", "like", None)])
    with Session(world.rt.engine) as s:
        first = {r.record_id: r.next_attempt_at for r in s.exec(select(SyncRequest))}
    world.ingest([("person1@acme.example", "comment", "more")])
    with Session(world.rt.engine) as s:
        later = {r.record_id: r.next_attempt_at for r in s.exec(select(SyncRequest))}
    assert later == first  # the window runs from the first news, not the last


def test_a_hand_off_goes_out_within_seconds_on_its_own_and_routine_news_keeps_waiting(
    world: World,
) -> None:
    world.ingest([("person1@acme.example", "like", None)])
    world.ingest(ENGAGED)  # person2 crosses the hand-off threshold
    with Session(world.rt.engine) as s:
        before = {r.record_id: r.next_attempt_at for r in s.exec(select(SyncRequest))}
    time.sleep(SYNC_URGENT_S)  # hand-offs made meanwhile would go in the same call
    stats = sync_pending()
    assert stats["records"] == 1 and stats["handoffs"] == 1
    assert stats["written"] == 0 and stats["activities"] == 0
    assert world.write_calls() == 1  # the owner's task alone
    with Session(world.rt.engine) as s:
        assert s.exec(select(Handoff)).one().status == "written"
        after = {r.record_id: r.next_attempt_at for r in s.exec(select(SyncRequest))}
    assert after == before  # person2, person1 and the account still wait out the window
    assert sync_pending() == {}


def test_a_sync_asked_for_before_its_hand_off_is_due_waits_for_it_not_for_a_tick(
    world: World,
) -> None:
    """Processing asks for a sync right after it made the hand-off: that job writes it when it
    is due, instead of leaving it to the scheduler's next tick."""
    world.ingest(ENGAGED)
    started = time.monotonic()
    stats = sync_pending()
    took = time.monotonic() - started
    assert stats["handoffs"] == 1 and world.write_calls() == 1
    assert SYNC_URGENT_S - 0.5 < took < SYNC_URGENT_S + 1.5


def test_routine_news_alone_never_keeps_a_sync_job_waiting(world: World) -> None:
    world.ingest([("person1@acme.example", "like", None)])
    started = time.monotonic()
    assert sync_pending() == {}
    assert time.monotonic() - started < 0.5


def test_a_hand_off_retried_after_a_429_goes_alone_and_leaves_every_window_alone(
    world: World,
) -> None:
    """A retry that comes due writes what failed, not everyone's news before its window ends
    (that news would then go out twice, in two sets of batches), and not its own record's
    news either (a call of its own for one record's fields and activities)."""
    world.ingest([("person1@acme.example", "like", None)])
    world.ingest(ENGAGED)  # person2 crosses the hand-off threshold
    time.sleep(SYNC_URGENT_S)
    world.sandbox.set_faults(world.crm, fail_next=1, fail_with="429")
    assert world.sync()["deferred"] == 1
    world.sandbox.clear_faults()
    with Session(world.rt.engine) as s:
        waiting = {r.record_id: r.next_attempt_at for r in s.exec(select(SyncRequest))}
        person2 = s.exec(select(Handoff)).one().record_id
    with session_scope(world.rt.engine) as session:  # the wait the CRM asked for is over
        session.execute(
            update(SyncRequest)
            .where(col(SyncRequest.record_id) == person2)
            .values(next_attempt_at=utcnow())
        )
    calls = world.write_calls()
    stats = sync_pending()  # as the scheduler runs it, with the configured window
    assert stats["records"] == 1 and stats["handoffs"] == 1
    assert stats["written"] == 0 and stats["activities"] == 0
    assert world.write_calls() == calls + 1  # the owner's task alone
    with Session(world.rt.engine) as s:
        after = {r.record_id: r.next_attempt_at for r in s.exec(select(SyncRequest))}
        retried = s.exec(select(SyncRequest).where(SyncRequest.record_id == person2)).one()
    assert retried.attempts == 0 and retried.next_attempt_at > utcnow()  # its news waits
    del after[person2], waiting[person2]
    assert after == waiting  # person1 and the account still wait out their window


def test_hand_offs_made_during_a_long_routine_pass_go_out_before_it_ends(world: World) -> None:
    """One pass runs at a time, and a routine pass over a busy window takes seconds: hand-offs
    that come due meanwhile, of records it writes and of others, go out between its calls."""
    world.ingest([("person1@acme.example", "like", None), ("person2@acme.example", "like", None)])
    with session_scope(world.rt.engine) as session:  # the window ends
        session.execute(update(SyncRequest).values(next_attempt_at=utcnow()))
    sent: list[str] = []
    real_fields, real_activities = world.adapter.write_fields, world.adapter.write_activities

    def slow_fields(object_type, updates):
        if not sent:  # meanwhile person2 (in this pass) and person3 (not) cross the threshold
            world.ingest(ENGAGED + [("person3@acme.example", k, t) for _, k, t in ENGAGED])
            time.sleep(SYNC_URGENT_S)
        sent.append(f"fields of {len(updates)}")
        return real_fields(object_type, updates)

    def activities(batch):
        sent.append("hand-offs" if all(a.handoff for a in batch) else "touchpoints")
        return real_activities(batch)

    world.adapter.write_fields = slow_fields
    world.adapter.write_activities = activities
    world.sync()
    assert sent.count("hand-offs") >= 1 and sent.index("hand-offs") < sent.index("touchpoints")
    with Session(world.rt.engine) as s:
        assert [h.status for h in s.exec(select(Handoff))] == ["written", "written"]


def test_one_sync_pass_at_a_time(world: World) -> None:
    world.ingest(ENGAGED)
    time.sleep(SYNC_URGENT_S)
    holding, release = threading.Event(), threading.Event()

    def other_process() -> None:  # flock excludes other open files, like another process's
        with pass_lease(world.rt.engine) as held:
            assert held
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=other_process)
    thread.start()
    try:
        holding.wait(10)
        assert sync_pending() == {"busy": 1}
        assert world.write_calls() == 0
    finally:
        release.set()
        thread.join()
    assert sync_pending()["handoffs"] == 1


def test_when_a_window_ends_news_still_within_its_own_goes_in_the_same_batches(
    world: World,
) -> None:
    """The calls are made anyway: one pass writes every record with news, so a steady stream
    costs one set of full batches per window, not a few records per scheduler tick."""
    world.ingest([("person1@acme.example", "like", None)])
    with session_scope(world.rt.engine) as session:  # person1's window (and its account's) ends
        session.execute(update(SyncRequest).values(next_attempt_at=utcnow()))
    world.ingest([("person3@acme.example", "comment", "fresh news")])  # a window just begun
    stats = sync_pending()
    assert stats["records"] == 3 and stats["written"] == 3 and stats["activities"] == 2
    assert world.write_calls() == 3  # people's fields, the account's, the activities
    with Session(world.rt.engine) as s:
        assert list(s.exec(select(SyncRequest))) == []
