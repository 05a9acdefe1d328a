"""Attribution fields on opportunities (Salesforce) and deals (HubSpot), through the real
simple-salesforce / hubspot-api-client against the sandbox: `enrich crm setup` creates them,
the writer writes them once and again only when a value changes, and an opportunity's
contact roles (deal contacts) count as its people beside its account's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from enrich.models import CrmRecord
from enrich.sandbox import Sandbox
from enrich.services.attribution import request_opportunity_syncs
from enrich.sync.mirror import pull, queue_attribution
from enrich.sync.setup import setup_hubspot, setup_salesforce
from tests.sync.harness import World, people_seed

WINDOW = timedelta(days=90)


def seed(enrich_fields: bool = True) -> dict[str, Any]:
    data = people_seed(2)
    data["enrich_fields"] = enrich_fields
    data["accounts"].append({"key": "globex", "name": "Globex", "domain": "globex.example"})
    data["contacts"].append(
        {
            "first_name": "Olga",
            "last_name": "Outsider",
            "email": "olga@globex.example",
            "account": "globex",
        }
    )
    data["opportunities"] = [
        {
            "name": "Acme expansion",
            "account": "acme",
            "stage": "Prospecting",
            "amount": 48000,
            "close_date": "2026-12-31",
        }
    ]
    return data


def add_contact_role(sandbox: Sandbox, email: str) -> None:
    """Olga of Globex sits on Acme's buying committee (seed data, written into the CRM)."""
    state = sandbox.state
    [opp] = sandbox.sf_records("Opportunity")
    [contact] = sandbox.sf_records("Contact", Email=email)
    state.sf_insert(
        "OpportunityContactRole",
        {"OpportunityId": opp["Id"], "ContactId": contact["Id"], "Role": "Evaluator"},
    )
    [deal] = sandbox.hs_objects("deals")
    [hs_contact] = sandbox.hs_objects("contacts", email=email)
    state.hs_associate("deals", deal["id"], "contacts", hs_contact["id"], 3)


def opportunity(world: World) -> dict[str, Any]:
    if world.crm == "salesforce":
        [opp] = world.sandbox.sf_records("Opportunity")
        return {
            "influenced": opp["Social_Influenced__c"],
            "first": opp["First_Social_Touch__c"],
            "before_create": opp["Social_Touches_Before_Create__c"],
            "before_close": opp["Social_Touches_Before_Close__c"],
        }
    [deal] = world.sandbox.hs_objects("deals")
    props = deal["properties"]
    number = lambda v: None if v is None else float(v)  # noqa: E731
    return {
        "influenced": {"true": True, "false": False}.get(props.get("enrich_social_influenced")),
        "first": props.get("enrich_first_social_touch"),
        "before_create": number(props.get("enrich_touches_before_create")),
        "before_close": number(props.get("enrich_touches_before_close")),
    }


