"""On HubSpot a hand-off is a task for the record's owner (an open to-do on their list), keyed by
a unique-value property so it is never written twice; a portal set up before tasks keeps
getting its hand-offs, as notes, until `enrich crm setup` creates the key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from enrich.models import CrmRecord, Handoff
from enrich.sandbox import Sandbox
from enrich.sync.adapter import Activity
from enrich.sync.payload import handoff_activity
from enrich.sync.setup import setup_hubspot
from tests.sync.harness import World, people_seed

ENGAGED = [
    ("person2@acme.example", kind, f"{kind} {i}")
    for i in range(4)
    for kind in ("comment", "share", "mention", "reply", "dm", "quote")
]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=people_seed(5)) as sandbox:
        yield sandbox


def world_on(tmp_path: Path, sandbox: Sandbox, name: str) -> World:
    (tmp_path / name).mkdir()
    return World(tmp_path / name, sandbox, "hubspot")


def handoff_tasks(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.hs_objects("tasks")


def handoff_notes(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [
        n
        for n in sandbox.hs_objects("notes")
        if str(n["properties"].get("enrich_touchpoint_id")).startswith("handoff-")
    ]


def test_a_hand_off_is_an_open_task_for_the_owner_on_the_contact_and_its_company(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    world = world_on(tmp_path, sandbox, "w")
    try:
        world.ingest(ENGAGED)
        world.sync_until_done()
        [task] = handoff_tasks(sandbox)
        props = task["properties"]
        contact = sandbox.contact("person2@acme.example", "hubspot")
        assert contact is not None
        assert props["hs_task_status"] == "NOT_STARTED" and props["hs_task_priority"] == "HIGH"
        assert props["hs_task_subject"].startswith("Follow up: Person2 Tester2")
        assert props["hubspot_owner_id"] == contact["properties"]["hubspot_owner_id"]
        assert props["enrich_handoff_id"].startswith("handoff-")
        assert {(t, tid) for t, tid, _ in sandbox.hs_associations("tasks", task["id"])} == {
            ("contacts", contact["id"]),
            ("companies", contact["properties"]["associatedcompanyid"]),
        }
        assert handoff_notes(sandbox) == []  # the timeline keeps notes for touchpoints only
        with Session(world.rt.engine) as s:
            handoff = s.exec(select(Handoff)).one()
        assert (handoff.status, handoff.activity_id) == ("written", task["id"])
    finally:
        world.close()


def test_a_task_sent_again_after_a_lost_answer_updates_the_one_that_landed(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    world = world_on(tmp_path, sandbox, "w")
    try:
        world.ingest(ENGAGED)
        [entry] = [a for a in _activities(world) if a.handoff]
        first = world.adapter.write_activities([entry])
        again = world.adapter.write_activities([entry])  # as after a timeout: same key
        assert first[0].ok and again[0].ok and first[0].crm_id == again[0].crm_id
        assert len(handoff_tasks(sandbox)) == 1
    finally:
        world.close()


def test_a_portal_set_up_before_tasks_gets_hand_offs_as_notes_until_setup_makes_the_key(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    del sandbox.state.hs_properties["tasks"]["enrich_handoff_id"]  # an older `crm setup`
    world = world_on(tmp_path, sandbox, "old")
    try:
        world.ingest(ENGAGED)
        world.sync_until_done()
        assert len(handoff_notes(sandbox)) == 1 and handoff_tasks(sandbox) == []
        with Session(world.rt.engine) as s:
            assert s.exec(select(Handoff)).one().status == "written"  # nothing lost
        report = setup_hubspot(world.adapter)
        assert "tasks.enrich_handoff_id" in report.created and report.ok
        prop = world.adapter.client.crm.properties.core_api.get_by_name(
            "tasks", "enrich_handoff_id"
        )
        assert prop.has_unique_value
        assert "tasks.enrich_handoff_id" in setup_hubspot(world.adapter).existing
    finally:
        world.close()
    # From then on hand-offs are tasks again (another process looks again within the hour).
    upgraded = world_on(tmp_path, sandbox, "new")
    try:
        upgraded.ingest([("person3@acme.example", kind, text) for _, kind, text in ENGAGED])
        upgraded.sync_until_done()
        assert len(handoff_tasks(sandbox)) == 1 and len(handoff_notes(sandbox)) == 1
    finally:
        upgraded.close()


def _activities(world: World) -> list[Activity]:
    with Session(world.rt.engine) as s:
        return [
            handoff_activity(h, r, "http://enrich.test")
            for h, r in s.exec(
                select(Handoff, CrmRecord).join(CrmRecord, CrmRecord.id == Handoff.record_id)
            )
        ]
