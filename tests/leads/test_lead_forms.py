"""Signed lead-form deliveries from Meta and LinkedIn end as a CRM activity on the person who
filled the form in, or, when no CRM person matches and RevOps chose so, as exactly one new CRM
Lead carrying that activity: through the real simple-salesforce / hubspot-api-client against
the CRM sandbox, and our own reader against the platform sandbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from enrich.models import DeadLetter, LeadStatus, RawEvent, Touchpoint, WriteStatus
from enrich.privacy import erase_person, export_person
from enrich.retention import purge
from enrich.sandbox import Sandbox
from enrich.sandbox.platforms import PlatformSandbox
from tests.leads.harness import PAGE, LeadWorld
from tests.sync.harness import people_seed

DANA = "urn:li:person:DanaLead1"
LI_ID = "aaaabbbb-0000-cccc-1111-dddd2222eeee-5"


@pytest.fixture(params=["salesforce", "hubspot"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeadWorld]:
    overrides = getattr(request, "param_overrides", {})
    with Sandbox(seed=people_seed(3)) as sandbox, PlatformSandbox() as platforms:
        w = LeadWorld(tmp_path, sandbox, platforms, request.param, crm_timeout_s=0.5, **overrides)
        yield w
        w.close()


@pytest.fixture(params=["salesforce", "hubspot"])
def creating(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeadWorld]:
    """A world whose RevOps chose `LEAD_FORMS_UNMATCHED=create_lead`."""
    with Sandbox(seed=people_seed(3)) as sandbox, PlatformSandbox() as platforms:
        w = LeadWorld(
            tmp_path,
            sandbox,
            platforms,
            request.param,
            crm_timeout_s=0.5,
            lead_forms_unmatched="create_lead",
            lead_forms_owners=f"*={owner_of(sandbox, request.param)}",
        )
        yield w
        w.close()


def owner_of(sandbox: Sandbox, crm: str) -> str:
    if crm == "salesforce":
        return str(sandbox.sf_records("User")[0]["Id"])
    return str(sandbox.state.hs_owners[0]["id"]) if sandbox.state.hs_owners else "1"


def activities(world: LeadWorld, crm_id: str) -> list[dict[str, Any]]:
    """The timeline entries enrich wrote on one CRM person."""
    if world.crm == "salesforce":
        return [t for t in world.sandbox.sf_records("Task") if t.get("WhoId") == crm_id]
    notes = {n for _, n, _ in world.sandbox.hs_associations("contacts", crm_id, "notes")}
    found = [world.sandbox.hs_object("notes", n) for n in notes]
    return [note for note in found if note is not None and not note["archived"]]


def subject(world: LeadWorld, activity: dict[str, Any]) -> str:
    if world.crm == "salesforce":
        return str(activity["Subject"])
    return str(activity["properties"]["hs_note_body"])


def crm_person(world: LeadWorld, email: str) -> dict[str, Any] | None:
    return world.sandbox.contact(email, world.crm)


def new_leads(world: LeadWorld, email: str) -> list[dict[str, Any]]:
    if world.crm == "salesforce":
        return world.sandbox.sf_records("Lead", Email=email)
    return world.sandbox.hs_objects("contacts", email=email)


def test_a_signed_meta_lead_ends_as_an_activity_on_the_contact_it_names(world: LeadWorld) -> None:
    world.platforms.add_meta_lead(
        PAGE,
        "1234567890123456",
        "5278296666664",
        {"full_name": "Person1 Tester1", "email": "Person1@Acme.example", "job_title": "CTO"},
        ad_id="1202126699555",
    )
    answer = world.meta_leadgen("1234567890123456")
    assert answer.status_code == 200 and answer.json["status"] == "accepted"
    assert world.platforms.calls == []  # the webhook request never calls the platform
    again = world.meta_leadgen("1234567890123456")
    assert again.json["status"] == "duplicate"

    world.process()
    assert world.lead_rows()[0].status == LeadStatus.PENDING
    assert world.leads() == {"fetched": 1}
    assert world.platforms.calls == ["GET /{version}/{id}", "GET /{version}/{id}"]  # lead, form
    world.sync_until_done()

    contact = crm_person(world, "person1@acme.example")
    assert contact is not None
    crm_id = str(contact.get("Id") or contact.get("id"))
    [written] = [a for a in activities(world, crm_id) if "lead form" in subject(world, a)]
    assert "Filled in your lead form on Facebook" in subject(world, written)
    with Session(world.rt.engine) as s:
        [tp] = s.exec(select(Touchpoint)).all()
    assert (tp.kind, tp.dedupe_key, tp.post_id) == (
        "lead_form",
        "meta:lead:1234567890123456",
        "1202126699555",
    )
    assert tp.text is not None and "Job Title: CTO" in tp.text
    [row] = world.lead_rows()
    assert row.crm_status is None  # a person matched: no Lead to make
    assert {a["meaning"] for a in row.answers or []} == {"full_name", "email", "title"}


def test_an_unmatched_lead_is_kept_for_review_by_default(world: LeadWorld) -> None:
    """The default (`review`) writes nothing new to the CRM: a form filled in by someone the CRM
    does not know may be a competitor, a student or a test; RevOps decide."""
    world.platforms.add_linkedin_lead(
        LI_ID, "77", {"FIRST_NAME": "Nora", "LAST_NAME": "New", "EMAIL": "nora@newco.example"}, DANA
    )
    assert world.linkedin_lead(LI_ID).status_code == 200
    world.process()
    assert world.leads() == {"fetched": 1}
    world.sync_until_done()
    [row] = world.lead_rows()
    assert row.crm_status == "review"
    assert new_leads(world, "nora@newco.example") == []


def test_an_unmatched_lead_becomes_exactly_one_crm_lead_even_when_the_answer_is_lost(
    creating: LeadWorld,
) -> None:
    world = creating
    world.platforms.add_linkedin_lead(
        LI_ID,
        "77",
        {
            "FIRST_NAME": "Nora",
            "LAST_NAME": "New",
            "EMAIL": "nora@newco.example",
            "COMPANY_NAME": "NewCo",
            "JOB_TITLE": "VP Sales",
        },
        DANA,
    )
    assert world.linkedin_lead(LI_ID).status_code == 200
    world.process()
    # The CRM carries out the create but its answer never reaches enrich (a timeout).
    world.sandbox.set_faults(world.crm, fail_next=1, fail_with="lost", late_ms=1500)
    assert world.leads() == {"fetched": 1}
    [row] = world.lead_rows()
    assert row.crm_status == WriteStatus.SENDING  # may have landed: re-sent as an upsert
    time.sleep(1.6)  # the held create lands
    assert len(new_leads(world, "nora@newco.example")) == 1
    assert world.leads() == {"created": 1}
    assert world.leads() == {}  # nothing left
    [made] = new_leads(world, "nora@newco.example")
    [row] = world.lead_rows()
    assert row.crm_status == WriteStatus.WRITTEN
    assert row.crm_id == str(made.get("Id") or made.get("id"))
    if world.crm == "salesforce":
        assert (made["Enrich_Lead_Key__c"], made["Company"], made["Title"]) == (
            f"linkedin:{LI_ID}",
            "NewCo",
            "VP Sales",
        )
        assert made["OwnerId"] == owner_of(world.sandbox, "salesforce")
    else:
        assert made["properties"]["lifecyclestage"] == "lead"
        assert made["properties"]["enrich_lead_key"] == f"linkedin:{LI_ID}"

    world.sync_until_done()  # the lead_form activity is written on the new Lead
    [written] = activities(world, str(row.crm_id))
    assert "Filled in your lead form on LinkedIn" in subject(world, written)
    with Session(world.rt.engine) as s:
        assert s.exec(select(DeadLetter)).all() == []


def test_a_test_lead_is_flagged_and_never_becomes_a_crm_lead(creating: LeadWorld) -> None:
    world = creating
    world.platforms.add_linkedin_lead(
        LI_ID, "77", {"EMAIL": "test@newco.example", "LAST_NAME": "Test"}, DANA, test=True
    )
    world.linkedin_lead(LI_ID)
    world.process()
    world.leads()
    [row] = world.lead_rows()
    assert (row.test_lead, row.crm_status) == (True, "review")
    assert new_leads(world, "test@newco.example") == []


def test_linkedin_deleted_erases_the_answers_the_touchpoint_and_the_crm_activity(
    world: LeadWorld,
) -> None:
    world.platforms.add_linkedin_lead(
        LI_ID, "77", {"EMAIL": "person2@acme.example", "FIRST_NAME": "Person2"}, DANA
    )
    world.linkedin_lead(LI_ID)
    world.process()
    world.leads()
    world.sync_until_done()
    contact = crm_person(world, "person2@acme.example")
    assert contact is not None
    crm_id = str(contact.get("Id") or contact.get("id"))
    assert len(activities(world, crm_id)) >= 1

    assert world.linkedin_lead(LI_ID, action="DELETED").json["status"] == "accepted"
    world.process()
    assert world.leads() == {"erased": 1}
    world.sync_until_done()
    [row] = world.lead_rows()
    assert (row.status, row.answers, row.touchpoint_id) == (LeadStatus.DELETED, None, None)
    with Session(world.rt.engine) as s:
        assert s.exec(select(Touchpoint)).all() == []
    assert [a for a in activities(world, crm_id) if "lead form" in subject(world, a)] == []
    # A CREATED delivered again after the DELETED does not bring the lead back.
    world.linkedin_lead(LI_ID, occurredAt=1772532999000)
    world.process()
    assert world.leads() == {}
    assert world.lead_rows()[0].status == LeadStatus.DELETED


def test_a_lead_notification_redelivered_is_one_delivery_and_one_touchpoint(
    world: LeadWorld,
) -> None:
    world.platforms.add_linkedin_lead(LI_ID, "77", {"EMAIL": "person1@acme.example"}, DANA)
    first = world.linkedin_lead(LI_ID)
    second = world.linkedin_lead(LI_ID)
    assert (first.json["status"], second.json["status"]) == ("accepted", "duplicate")
    world.process()
    world.leads()
    world.leads()
    with Session(world.rt.engine) as s:
        assert len(s.exec(select(RawEvent)).all()) == 1
        assert len(s.exec(select(Touchpoint)).all()) == 1
    assert world.platforms.calls.count("GET /rest/leadFormResponses/{id}") == 1


def test_erasing_a_person_erases_their_lead_answers_and_keeps_them_erased(
    world: LeadWorld,
) -> None:
    world.platforms.add_linkedin_lead(
        LI_ID, "77", {"EMAIL": "person1@acme.example", "PHONE_NUMBER": "+1 555 0100"}, DANA
    )
    world.linkedin_lead(LI_ID)
    world.process()
    world.leads()
    [row] = world.lead_rows()
    assert row.profile_id is not None
    exported = export_person(world.rt.engine, record_id=None, profile_ids=[row.profile_id])
    assert exported["lead_forms"][0]["answers"][1]["value"] == "+1 555 0100"

    erase_person(world.rt.engine, record_id=None, profile_ids=[row.profile_id], actor="test")
    [row] = world.lead_rows()
    assert (row.status, row.answers, row.profile_id) == (LeadStatus.DELETED, None, None)
    # Read again (a replay): the person stays erased.
    with Session(world.rt.engine) as s:
        row.status = LeadStatus.PENDING
        s.add(row)
        s.commit()
    assert world.leads() == {"erased_person": 1}
    with Session(world.rt.engine) as s:
        assert s.exec(select(Touchpoint)).all() == []


def test_two_forms_by_one_unknown_person_make_one_lead_with_both_activities(
    creating: LeadWorld,
) -> None:
    world = creating
    other = "ffff0000-1111-2222-3333-444455556666-1"
    for response_id in (LI_ID, other):
        world.platforms.add_linkedin_lead(
            response_id, "77", {"EMAIL": "nora@newco.example", "LAST_NAME": "New"}, DANA
        )
        world.linkedin_lead(response_id)
    world.process()
    assert world.leads() == {"fetched": 2, "created": 1}
    assert world.leads() == {}
    assert len(new_leads(world, "nora@newco.example")) == 1
    first, second = world.lead_rows()
    assert (first.crm_status, second.crm_status) == (WriteStatus.WRITTEN, None)
    world.sync_until_done()
    assert len(activities(world, str(first.crm_id))) == 2


def test_lead_answers_are_kept_as_long_as_their_touchpoint(world: LeadWorld) -> None:
    world.platforms.add_linkedin_lead(LI_ID, "77", {"EMAIL": "person1@acme.example"}, DANA)
    world.linkedin_lead(LI_ID)
    world.process()
    world.leads()
    # The sample response was submitted on 2025-12-01.
    purge(world.rt.engine, raw_event_days=0, touchpoint_days=3650)
    assert world.lead_rows()[0].answers is not None
    purge(world.rt.engine, raw_event_days=0, touchpoint_days=30)
    [row] = world.lead_rows()
    assert (row.answers, row.touchpoint_id, row.status) == (None, None, LeadStatus.FETCHED)
