"""Lead-form responses no CRM person matched wait for a person: /api/v1 and the console list
them with their answers and suggested candidates; linking writes the lead_form activity on the
chosen person, creating makes exactly one CRM Lead through the ledgered creation, dismissing
writes nothing; each decision audited, taken once, refused to the wrong caller."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select
from werkzeug.serving import make_server

from enrich.db import session_scope
from enrich.models import AuditLog, CrmRecord, WriteStatus
from enrich.sandbox import Sandbox
from enrich.sandbox.platforms import PlatformSandbox
from enrich.services.decisions import relink
from tests.console import seed
from tests.console.conftest import DESKTOP, sign_in
from tests.leads.harness import LeadWorld
from tests.leads.test_lead_forms import activities, new_leads, subject
from tests.sync.harness import people_seed

LI_ID = "aaaabbbb-0000-cccc-1111-dddd2222eeee-9"
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(params=["salesforce", "hubspot"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeadWorld]:
    with Sandbox(seed=people_seed(3)) as sandbox, PlatformSandbox() as platforms:
        w = LeadWorld(tmp_path, sandbox, platforms, request.param, crm_timeout_s=0.5)
        yield w
        w.close()


def unmatched_lead(world: LeadWorld, response_id: str = LI_ID, **extra: str) -> None:
    """A LinkedIn lead by someone whose answers match no CRM person."""
    answers = {
        "FIRST_NAME": "Nora",
        "LAST_NAME": "New",
        "EMAIL": "nora@newco.example",
        "COMPANY_NAME": "NewCo",
        **extra,
    }
    world.platforms.add_linkedin_lead(
        response_id, "77", answers, f"urn:li:person:{response_id[-6:]}"
    )
    assert world.linkedin_lead(response_id).status_code == 200
    world.process()
    assert world.leads() == {"fetched": 1}


def bearer(world: LeadWorld, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {seed.token(world.rt.engine, role)}"}


def record_id(world: LeadWorld, email: str) -> int:
    with Session(world.rt.engine) as s:
        found = s.exec(select(CrmRecord.id).where(CrmRecord.email == email)).first()
    assert found is not None
    return found


def audit(world: LeadWorld) -> list[tuple[str, str | None, str]]:
    """(action, target, who) of each lead decision: a token's name, or a console user."""
    with Session(world.rt.engine) as s:
        rows = s.exec(select(AuditLog).where(col(AuditLog.action).startswith("lead_")))
        return [(r.action, r.target, r.actor.split(":")[0]) for r in rows]


