"""Retention purges enrich's copy; the CRM keeps its activities, and erasure still finds them."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from enrich.models import ActivityWrite, CrmRecord, Touchpoint, utcnow
from enrich.privacy import erase_person
from enrich.retention import purge
from enrich.sandbox import Sandbox
from enrich.sync.connect import make_adapter
from enrich.sync.writer import sync_pending
from tests.integration.conftest import DANA, Commented, enrich_score
from tests.integration.test_thin_slice import sf_contact, sf_tasks


def test_purged_touchpoints_leave_crm_activities_in_place_until_the_person_is_erased(
    sandbox: Sandbox, dana_commented: Commented
) -> None:
    engine, contact, task = dana_commented.engine, dana_commented.contact, dana_commented.task
    settings = dana_commented.settings
    report = purge(
        engine, raw_event_days=30, touchpoint_days=730, now=utcnow() + timedelta(days=731)
    )
    assert (report.raw_events, report.touchpoints, report.rescored) == (1, 1, 1)
    sync_pending()

    assert [t["Id"] for t in sf_tasks(sandbox, contact["Id"])] == [task["Id"]]
    after = sf_contact(sandbox, DANA)  # fields now say what enrich still holds
    assert contact["Last_Social_Touch_Summary__c"]
    assert after["Last_Social_Touch_Summary__c"] == ""
    assert after["Social_Score__c"] == enrich_score(engine, DANA)
    with Session(engine) as s:
        assert list(s.exec(select(Touchpoint))) == []
        [ledger] = list(s.exec(select(ActivityWrite)))
        assert (ledger.touchpoint_id, ledger.activity_id) == (None, task["Id"])
        record_id = s.exec(select(CrmRecord.id).where(CrmRecord.email == DANA)).one()

    counts = erase_person(
        engine,
        record_id=record_id,
        profile_ids=[],
        actor="dpo@example.com",
        adapter=make_adapter(settings),
    )
    assert counts["activities_retracted"] == 1
    assert sf_tasks(sandbox, contact["Id"]) == []
    with Session(engine) as s:
        assert list(s.exec(select(ActivityWrite))) == []
