"""Every retryable outcome of every write kind stays pending until it lands or is dead-lettered:
a throttled, failed or unanswered write is never taken for done."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from enrich.models import DeadLetter, Handoff, SyncRequest
from enrich.sandbox import Sandbox
from enrich.sync.adapter import Activity, WriteResult
from tests.sync.harness import World, people_seed

ENGAGED = [
    ("person1@acme.example", kind, f"{kind} {i}")
    for i in range(4)
    for kind in ("comment", "share", "mention", "reply", "dm", "quote")
]


@pytest.fixture(params=["salesforce", "hubspot"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with Sandbox(seed=people_seed(5)) as sandbox:
        w = World(tmp_path, sandbox, request.param, crm_timeout_s=0.5)
        yield w
        w.close()


def handoff_tasks(world: World) -> list[Any]:
    if world.crm == "salesforce":
        return [
            t
            for t in world.sandbox.sf_records("Task")
            if str(t["Enrich_Touchpoint_Id__c"]).startswith("handoff-")
        ]
    return [
        t
        for t in world.sandbox.hs_objects("tasks")
        if str(t["properties"].get("enrich_handoff_id")).startswith("handoff-")
    ]


def on_handoffs(world: World, fault: Callable[[], None]) -> None:
    """Apply `fault` to the CRM for the next hand-off write only."""
    real = world.adapter.write_activities

    def faulty(activities: list[Activity]) -> list[WriteResult]:
        if not all(a.handoff for a in activities):
            return real(activities)
        world.adapter.write_activities = real
        fault()
        try:
            return real(activities)
        finally:
            world.sandbox.clear_faults()

    world.adapter.write_activities = faulty


@pytest.mark.parametrize("fault", ["429", "503", "late"])
def test_a_hand_off_refused_for_now_is_sent_again_until_it_lands(world: World, fault: str) -> None:
    """Regression (#18): a 429, 503 or timeout on the hand-off write left it 'sending' while its
    sync request was deleted as done, so the owner's follow-up task was never written. ('late':
    the CRM creates the task but answers after the client gave up.)"""
    world.ingest(ENGAGED)
    on_handoffs(
        world,
        lambda: world.sandbox.set_faults(world.crm, fail_next=1, fail_with=fault, late_ms=1200),
    )
    world.sync()
    with Session(world.rt.engine) as s:
        assert s.exec(select(Handoff)).one().status != "written"
        assert s.exec(select(SyncRequest)).first() is not None  # still pending
    world.sync_until_done()
    with Session(world.rt.engine) as s:
        handoff = s.exec(select(Handoff)).one()
        assert list(s.exec(select(DeadLetter))) == []
    assert handoff.status == "written"
    assert [t.get("Id") or t.get("id") for t in handoff_tasks(world)] == [handoff.activity_id]


def test_a_write_overtaken_by_its_retry_still_lands_once(world: World) -> None:
    """Regression (#18, HubSpot): the CRM held an activity write past the client's timeout and
    performed it after the retry, which had searched for the key (not there yet; HubSpot's
    search also lags new records), found nothing and written the note again. Now a retry
    upserts on the key (a unique-value property on HubSpot, an External ID on Salesforce), so
    whichever of the two lands second updates the first."""
    import time

    world.sandbox.set_limits(hs_search_lag_ms=5000)
    world.ingest([("person1@acme.example", kind, f"{kind} x") for kind in ("comment", "like")])
    real = world.adapter.write_activities

    def held_then_performed(activities: list[Activity]) -> list[WriteResult]:
        world.adapter.write_activities = real
        world.sandbox.set_faults(world.crm, fail_next=1, fail_with="lost", late_ms=1500)
        return real(activities)

    world.adapter.write_activities = held_then_performed
    world.sync()
    assert tasks_or_notes(world) == []  # the client gave up; the CRM has not written it yet
    world.sync_until_done()  # the retry overtakes the held write
    time.sleep(1.5)  # the held write lands now
    keys = [
        k for k in (key_of(world, a) for a in tasks_or_notes(world)) if not k.startswith("handoff-")
    ]
    assert len(keys) == 2 and len(set(keys)) == 2


def tasks_or_notes(world: World) -> list[dict[str, Any]]:
    if world.crm == "salesforce":
        return world.sandbox.sf_records("Task")
    return world.sandbox.hs_objects("notes")


def key_of(world: World, activity: dict[str, Any]) -> str:
    if world.crm == "salesforce":
        return str(activity["Enrich_Touchpoint_Id__c"])
    return str(activity["properties"]["enrich_touchpoint_id"])


@pytest.mark.parametrize("retry_after", [3, 20])
def test_a_salesforce_429_waits_as_long_as_its_retry_after_says(
    tmp_path: Path, retry_after: int
) -> None:
    """Regression (#18): a Salesforce 429 waited a fixed 10 s whatever Retry-After said."""
    from enrich.models import utcnow

    with Sandbox(seed=people_seed(5)) as sandbox:
        world = World(tmp_path, sandbox, "salesforce")
        try:
            world.ingest([("person1@acme.example", "comment", "hello")])
            sandbox.set_faults(
                "salesforce",
                fail_next=1,
                fail_with="429",
                sf_throttle_status=429,
                retry_after_s=retry_after,
            )
            assert world.sync()["deferred"] > 0
            with Session(world.rt.engine) as s:
                waits = [
                    (r.next_attempt_at - utcnow()).total_seconds()
                    for r in s.exec(select(SyncRequest))
                ]
            # (plus up to 10 % jitter, so that workers do not come back in step)
            assert waits and all(retry_after - 1 < w <= retry_after * 1.1 for w in waits)
        finally:
            world.close()


def test_a_run_whose_bookkeeping_finds_the_database_locked_hands_its_records_back(
    tmp_path: Path,
) -> None:
    """Regression (#18): a run that failed on SQLite's "database is locked" after writing kept
    its records claimed for the whole lease (here 60 s). Now they are due again within
    seconds, and the re-send writes nothing twice."""
    import sqlite3
    import threading
    import time

    from enrich.errors import StorageUnavailable
    from enrich.models import utcnow

    with Sandbox(seed=people_seed(5)) as sandbox:
        world = World(tmp_path, sandbox, "hubspot", sqlite_busy_timeout_ms=100)
        try:
            world.ingest([("person1@acme.example", "comment", "hello")])
            real = world.adapter.write_activities

            def then_lock(activities: list[Activity]) -> list[WriteResult]:
                results = real(activities)
                world.adapter.write_activities = real
                locker = sqlite3.connect(
                    str(tmp_path / "world.db"), isolation_level=None, check_same_thread=False
                )
                locker.execute("BEGIN IMMEDIATE")
                threading.Timer(1.5, lambda: (locker.rollback(), locker.close())).start()
                return results

            world.adapter.write_activities = then_lock
            with pytest.raises(StorageUnavailable):
                world.sync()
            with Session(world.rt.engine) as s:
                requests = list(s.exec(select(SyncRequest)))
            assert requests
            assert all((r.next_attempt_at - utcnow()).total_seconds() < 5 for r in requests)
            time.sleep(0.2)
            world.sync_until_done()
            assert len(sandbox.hs_objects("notes")) == 1
        finally:
            world.close()


def test_a_ledger_row_removed_while_its_batch_is_out_is_not_an_error_and_lands_once(
    world: World,
) -> None:
    """The CRM wrote the batch, and meanwhile its ledger rows went (a merge in the CRM moved
    the person's ledger): the run records what it can, and a later run writes nothing twice."""
    from sqlalchemy import delete

    from enrich.db import session_scope
    from enrich.models import ActivityWrite

    world.ingest([("person1@acme.example", "comment", "hello")])
    real = world.adapter.write_activities

    def rows_removed_meanwhile(activities: list[Activity]) -> list[WriteResult]:
        results = real(activities)
        world.adapter.write_activities = real
        with session_scope(world.rt.engine) as session:
            session.execute(delete(ActivityWrite))
        return results

    world.adapter.write_activities = rows_removed_meanwhile
    world.sync()
    world.sync_until_done()
    keys = [key_of(world, a) for a in tasks_or_notes(world)]
    assert len(keys) == 1
