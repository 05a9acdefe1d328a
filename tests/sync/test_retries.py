"""Every retryable outcome of every write kind stays pending until it lands or is dead-lettered:
a throttled, failed or unanswered write is never taken for done."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from enrich.models import DeadLetter, Handoff, SyncRequest
from enrich.sync.adapter import Activity, WriteResult
from enrich.sync.sandbox import Sandbox
from tests.sync.harness import World, people_seed

ENGAGED = [("person1@acme.example", kind, f"{kind} {i}") for i in range(4)
           for kind in ("comment", "share", "mention", "reply", "dm", "quote")]


@pytest.fixture(params=["salesforce", "hubspot"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with Sandbox(seed=people_seed(5)) as sandbox:
        w = World(tmp_path, sandbox, request.param, crm_timeout_s=0.5)
        yield w
        w.close()


def handoff_tasks(world: World) -> list[Any]:
    if world.crm == "salesforce":
        return [t for t in world.sandbox.sf_records("Task")
                if str(t["Enrich_Touchpoint_Id__c"]).startswith("handoff-")]
    return [n for n in world.sandbox.hs_objects("notes")
            if str(n["properties"].get("enrich_touchpoint_id")).startswith("handoff-")]


def on_handoffs(world: World, fault: Callable[[], None]) -> None:
    """Apply `fault` to the CRM for the next hand-off write only."""
    real = world.adapter.write_activities

    def faulty(activities: list[Activity]) -> list[WriteResult]:
        if not all(a.handoff for a in activities):
            return real(activities)
        world.adapter.write_activities = real  # type: ignore[method-assign]
        fault()
        try:
            return real(activities)
        finally:
            world.sandbox.clear_faults()

    world.adapter.write_activities = faulty  # type: ignore[method-assign]


@pytest.mark.parametrize("fault", ["429", "503", "late"])
def test_a_hand_off_refused_for_now_is_sent_again_until_it_lands(world: World,
                                                                  fault: str) -> None:
    """Regression (#18): a 429, 503 or timeout on the hand-off write left it 'sending' while its
    sync request was deleted as done, so the owner's follow-up task was never written. ('late':
    the CRM creates the task but answers after the client gave up.)"""
    world.ingest(ENGAGED)
    on_handoffs(world, lambda: world.sandbox.set_faults(world.crm, fail_next=1,
                                                        fail_with=fault, late_ms=1200))
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
