"""The CRM writer spends API calls like money: coalesced, only what changed, batched, and it
survives rate limits and outages without losing or duplicating anything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from enrich.db import session_scope
from enrich.models import DeadLetter, SyncRequest, utcnow
from enrich.sandbox import Sandbox
from tests.sync.harness import World, people_seed


@pytest.fixture(params=["salesforce", "hubspot"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with Sandbox(seed=people_seed(250)) as sandbox:
        w = World(tmp_path, sandbox, request.param)
        yield w
        w.close()


def tasks_or_notes(world: World) -> int:
    if world.crm == "salesforce":
        return len(world.sandbox.sf_records("Task"))
    return len(world.sandbox.hs_objects("notes"))


def test_many_touchpoints_on_one_record_become_one_field_write(world: World) -> None:
    world.ingest([("person1@acme.example", kind, "hi") for kind in ("like", "comment", "share")])
    stats = world.sync()
    assert stats["written"] == 2  # the contact, and its account's roll-up
    assert world.write_calls() == 3  # contact fields, account fields, one batch of 3 activities
    assert tasks_or_notes(world) == 3


def test_a_second_sync_with_nothing_new_makes_no_write_call(world: World) -> None:
    world.ingest([("person1@acme.example", "comment", "hi")])
    world.sync()
    world.sandbox.reset_log()
    world.ingest([])
    world.sync()
    assert world.write_calls() == 0


def test_writes_are_batched_at_the_crm_limit(world: World) -> None:
    world.ingest([(f"person{i}@acme.example", "like", None) for i in range(250)])
    stats = world.sync()
    assert stats["written"] == 251 and stats["activities"] == 250  # 250 people + their account
    per_batch = 200 if world.crm == "salesforce" else 100
    minimum = 2 * -(-250 // per_batch) + 1  # people's fields + activities + the account
    assert world.write_calls() == minimum


def test_rate_limit_and_outage_defer_then_everything_lands_once(world: World) -> None:
    world.ingest([(f"person{i}@acme.example", "comment", "x") for i in range(120)])
    world.sandbox.set_faults(fail_next=3, fail_with="429")
    first = world.sync()
    assert first["deferred"] > 0
    world.sandbox.set_faults(fail_next=2, fail_with="503")
    world.sync_until_done()
    assert tasks_or_notes(world) == 120
    with Session(world.rt.engine) as s:
        assert list(s.exec(select(DeadLetter))) == []


def test_a_record_deleted_in_the_crm_is_dead_lettered_and_the_rest_land(world: World) -> None:
    world.ingest([("person1@acme.example", "comment", "x"), ("person2@acme.example", "like", None)])
    adapter = world.adapter
    if world.crm == "salesforce":
        [gone] = world.sandbox.sf_records("Contact", Email="person1@acme.example")
        adapter.sf.Contact.delete(gone["Id"])
    else:
        [gone] = world.sandbox.hs_objects("contacts", email="person1@acme.example")
        adapter.client.crm.contacts.basic_api.archive(gone["id"])
    stats = world.sync()
    assert stats["written"] == 2 and stats["failed"] == 1  # person2 and the account
    with Session(world.rt.engine) as s:
        [letter] = list(s.exec(select(DeadLetter)))
    assert letter.kind == "sync"


def test_the_daily_api_budget_is_never_exceeded(tmp_path: Path) -> None:
    from enrich.sync.budget import used_today
    from enrich.sync.writer import sync_pending

    with Sandbox(seed=people_seed(10)) as sandbox:
        world = World(tmp_path, sandbox, "salesforce", crm_daily_budget=3)
        try:
            world.ingest([("person1@acme.example", "comment", "x")])
            first = sync_pending()
            assert first["written"] >= 1
            spent = used_today(world.rt.engine, "salesforce")
            assert spent >= 3  # fields of the person and the account, one Task batch
            world.ingest([("person2@acme.example", "comment", "y")])
            calls_before = world.write_calls()
            assert sync_pending() == {"budget_exhausted": 1}
            assert world.write_calls() == calls_before
            assert used_today(world.rt.engine, "salesforce") == spent
        finally:
            world.close()


def test_entries_after_a_failed_chunk_stay_unsent_and_spend_no_attempt(world: World) -> None:
    """Regression (bench/sync_faults.py): entries after the chunk the CRM refused were left
    'sending', and their records spent an attempt per run without being sent, until they were
    dead-lettered. (Unsure entries are re-sent as upserts on their key, never searched for.)"""
    from collections import Counter

    from enrich.models import ActivityWrite, SyncRequest

    world.ingest([(f"person{i}@acme.example", "like", None) for i in range(250)])
    real = world.adapter.write_activities

    def first_chunk_throttled(activities):
        world.sandbox.set_faults(fail_next=1, fail_with="429")
        world.adapter.write_activities = real
        return real(activities)

    world.adapter.write_activities = first_chunk_throttled
    world.sync()
    per_batch = 200 if world.crm == "salesforce" else 100
    with Session(world.rt.engine) as s:
        writes = list(s.exec(select(ActivityWrite)))
        attempts = {r.record_id: r.attempts for r in s.exec(select(SyncRequest))}
    assert Counter(w.status for w in writes) == {"sending": per_batch, "pending": 250 - per_batch}
    assert {attempts[w.record_id] for w in writes if w.status == "sending"} == {1}
    assert {attempts[w.record_id] for w in writes if w.status == "pending"} == {0}
    world.sandbox.reset_log()
    world.sync_until_done()
    assert tasks_or_notes(world) == 250
    assert world.sandbox.requests_count("search", side="hubspot") == 0  # re-sent, not looked up


def test_rate_limits_never_park_work_in_the_dead_letter_table(world: World) -> None:
    world.ingest([(f"person{i}@acme.example", "like", None) for i in range(5)])
    for _ in range(8):  # more rate-limited runs than the attempts that would dead-letter a fault
        world.sandbox.set_faults(fail_next=1, fail_with="429")
        world.sync()
        world.sandbox.clear_faults()
        with session_scope(world.rt.engine) as session:
            session.execute(update(SyncRequest).values(next_attempt_at=utcnow()))
    world.sync_until_done()
    with Session(world.rt.engine) as s:
        assert list(s.exec(select(DeadLetter))) == []
    assert tasks_or_notes(world) == 5


def test_a_hand_off_task_whose_answer_was_lost_is_not_written_twice(tmp_path: Path) -> None:
    """A hand-off task created by HubSpot whose answer never arrived (timeout) is upserted on
    its key by the next run instead of being created a second time."""
    import time

    from enrich.models import Handoff

    with Sandbox(seed=people_seed(5)) as sandbox:
        world = World(tmp_path, sandbox, "hubspot", crm_timeout_s=0.5)
        try:
            world.ingest(
                [
                    ("person1@acme.example", kind, f"{kind} {i}")
                    for i in range(4)
                    for kind in ("comment", "share", "mention", "reply", "dm", "quote")
                ]
            )
            with Session(world.rt.engine) as s:
                assert s.exec(select(Handoff)).first() is not None
            real = world.adapter.write_activities

            def handoff_answer_lost(activities):
                if not all(a.handoff for a in activities):
                    return real(activities)
                sandbox.set_faults("hubspot", delay_ms=1200)  # created after the client gave up
                try:
                    return real(activities)
                finally:
                    sandbox.clear_faults()

            world.adapter.write_activities = handoff_answer_lost
            world.sync()
            with Session(world.rt.engine) as s:
                assert s.exec(select(Handoff)).one().status == "sending"

            def handoff_tasks() -> list[dict[str, object]]:
                return [
                    t
                    for t in sandbox.hs_objects("tasks")
                    if str(t["properties"].get("enrich_handoff_id")).startswith("handoff-")
                ]

            deadline = time.monotonic() + 5
            while not handoff_tasks() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(handoff_tasks()) == 1  # HubSpot did create it
            world.adapter.write_activities = real
            world.ingest([("person1@acme.example", "like", None)])
            world.sync_until_done()
            with Session(world.rt.engine) as s:
                handoff = s.exec(select(Handoff)).one()
            assert handoff.status == "written"
            assert [handoff.activity_id] == [n["id"] for n in handoff_tasks()]
        finally:
            world.close()
