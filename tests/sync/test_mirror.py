"""The CRM mirror: people, accounts and the open pipeline, pulled through the real clients."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from enrich.models import CrmRecord
from enrich.sync.mirror import pull
from enrich.sync.sandbox import SAMPLE_SEED, Sandbox
from tests.sync.harness import World


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_opportunities_are_mirrored_with_their_account(crm: str, tmp_path: Path) -> None:
    with Sandbox(seed=SAMPLE_SEED) as sandbox:
        world = World(tmp_path, sandbox, crm)
        try:
            with Session(world.rt.engine) as s:
                accounts = {a.crm_id for a in s.exec(
                    select(CrmRecord).where(CrmRecord.object_type == "account"))}
                opps = list(s.exec(select(CrmRecord).where(CrmRecord.object_type == "opportunity")))
            assert len(opps) == 5
            assert all(o.account_crm_id in accounts and o.title for o in opps)
            assert all((o.raw or {}).get("Amount") or (o.raw or {}).get("amount") for o in opps)
        finally:
            world.close()


def test_an_incremental_pull_with_nothing_new_changes_nothing(tmp_path: Path) -> None:
    with Sandbox(seed=SAMPLE_SEED) as sandbox:
        world = World(tmp_path, sandbox, "salesforce")
        try:
            with Session(world.rt.engine) as s:
                before = len(list(s.exec(select(CrmRecord))))
            counts = pull(world.rt.engine, world.adapter)
            with Session(world.rt.engine) as s:
                assert len(list(s.exec(select(CrmRecord)))) == before
            assert sum(counts.values()) == 0  # already stored: skipped, not re-upserted
        finally:
            world.close()


def test_a_hubspot_incremental_pull_is_paced_under_the_search_limit(tmp_path: Path) -> None:
    """700 changed contacts = 7 searches: paced at HubSpot's 5 searches/s, none refused."""
    from hubspot.crm.contacts import (
        BatchInputSimplePublicObjectBatchInput,
        SimplePublicObjectBatchInput,
    )

    from tests.sync.harness import people_seed

    with Sandbox(seed=people_seed(700)) as sandbox:
        world = World(tmp_path, sandbox, "hubspot")
        try:
            contacts = world.adapter.client.crm.contacts  # type: ignore[attr-defined]
            ids = [c["id"] for c in sandbox.hs_objects("contacts")]
            for start in range(0, len(ids), 100):
                contacts.batch_api.update(BatchInputSimplePublicObjectBatchInput(inputs=[
                    SimplePublicObjectBatchInput(id=i, properties={"jobtitle": "Data lead"})
                    for i in ids[start : start + 100]]))
            sandbox.reset_log()
            counts = pull(world.rt.engine, world.adapter)
            assert counts["contact"] >= 700
            searches = [e for e in sandbox.request_log()["recent"]
                        if e["endpoint"].endswith("/search")]
            assert len(searches) >= 7
            assert [e["status"] for e in searches if e["status"] != 200] == []
        finally:
            world.close()


def _linked_record(world: World, email: str) -> CrmRecord:
    from enrich.models import IdentityLink, SocialProfile

    with Session(world.rt.engine) as s:
        return s.exec(select(CrmRecord).join(IdentityLink, IdentityLink.record_id == CrmRecord.id)
                      .join(SocialProfile, SocialProfile.id == IdentityLink.profile_id)
                      .where(SocialProfile.email == email)).one()


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_a_merge_in_the_crm_moves_the_link_to_the_surviving_record(
        crm: str, tmp_path: Path) -> None:
    from hubspot.crm.contacts import PublicMergeInput

    from enrich.linking import _cache as _matchers
    from enrich.models import ActivityWrite
    from tests.sync.harness import people_seed

    with Sandbox(seed=people_seed(5)) as sandbox:
        world = World(tmp_path, sandbox, crm)
        try:
            world.ingest([("person2@acme.example", "comment", "hello")])
            world.sync()
            loser = _linked_record(world, "person2@acme.example")
            survivor = sandbox.contact("person1@acme.example", crm)
            assert survivor is not None
            survivor_id = survivor["Id"] if crm == "salesforce" else survivor["id"]
            if crm == "salesforce":
                sandbox.sf_merge("Contact", survivor_id, loser.crm_id)
            else:
                world.adapter.client.crm.contacts.basic_api.merge(  # type: ignore[attr-defined]
                    PublicMergeInput(primary_object_id=survivor_id,
                                     object_id_to_merge=loser.crm_id))
            pull(world.rt.engine, world.adapter)
            with Session(world.rt.engine) as s:
                gone = s.get(CrmRecord, loser.id)
                assert gone is not None and gone.deleted
                assert (gone.raw or {})["merged_into"] == survivor_id
                # ...and is no longer anyone's match candidate
                assert str(loser.id) not in {p.id for p in _matchers.get(s).people}
                assert _linked_record(world, "person2@acme.example").crm_id == survivor_id
                ledger = list(s.exec(select(ActivityWrite)))
            assert {w.record_id for w in ledger} == {_linked_record(
                world, "person2@acme.example").id}
            # The CRM moved the timeline entry with the merge: nothing is written again.
            before = world.write_calls()
            world.ingest([])
            world.sync()
            activities = (sandbox.sf_records("Task") if crm == "salesforce"
                          else sandbox.hs_objects("notes"))
            assert len(activities) == 1
            assert world.write_calls() - before <= 2  # at most the survivor's fields
        finally:
            world.close()
