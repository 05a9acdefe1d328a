"""Erasing a person removes them from enrich and retracts what enrich wrote to the CRM."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from enrich.models import (
    AuditLog,
    CrmRecord,
    EventStatus,
    ProfileMatchKey,
    RawEvent,
    SocialProfile,
    Suppression,
    Touchpoint,
)
from enrich.privacy import erase_person, export_person
from enrich.sandbox import Sandbox
from enrich.sync.connect import make_adapter
from tests.conftest import wait_until
from tests.integration.conftest import DANA, Commented
from tests.integration.test_thin_slice import sf_contact, sf_tasks, signed_comment


def test_erasure_retracts_crm_writes_deletes_data_and_suppresses_future_events(
    sandbox: Sandbox, dana_commented: Commented
) -> None:
    engine, client, contact = dana_commented.engine, dana_commented.client, dana_commented.contact
    settings = dana_commented.settings
    with Session(engine) as s:
        record_id = s.exec(select(CrmRecord.id).where(CrmRecord.email == DANA)).one()
        assert list(s.exec(select(ProfileMatchKey)))  # her name's keys, for re-matching

    exported = export_person(engine, record_id=record_id, profile_ids=[])
    assert exported["profiles"][0]["email"] == DANA
    assert len(exported["touchpoints"]) == 1
    json.dumps(exported)  # JSON-ready

    counts = erase_person(
        engine,
        record_id=record_id,
        profile_ids=[],
        actor="dpo@example.com",
        adapter=make_adapter(settings),
    )
    assert counts["profiles"] == 1 and counts["touchpoints"] == 1
    assert sf_tasks(sandbox, contact["Id"]) == []
    after = sf_contact(sandbox, DANA)
    assert after["Social_Score__c"] is None and after["Social_Score_Reasons__c"] is None
    with Session(engine) as s:
        assert list(s.exec(select(SocialProfile))) == []
        assert list(s.exec(select(ProfileMatchKey))) == []
        assert list(s.exec(select(Touchpoint))) == []
        assert list(s.exec(select(RawEvent))) == []
        assert len(list(s.exec(select(Suppression)))) >= 2
        [audit] = list(s.exec(select(AuditLog)))
        assert audit.actor == "dpo@example.com" and DANA not in json.dumps(audit.detail)

    body, headers = signed_comment(DANA)  # they engage again: dropped at ingest
    assert client.post("/webhooks/standard/acme", data=body, headers=headers).status_code == 200

    def ignored() -> RawEvent | None:
        with Session(engine) as s:
            raw = s.exec(select(RawEvent)).first()
            return raw if raw and raw.status == EventStatus.IGNORED else None

    raw = wait_until(ignored)
    assert raw.body == b""
    with Session(engine) as s:
        assert list(s.exec(select(Touchpoint))) == []
