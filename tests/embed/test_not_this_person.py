""" "Not this person" from the card, end to end against the CRM sandbox through the real
simple-salesforce / hubspot-api-client: the wrong link is rejected, audited under the CRM
user's name, and what enrich wrote on the record (timeline entries, score) is taken back —
the same undo as the console's (tests/integration/test_undo.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session, select

from enrich import runtime
from enrich.app import create_app
from enrich.db import upgrade
from enrich.models import AuditLog, CrmRecord, IdentityLink, LinkStatus
from enrich.sandbox import SAMPLE_SEED, Sandbox
from enrich.sync.connect import make_adapter
from enrich.sync.mirror import pull
from enrich.sync.writer import sync_pending
from tests.conftest import wait_until
from tests.embed.conftest import (
    HS_SECRET,
    SF_KEY,
    hubspot_headers,
    hubspot_path,
    salesforce_headers,
)
from tests.integration.conftest import DANA, crm_settings, enrich_score
from tests.integration.test_thin_slice import signed_comment
from tests.integration.test_undo import Crm

BASE = "http://enrich.test"  # PUBLIC_URL in crm_settings: the URL HubSpot calls


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=SAMPLE_SEED) as sb:
        yield sb


@pytest.fixture(params=["salesforce", "hubspot"])
def dana(
    request: pytest.FixtureRequest, sandbox: Sandbox, database_url: str
) -> Iterator[tuple[Crm, Any, Any, str]]:
    """Dana commented; enrich linked her profile to her contact by itself and wrote her score
    and a timeline entry. Yields (crm, engine, client, her CRM id)."""
    crm = Crm(request.param, sandbox)
    settings = crm_settings(
        database_url, sandbox, crm.name, hubspot_client_secret=HS_SECRET, salesforce_card_key=SF_KEY
    )
    upgrade(database_url)
    client = create_app(settings).test_client()
    try:
        engine = runtime.current().engine
        pull(engine, make_adapter(settings))
        body, headers = signed_comment(DANA)
        assert client.post("/webhooks/standard/acme", data=body, headers=headers).status_code == 200
        wait_until(lambda: crm.contact(DANA)["score"])
        wait_until(lambda: crm.timeline(DANA))
        with Session(engine) as s:
            crm_id = s.exec(
                select(CrmRecord.crm_id).where(CrmRecord.email == DANA, CrmRecord.crm == crm.name)
            ).one()
        yield crm, engine, client, crm_id
    finally:
        runtime.uninstall()


def ask(client: Any, crm: str, crm_id: str, route: str, body: bytes = b"") -> Any:
    method = "POST" if body else "GET"
    if crm == "hubspot":
        path = hubspot_path(route, "0-1", crm_id)
        headers = hubspot_headers(method, BASE + path, body)
    else:
        path, headers = f"/embed/salesforce/{route}?recordId={crm_id}", salesforce_headers()
    if body:
        headers["Content-Type"] = "application/json"
    return client.open(path, method=method, data=body, headers=headers)


def test_not_this_person_on_the_card_takes_enrichs_writes_off_the_record(
    dana: tuple[Crm, Any, Any, str],
) -> None:
    crm, engine, client, crm_id = dana
    card = ask(client, crm.name, crm_id, "card").get_json()
    [profile] = card["profiles"]

    answer = ask(
        client,
        crm.name,
        crm_id,
        "not-this-person",
        json.dumps({"linkId": profile["link_id"]}).encode(),
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["link"]["status"] == LinkStatus.REJECTED
    after = answer.get_json()["card"]  # her card no longer shows the profile or its history
    assert after.get("profiles", []) == [] and after.get("touchpoints", []) == []
    sync_pending()

    assert crm.timeline(DANA) == []
    assert crm.contact(DANA)["score"] == enrich_score(engine, DANA)  # only her fit points
    with Session(engine) as s:
        [audit] = s.exec(select(AuditLog).where(AuditLog.action == "link_unlinked")).all()
        link = s.get(IdentityLink, profile["link_id"])
    expected = (
        "hubspot user 4242 (rep@acme.example)"
        if crm.name == "hubspot"
        else "salesforce user 005000000000001AAA (rep@acme.example)"
    )
    assert audit.actor == expected and audit.detail["was"] == "auto"
    assert link is not None and link.decided_by == expected

    again = ask(
        client,
        crm.name,
        crm_id,
        "not-this-person",
        json.dumps({"linkId": profile["link_id"]}).encode(),
    )
    assert again.status_code == 409  # already undone: nothing is retracted twice
