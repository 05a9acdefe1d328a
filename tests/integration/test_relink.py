"""Relinking a profile moves what enrich wrote from the wrong CRM record to the right one."""

from __future__ import annotations

from sqlmodel import Session, select

from enrich.db import session_scope
from enrich.models import CrmRecord, IdentityLink, LinkStatus
from enrich.sandbox import Sandbox
from enrich.services.decisions import relink
from enrich.sync.writer import sync_pending
from tests.integration.conftest import DANA, Commented, enrich_score
from tests.integration.test_thin_slice import sf_contact, sf_tasks


def test_relink_retracts_the_wrong_record_and_writes_the_right_one(
    sandbox: Sandbox, dana_commented: Commented
) -> None:
    engine, wrong = dana_commented.engine, dana_commented.contact
    with Session(engine) as s:
        link = s.exec(select(IdentityLink)).one()
        right = s.exec(
            select(CrmRecord).where(CrmRecord.object_type == "contact", CrmRecord.email != DANA)
        ).first()
        assert right is not None
    with session_scope(engine) as s:
        relink(s, link.profile_id, right.id, actor="revops@example.com")
    sync_pending()

    assert sf_tasks(sandbox, wrong["Id"]) == []
    left = sf_contact(sandbox, DANA)  # only her fit points (title) remain
    assert left["Social_Score__c"] == enrich_score(engine, DANA)
    assert "comment" not in (left["Social_Score_Reasons__c"] or "")
    moved = sf_contact(sandbox, right.email)
    assert moved["Social_Score__c"] == enrich_score(engine, right.email) > 0
    assert len(sf_tasks(sandbox, moved["Id"])) == 1
    with Session(engine) as s:
        statuses = {(link_.record_id, link_.status) for link_ in s.exec(select(IdentityLink))}
    assert statuses == {(link.record_id, LinkStatus.REJECTED), (right.id, LinkStatus.CONFIRMED)}
