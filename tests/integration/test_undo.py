"""Undoing a wrong automatic link through the API, end to end against the CRM sandbox: what
enrich wrote on the wrong record (its timeline entries, its score) is taken back, and — when the
right record is named — written there instead. Salesforce (Tasks) and HubSpot (notes)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session, select

from enrich.models import AuditLog, CrmRecord, IdentityLink, LinkStatus
from enrich.sandbox import Sandbox
from enrich.sync.writer import sync_pending
from tests.conftest import wait_until
from tests.console import seed
from tests.integration.conftest import DANA, commented, enrich_score
from tests.integration.test_thin_slice import hs_contact, sf_contact, sf_tasks


@dataclass
class Crm:
    """One CRM as a sales rep sees it: a contact's score and its timeline entries."""

    name: str
    sandbox: Sandbox

    def contact(self, email: str) -> dict[str, Any]:
        if self.name == "salesforce":
            row = sf_contact(self.sandbox, email)
            return {"id": row["Id"], "score": row["Social_Score__c"]}
        row = hs_contact(self.sandbox, email)
        score = row.get("enrich_social_score")
        return {"id": row["id"], "score": float(score) if score else None}

    def timeline(self, email: str) -> list[str]:
        contact_id = self.contact(email)["id"]
        if self.name == "salesforce":
            return [t["Id"] for t in sf_tasks(self.sandbox, contact_id)]
        live = {n["id"] for n in self.sandbox.hs_objects("notes")}
        return [
            to_id
            for _, to_id, _ in self.sandbox.hs_associations("contacts", contact_id, "notes")
            if to_id in live
        ]


@dataclass
class AutoLinked:
    """Dana's email was on a comment: the matcher linked the profile to her contact by itself
    (status auto) and enrich wrote her score and one timeline entry."""

    crm: Crm
    engine: Any
    client: Any
    link: IdentityLink
    other: CrmRecord  # another contact of the same CRM: the person the profile really is
    token: str

    def post(self, url: str, json: Any = None) -> Any:
        return self.client.post(url, json=json, headers={"Authorization": f"Bearer {self.token}"})


@pytest.fixture(params=["salesforce", "hubspot"])
def auto_linked(
    request: pytest.FixtureRequest, sandbox: Sandbox, database_url: str
) -> Iterator[AutoLinked]:
    crm = Crm(request.param, sandbox)
    with commented(database_url, sandbox, crm.name) as (_, engine, client):
        wait_until(lambda: crm.contact(DANA)["score"])
        wait_until(lambda: crm.timeline(DANA))
        with Session(engine) as s:
            link = s.exec(select(IdentityLink)).one()
            other = s.exec(
                select(CrmRecord).where(
                    CrmRecord.object_type == "contact",
                    CrmRecord.email != DANA,
                    CrmRecord.email != None,  # noqa: E711
                )
            ).first()
        assert link.status == LinkStatus.AUTO and other is not None
        yield AutoLinked(crm, engine, client, link, other, seed.token(engine, "revops"))


def test_not_this_person_takes_the_history_off_the_wrong_record(auto_linked: AutoLinked) -> None:
    crm, engine = auto_linked.crm, auto_linked.engine
    answer = auto_linked.post(f"/api/v1/links/{auto_linked.link.id}/unlink")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == LinkStatus.REJECTED
    sync_pending()

    assert crm.timeline(DANA) == []
    assert crm.contact(DANA)["score"] == enrich_score(engine, DANA)  # only her fit points remain
    with Session(engine) as s:
        [audit] = s.exec(select(AuditLog).where(AuditLog.action == "link_unlinked")).all()
    assert audit.target == f"link:{auto_linked.link.id}" and audit.detail["was"] == "auto"


def test_relink_moves_the_history_to_the_right_record(auto_linked: AutoLinked) -> None:
    crm, engine, other = auto_linked.crm, auto_linked.engine, auto_linked.other
    answer = auto_linked.post(
        f"/api/v1/links/{auto_linked.link.id}/relink", {"record_id": other.id}
    )
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["record_id"], answer.get_json()["status"]) == (
        other.id,
        LinkStatus.CONFIRMED,
    )
    sync_pending()

    assert crm.timeline(DANA) == []
    assert crm.contact(DANA)["score"] == enrich_score(engine, DANA)
    assert len(crm.timeline(other.email)) == 1
    assert crm.contact(other.email)["score"] == enrich_score(engine, other.email) > 0
    with Session(engine) as s:
        moved = s.exec(select(AuditLog).where(AuditLog.action == "link_relinked")).one()
    assert (moved.detail["from_record_ids"], moved.detail["to_record_id"]) == (
        [auto_linked.link.record_id],
        other.id,
    )