def test_a_lead_linked_to_a_person_carries_its_activity_there(world: LeadWorld) -> None:
    unmatched_lead(world)
    revops = bearer(world, "revops")
    listing = world.client.get("/api/v1/leads/review", headers=bearer(world, "viewer"))
    assert listing.status_code == 200
    [item] = listing.json["items"]
    assert item["source"] == "linkedin" and item["lead_id"] == LI_ID
    assert {a["label"]: a["value"] for a in item["answers"]}["Email"] == "nora@newco.example"

    # Nora is Person2 under another email (a personal one on the form): RevOps know her.
    person2 = record_id(world, "person2@acme.example")
    answer = world.client.post(
        f"/api/v1/leads/{item['id']}/link", json={"record_id": person2}, headers=revops
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["decision"] == "linked"
    world.sync_until_done()
    contact = world.sandbox.contact("person2@acme.example", world.crm)
    assert contact is not None
    crm_id = str(contact.get("Id") or contact.get("id"))
    assert any("lead form" in subject(world, a) for a in activities(world, crm_id))
    assert new_leads(world, "nora@newco.example") == []
    assert world.client.get("/api/v1/leads/review", headers=revops).json["items"] == []
    assert ("lead_linked", f"lead_form:{item['id']}", "token") in audit(world)
    # Someone else deciding the same lead afterwards is told, not obeyed.
    again = world.client.post(f"/api/v1/leads/{item['id']}/dismiss", headers=revops)
    assert again.status_code == 409 and "not waiting for review" in again.json["error"]["message"]


def test_create_makes_exactly_one_crm_lead_even_when_the_answer_is_lost(
    world: LeadWorld,
) -> None:
    unmatched_lead(world, JOB_TITLE="VP Sales")
    revops = bearer(world, "revops")
    [item] = world.client.get("/api/v1/leads/review", headers=revops).json["items"]
    answer = world.client.post(f"/api/v1/leads/{item['id']}/create", headers=revops)
    assert answer.status_code == 200 and answer.json["decision"] == "create"
    twice = world.client.post(f"/api/v1/leads/{item['id']}/create", headers=revops)
    assert twice.status_code == 409

    world.sandbox.set_faults(world.crm, fail_next=1, fail_with="lost", late_ms=1500)
    assert world.leads() == {}  # sent, its answer lost: it stays `sending`
    [row] = world.lead_rows()
    assert row.crm_status == WriteStatus.SENDING
    assert world.leads() == {"created": 1}  # re-sent as an upsert on its key
    world.sync_until_done()
    [lead] = new_leads(world, "nora@newco.example")
    crm_id = str(lead.get("Id") or lead.get("id"))
    assert any("lead form" in subject(world, a) for a in activities(world, crm_id))
    assert ("lead_create", f"lead_form:{item['id']}", "token") in audit(world)


def test_dismiss_writes_nothing_and_is_audited(world: LeadWorld) -> None:
    unmatched_lead(world)
    revops = bearer(world, "revops")
    [item] = world.client.get("/api/v1/leads/review", headers=revops).json["items"]
    assert (
        world.client.post(f"/api/v1/leads/{item['id']}/dismiss", headers=revops).status_code == 200
    )
    assert world.leads() == {}
    world.sync_until_done()
    assert new_leads(world, "nora@newco.example") == []
    assert world.client.get("/api/v1/leads/review", headers=revops).json["items"] == []
    assert audit(world) == [("lead_dismissed", f"lead_form:{item['id']}", "token")]


@pytest.mark.parametrize("world", ["salesforce"], indirect=True)
def test_the_api_refuses_the_wrong_caller_and_junk_ids(world: LeadWorld) -> None:
    unmatched_lead(world)
    [row] = world.lead_rows()
    viewer, revops = bearer(world, "viewer"), bearer(world, "revops")
    assert world.client.get("/api/v1/leads/review").status_code == 401
    assert world.client.post(f"/api/v1/leads/{row.id}/dismiss", headers=viewer).status_code == 403
    for path in ("/api/v1/leads/999999/dismiss", f"/api/v1/leads/{2**70}/dismiss"):
        assert world.client.post(path, headers=revops).status_code == 404
    bad = world.client.post(
        f"/api/v1/leads/{row.id}/link", json={"record_id": "1 or 1"}, headers=revops
    )
    assert bad.status_code == 400
    gone = world.client.post(
        f"/api/v1/leads/{row.id}/link", json={"record_id": 424242}, headers=revops
    )
    assert gone.status_code == 404
    assert world.client.get("/api/v1/leads/review?limit=0", headers=revops).status_code == 400
    # A platform test lead is reviewed like any other but never becomes a CRM Lead.
    world.platforms.add_linkedin_lead(
        "test-lead-1", "77", {"EMAIL": "test@linkedin.example"}, "urn:li:person:T", test=True
    )
    assert world.linkedin_lead("test-lead-1").status_code == 200
    world.process()
    world.leads()
    test_row = world.lead_rows()[-1]
    assert test_row.test_lead
    refused_test = world.client.post(f"/api/v1/leads/{test_row.id}/create", headers=revops)
    assert refused_test.status_code == 409 and "test lead" in refused_test.json["error"]["message"]
    # A signed-in console user's cookie alone does not carry a write (CSRF); with the page's
    # token it does.
    seed.user(world.rt.engine, "rita@example.com", "revops")
    login = world.client.get("/login").get_data(as_text=True)
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert form_token is not None
    world.client.post(
        "/login",
        data={"email": "rita@example.com", "password": seed.PASSWORD, "csrf_token": form_token[1]},
    )
    refused = world.client.post(f"/api/v1/leads/{row.id}/dismiss")
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf_failed"
    assert world.client.post(f"/review/leads/{row.id}/dismiss").status_code == 400
    assert audit(world) == []
    home = world.client.get("/").get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', home)
    assert csrf is not None
    done = world.client.post(f"/api/v1/leads/{row.id}/dismiss", headers={"X-CSRFToken": csrf[1]})
    assert done.status_code == 200
    assert audit(world) == [("lead_dismissed", f"lead_form:{row.id}", "rita@example.com")]


@pytest.mark.parametrize("world", ["salesforce"], indirect=True)
def test_a_lead_whose_person_was_confirmed_elsewhere_leaves_the_queue(world: LeadWorld) -> None:
    unmatched_lead(world)
    [row] = world.lead_rows()
    assert row.profile_id is not None
    with session_scope(world.rt.engine) as s:
        relink(s, row.profile_id, record_id(world, "person1@acme.example"), "someone")
    revops = bearer(world, "revops")
    assert world.client.get("/api/v1/leads/review", headers=revops).json["items"] == []
    late = world.client.post(f"/api/v1/leads/{row.id}/create", headers=revops)
    assert late.status_code == 409 and "matched to a CRM person" in late.json["error"]["message"]


@pytest.mark.parametrize("world", ["salesforce"], indirect=True)
def test_the_api_pages_through_the_queue(world: LeadWorld) -> None:
    for n in range(3):
        unmatched_lead(world, f"page-{n}", EMAIL=f"nobody{n}@elsewhere.example")
    revops = bearer(world, "revops")
    first = world.client.get("/api/v1/leads/review?limit=2", headers=revops).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = world.client.get(
        f"/api/v1/leads/review?limit=2&cursor={first['next_cursor']}", headers=revops
    ).json
    assert [i["lead_id"] for i in rest["items"]] == ["page-2"] and rest["next_cursor"] is None


@pytest.mark.browser
@pytest.mark.parametrize("world", ["salesforce"], indirect=True)
def test_the_console_shows_hostile_answers_as_text_and_decides(
    world: LeadWorld, browser: Any
) -> None:
    unmatched_lead(world, COMPANY_NAME=HOSTILE, JOB_TITLE='=HYPERLINK("http://x.example")')
    unmatched_lead(world, "second-lead", EMAIL="other@elsewhere.example")
    server = make_server("127.0.0.1", 0, world.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live = f"http://127.0.0.1:{server.server_port}"
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(5000)
    try:
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        seed.user(world.rt.engine, "rita@example.com", "revops")
        sign_in(page, live, "rita@example.com")
        page.wait_for_url(live + "/")
        page.goto(live + "/review")
        page.click("#leads-link")
        page.wait_for_url(re.compile(r".*/review/leads$"))
        assert page.inner_text("#lead-count") == "2"
        card = page.locator("article.lead").first
        assert HOSTILE in card.inner_text()  # shown as the text it is
        assert page.locator("article.lead script").count() == 0
        assert page.locator("article.lead img").count() == 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "leads-review-desktop.png"), full_page=True)

        # Find Person1 in the mirror and link the first lead to them.
        card.locator("input[type=search]").fill("Person1")
        card.locator("form.search button").click()
        page.locator("article.lead").first.locator("button[data-action=link]").first.click()
        page.wait_for_selector("p.flash")
        assert "Linked to record" in page.inner_text("p.flash")
        assert page.inner_text("#lead-count") == "1"
        page.locator("article.lead").first.locator("button[data-action=dismiss]").click()
        page.wait_for_selector("text=No lead is waiting for review.")
        assert dialogs == []
        assert [a for a, _, _ in audit(world)] == ["lead_linked", "lead_dismissed"]
    finally:
        context.close()
        server.shutdown()
        thread.join(5)
