"""Relinking a profile moves what enrich wrote from the wrong CRM record to the right one."""

from __future__ import annotations

from sqlmodel import Session, select

from enrich import runtime
from enrich.app import create_app
from enrich.db import session_scope, upgrade
from enrich.models import CrmRecord, IdentityLink, LinkStatus
from enrich.review import relink
from enrich.sync.adapter import make_adapter
from enrich.sync.mirror import pull
from enrich.sync.sandbox import Sandbox
from enrich.sync.writer import sync_pending
from tests.conftest import wait_until
from tests.integration.conftest import DANA, crm_settings, enrich_score
from tests.integration.test_thin_slice import sf_contact, sf_tasks, signed_comment


def test_relink_retracts_the_wrong_record_and_writes_the_right_one(
        sandbox: Sandbox, database_url: str) -> None:
    settings = crm_settings(database_url, sandbox, "salesforce")
    upgrade(database_url)
    client = create_app(settings).test_client()
    try:
        engine = runtime.current().engine
        pull(engine, make_adapter(settings))
        body, headers = signed_comment(DANA)
        client.post("/webhooks/standard/acme", data=body, headers=headers)
        wrong = wait_until(lambda: (c := sf_contact(sandbox, DANA))["Social_Score__c"] and c)
        wait_until(lambda: sf_tasks(sandbox, wrong["Id"]))

        with Session(engine) as s:
            link = s.exec(select(IdentityLink)).one()
            right = s.exec(select(CrmRecord).where(CrmRecord.object_type == "contact",
                                                   CrmRecord.email != DANA)).first()
            assert right is not None
        with session_scope(engine) as s:
            relink(s, link.profile_id, right.id, actor="revops@example.com")  # type: ignore[arg-type]
        sync_pending()

        assert sf_tasks(sandbox, wrong["Id"]) == []
        left = sf_contact(sandbox, DANA)  # only her fit points (title) remain
        assert left["Social_Score__c"] == enrich_score(engine, DANA)
        assert "comment" not in (left["Social_Score_Reasons__c"] or "")
        moved = sf_contact(sandbox, right.email)  # type: ignore[arg-type]
        assert moved["Social_Score__c"] == enrich_score(engine, right.email) > 0  # type: ignore[arg-type]
        assert len(sf_tasks(sandbox, moved["Id"])) == 1
        with Session(engine) as s:
            statuses = {(l.record_id, l.status) for l in s.exec(select(IdentityLink))}
        assert statuses == {(link.record_id, LinkStatus.REJECTED), (right.id, LinkStatus.CONFIRMED)}
    finally:
        runtime.uninstall()
