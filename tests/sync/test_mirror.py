"""The CRM mirror: people, accounts and the open pipeline, pulled through the real clients."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from enrich.models import CrmRecord, SocialProfile
from enrich.sandbox import SAMPLE_SEED, Sandbox
from enrich.sync.mirror import pull
from tests.sync.harness import World


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_opportunities_are_mirrored_with_their_account(crm: str, tmp_path: Path) -> None:
    with Sandbox(seed=SAMPLE_SEED) as sandbox:
        world = World(tmp_path, sandbox, crm)
        try:
            with Session(world.rt.engine) as s:
                accounts = {
                    a.crm_id
                    for a in s.exec(select(CrmRecord).where(CrmRecord.object_type == "account"))
                }
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


def test_a_record_pulled_again_moves_the_matchers_freshness_only_if_what_it_reads_changed(
    tmp_path: Path,
) -> None:
    """A change the matcher does not read (enrich's own score fields, a description) lists the
    contact as modified at the next pull: that must not make every process rebuild its index of
    the mirror. A new title must."""
    with Sandbox(seed=SAMPLE_SEED) as sandbox:
        world = World(tmp_path, sandbox, "salesforce")
        try:
            with Session(world.rt.engine) as s:
                dana = s.exec(select(CrmRecord).where(CrmRecord.object_type == "contact")).first()
                assert dana is not None
            sf = world.adapter.sf
            sf.Contact.update(dana.crm_id, {"Description": "Met at re:Invent"})  # not matched on
            assert pull(world.rt.engine, world.adapter)["contact"] >= 1
            with Session(world.rt.engine) as s:
                same = s.get(CrmRecord, dana.id)
                assert same is not None and same.pulled_at == dana.pulled_at

            sf.Contact.update(dana.crm_id, {"Title": "Chief Data Officer"})
            pull(world.rt.engine, world.adapter)
            with Session(world.rt.engine) as s:
                again = s.get(CrmRecord, dana.id)
                assert again is not None and again.title == "Chief Data Officer"
                assert again.pulled_at > dana.pulled_at
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
            contacts = world.adapter.client.crm.contacts
            ids = [c["id"] for c in sandbox.hs_objects("contacts")]
            for start in range(0, len(ids), 100):
                contacts.batch_api.update(
                    BatchInputSimplePublicObjectBatchInput(
                        inputs=[
                            SimplePublicObjectBatchInput(id=i, properties={"jobtitle": "Data lead"})
                            for i in ids[start : start + 100]
                        ]
                    )
                )
            sandbox.reset_log()
            counts = pull(world.rt.engine, world.adapter)
            assert counts["contact"] >= 700
            searches = [
                e for e in sandbox.request_log()["recent"] if e["endpoint"].endswith("/search")
            ]
            assert len(searches) >= 7
            assert [e["status"] for e in searches if e["status"] != 200] == []
        finally:
            world.close()


def _linked_record(world: World, email: str) -> CrmRecord:
    from enrich.models import IdentityLink, SocialProfile

    with Session(world.rt.engine) as s:
        return s.exec(
            select(CrmRecord)
            .join(IdentityLink, IdentityLink.record_id == CrmRecord.id)
            .join(SocialProfile, SocialProfile.id == IdentityLink.profile_id)
            .where(SocialProfile.email == email)
        ).one()


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_a_merge_in_the_crm_moves_the_link_to_the_surviving_record(
    crm: str, tmp_path: Path
) -> None:
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
                world.adapter.client.crm.contacts.basic_api.merge(
                    PublicMergeInput(primary_object_id=survivor_id, object_id_to_merge=loser.crm_id)
                )
            pull(world.rt.engine, world.adapter)
            with Session(world.rt.engine) as s:
                gone = s.get(CrmRecord, loser.id)
                assert gone is not None and gone.deleted
                assert (gone.raw or {})["merged_into"] == survivor_id
                # ...and is no longer anyone's match candidate
                assert str(loser.id) not in {p.id for p in _matchers.get(s).people}
                assert _linked_record(world, "person2@acme.example").crm_id == survivor_id
                ledger = list(s.exec(select(ActivityWrite)))
            assert {w.record_id for w in ledger} == {
                _linked_record(world, "person2@acme.example").id
            }
            # The CRM moved the timeline entry with the merge: nothing is written again.
            before = world.write_calls()
            world.ingest([])
            world.sync()
            activities = (
                sandbox.sf_records("Task") if crm == "salesforce" else sandbox.hs_objects("notes")
            )
            assert len(activities) == 1
            assert world.write_calls() - before <= 2  # at most the survivor's fields
        finally:
            world.close()


def _deletion_listings(sandbox: Sandbox) -> dict[str, int]:
    """HubSpot archived listings (GET /crm/v3/objects/{type}?archived=true) per object type."""
    counts: dict[str, int] = {}
    for e in sandbox.request_log()["recent"]:
        if (
            e["endpoint"] == "GET /crm/v3/objects/{object_type}"
            and "archived=true" in e["query"].lower()
        ):
            object_type = e["path"].rsplit("/", 1)[-1]
            counts[object_type] = counts.get(object_type, 0) + 1
    return counts


def test_a_contact_deleted_in_hubspot_leaves_the_mirror_and_the_matcher(tmp_path: Path) -> None:
    """HubSpot search leaves deleted (archived) contacts out; the archived listing brings
    them in, and the profile linked to one is re-matched without it."""
    from enrich.linking import _cache as _matchers
    from enrich.models import IdentityLink
    from enrich.pipeline import rematch_pending
    from tests.sync.harness import people_seed

    with Sandbox(seed=people_seed(5)) as sandbox:
        # 0 = check on every incremental pull (the default is every 6 h)
        world = World(tmp_path, sandbox, "hubspot", hubspot_deletions_every_h=0)
        try:
            world.ingest([("person2@acme.example", "comment", "hello")])
            record = _linked_record(world, "person2@acme.example")
            world.adapter.client.crm.contacts.basic_api.archive(record.crm_id)
            pull(world.rt.engine, world.adapter)
            with Session(world.rt.engine) as s:
                gone = s.get(CrmRecord, record.id)
                assert gone is not None and gone.deleted
                assert (gone.raw or {})["archivedAt"]
                assert str(record.id) not in {p.id for p in _matchers.get(s).people}
                others = s.exec(
                    select(CrmRecord).where(
                        CrmRecord.object_type == "contact", CrmRecord.id != record.id
                    )
                ).all()
                assert len(others) == 4 and not any(o.deleted for o in others)
            assert rematch_pending() == 1
            with Session(world.rt.engine) as s:
                assert (
                    s.exec(select(IdentityLink).where(IdentityLink.record_id == record.id)).all()
                    == []
                )
        finally:
            world.close()


def test_hubspot_deletions_are_listed_on_full_pulls_and_at_most_every_interval(
    tmp_path: Path,
) -> None:
    """The archived listing cannot be filtered by date: incremental pulls skip it until the
    interval (6 h by default) has passed, a full pull always reads it, 100 a page, and its
    calls count against the daily API budget."""
    from hubspot.crm.contacts import BatchInputSimplePublicObjectId, SimplePublicObjectId

    from enrich.sync.budget import used_today
    from enrich.sync.mirror import pull_job
    from tests.sync.harness import people_seed

    with Sandbox(seed=people_seed(200)) as sandbox:
        world = World(tmp_path, sandbox, "hubspot")
        try:
            contacts = world.adapter.client.crm.contacts
            ids = [c["id"] for c in sandbox.hs_objects("contacts")][:150]
            for start in (0, 100):
                contacts.batch_api.archive(
                    BatchInputSimplePublicObjectId(
                        inputs=[SimplePublicObjectId(id=i) for i in ids[start : start + 100]]
                    )
                )

            def deleted() -> int:
                with Session(world.rt.engine) as s:
                    return len(s.exec(select(CrmRecord).where(CrmRecord.deleted == True)).all())  # noqa: E712

            sandbox.reset_log()
            pull(world.rt.engine, world.adapter)
            assert _deletion_listings(sandbox) == {}  # listed moments ago, by the first pull
            assert deleted() == 0

            sandbox.reset_log()
            pull_job(full=True)
            assert _deletion_listings(sandbox) == {"contacts": 2, "companies": 1, "deals": 1}
            assert deleted() == 150
            assert used_today(world.rt.engine, "hubspot") == sandbox.requests_count(side="hubspot")
        finally:
            world.close()


def _profile(world: World, user_id: str) -> SocialProfile:
    with Session(world.rt.engine) as s:
        return s.exec(select(SocialProfile).where(SocialProfile.platform_user_id == user_id)).one()


def test_a_contact_added_to_the_crm_links_the_profile_that_was_waiting_for_it(
    tmp_path: Path,
) -> None:
    """A profile that engaged before its person was in the CRM matched nothing. When the
    contact is created and pulled, that profile (and not every unlinked one) is re-matched
    and linked; an unrelated new contact re-matches nobody."""
    import json
    import uuid

    from enrich.models import IdentityLink, LinkStatus
    from enrich.pipeline import process_raw_event, rematch_pending
    from tests.sync.harness import people_seed
    from webhooks.store import store_raw_event

    with Sandbox(seed=people_seed(3)) as sandbox:
        world = World(tmp_path, sandbox, "salesforce")
        try:
            body = json.dumps(
                {
                    "type": "touchpoint.created",
                    "data": [
                        {
                            "platform": "linkedin",
                            "kind": "comment",
                            "text": "Great thread",
                            "id": "tp-1",
                            "actor": {
                                "id": "li-dana",
                                "name": "Dana Whitfield",
                                "handle": "danawhitfield",
                                "bio": "VP Engineering. Opinions my own",
                                "location": "Boston, MA",
                            },
                        }
                    ],
                }
            )
            raw_id, _ = store_raw_event(
                world.rt.engine,
                source="standard:test",
                delivery_id=uuid.uuid4().hex,
                body=body.encode(),
                headers={},
            )
            process_raw_event(raw_id)
            dana = _profile(world, "li-dana")
            assert dana.match_requested_at is None
            sf = world.adapter.sf

            sf.Contact.create(
                {"FirstName": "Zed", "LastName": "Quigley", "Title": "CFO", "MailingCity": "Boston"}
            )
            pull(world.rt.engine, world.adapter)
            assert _profile(world, "li-dana").match_requested_at is None
            assert rematch_pending() == 0

            sf.Contact.create(
                {
                    "FirstName": "Dana",
                    "LastName": "Whitfield",
                    "Title": "VP Engineering",
                    "MailingCity": "Boston",
                }
            )
            pull(world.rt.engine, world.adapter)
            assert _profile(world, "li-dana").match_requested_at is not None
            assert rematch_pending() == 1
            with Session(world.rt.engine) as s:
                link = s.exec(select(IdentityLink).where(IdentityLink.profile_id == dana.id)).one()
                record = s.get(CrmRecord, link.record_id)
            assert link.status == LinkStatus.AUTO
            assert record is not None and record.last_name == "Whitfield"
        finally:
            world.close()