@pytest.fixture(params=["salesforce", "hubspot"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with Sandbox(seed=seed()) as sandbox:
        add_contact_role(sandbox, "olga@globex.example")
        w = World(tmp_path, sandbox, request.param)
        yield w
        w.close()


def request(world: World) -> int:
    return request_opportunity_syncs(
        world.rt.engine, world.crm, world.adapter.fields.opportunity, WINDOW
    )


def test_touches_before_creation_are_written_on_the_opportunity_once(world: World) -> None:
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    world.ingest([("person1@acme.example", "comment", "Zero trust, finally")], at=three_days_ago)
    # Olga is no Acme contact: she counts through her contact role.
    world.ingest([("olga@globex.example", "like", None)], at=three_days_ago + timedelta(days=1))
    assert request(world) == 1
    world.sync_until_done()
    written = opportunity(world)
    assert written["influenced"] is True and written["before_create"] == 2
    assert written["before_close"] == 0
    assert written["first"].startswith(f"{three_days_ago:%Y-%m-%d}: Commented on your post on")

    world.sandbox.reset_log()
    assert request(world) == 0  # nothing changed: not even asked
    world.sync()
    assert world.write_calls() == 0


def test_an_opportunity_without_touches_is_not_written_until_a_late_touch_counts(
    world: World,
) -> None:
    # Nothing to say yet: the new fields stay as the CRM shows a new field (no write).
    assert request(world) == 0
    world.sync_until_done()
    assert world.write_calls() == 0
    assert opportunity(world)["influenced"] in (False, None)
    assert opportunity(world)["before_create"] is None
    # A touch from before the opportunity, arriving late (an import): it counts now.
    world.ingest(
        [("person0@acme.example", "share", None)], at=datetime.now(UTC) - timedelta(days=10)
    )
    world.sandbox.reset_log()
    assert request(world) == 1
    world.sync_until_done()
    assert opportunity(world)["influenced"] is True
    assert world.write_calls() >= 1


def test_closing_the_opportunity_fills_touches_before_close(world: World) -> None:
    world.ingest(
        [("person1@acme.example", "comment", "hi")], at=datetime.now(UTC) - timedelta(days=1)
    )
    request(world)
    world.sync_until_done()
    if world.crm == "salesforce":
        [opp] = world.sandbox.sf_records("Opportunity")
        world.adapter.sf.Opportunity.update(opp["Id"], {"StageName": "Closed Won"})
    else:
        [deal] = world.sandbox.hs_objects("deals")
        world.adapter.client.crm.deals.basic_api.update(
            deal["id"], {"properties": {"dealstage": "closedwon"}}
        )
    pull(world.rt.engine, world.adapter)
    with Session(world.rt.engine) as session:
        [record] = session.exec(select(CrmRecord).where(CrmRecord.object_type == "opportunity"))
    assert (
        str((record.raw or {}).get("IsWon", (record.raw or {}).get("hs_is_closed_won"))).lower()
        == "true"
    )
    assert request(world) == 1
    world.sync_until_done()
    assert opportunity(world)["before_close"] == 1


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_crm_setup_creates_the_opportunity_fields_once(tmp_path: Path, crm: str) -> None:
    with Sandbox(seed=seed(enrich_fields=False)) as sandbox:
        world = World(tmp_path, sandbox, crm)
        try:
            setup = setup_salesforce if crm == "salesforce" else setup_hubspot
            first = setup(world.adapter)
            wanted = (
                {f"Opportunity.{n}" for n in world.adapter.fields.opportunity.values() if n}
                if crm == "salesforce"
                else {f"deals.{n}" for n in world.adapter.fields.opportunity.values() if n}
            )
            assert first.ok and wanted <= set(first.created)
            again = setup(world.adapter)
            assert wanted <= set(again.existing) and not wanted & set(again.created)
            world.ingest(
                [("person1@acme.example", "like", None)], at=datetime.now(UTC) - timedelta(days=2)
            )
            assert request(world) == 1
            world.sync_until_done()
            assert opportunity(world)["influenced"] is True
        finally:
            world.close()


def test_after_a_pull_changed_opportunities_are_looked_at_and_all_of_them_now_and_then(
    world: World,
) -> None:
    # The first pass looks at every opportunity: nothing influenced the new one, nothing due.
    assert queue_attribution(world.rt.engine, world.adapter, 90) == 0
    world.sync_until_done()
    assert queue_attribution(world.rt.engine, world.adapter, 90) == 0  # nothing moved
    # A touch from before the opportunity, arriving late: a pass over all of them sees it.
    world.ingest([("person1@acme.example", "like", None)], at=datetime.now(UTC) - timedelta(days=5))
    assert queue_attribution(world.rt.engine, world.adapter, 90, full_every_s=0) == 1
    world.sync_until_done()
    assert opportunity(world)["influenced"] is True


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_a_field_write_whose_answer_is_lost_is_sent_again_and_lands_once(
    tmp_path: Path, crm: str
) -> None:
    with Sandbox(seed=seed()) as sandbox:
        world = World(tmp_path, sandbox, crm, crm_timeout_s=1.0)
        try:
            world.ingest(
                [("person1@acme.example", "comment", "hi")],
                at=datetime.now(UTC) - timedelta(days=2),
            )
            world.sync_until_done()  # the person and the account first
            assert request(world) == 1
            # The CRM writes the opportunity's fields but answers after the client gave up.
            sandbox.set_faults(crm, fail_next=1, fail_with="late", late_ms=2500)
            first = world.sync()
            assert first["deferred"] == 1
            world.sync_until_done()  # sent again: the same values, nothing added
            assert opportunity(world)["influenced"] is True
            assert opportunity(world)["before_create"] == 1
            sandbox.reset_log()
            assert request(world) == 0
            world.sync()
            assert world.write_calls() == 0
        finally:
            world.close()
