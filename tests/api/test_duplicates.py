"""GET /api/v1/people/duplicates: the CRM's likely duplicate records for RevOps, and a profile
of such a person linked to the survivor instead of waiting in review."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from enrich.db import session_scope
from enrich.models import CrmRecord, IdentityLink, LinkStatus
from enrich.services import duplicates
from tests.api.conftest import Api, error
from tests.console import seed

URL = "/api/v1/people/duplicates"


@pytest.fixture
def mirror(engine: Engine) -> dict[str, int]:
    """The seeded contacts and the leads above; crm id -> record id."""
    seed.add_people(engine)
    seed.add_duplicate_leads(engine)
    assert duplicates.scan(engine) is not None
    with Session(engine) as session:
        return {r.crm_id: r.id or 0 for r in session.exec(select(CrmRecord))}


def test_pairs_name_their_evidence_survivor_and_merge(viewer: Api, mirror: dict[str, int]) -> None:
    answer = viewer.get(URL)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["total"] == 3 and body["next_cursor"] is None
    got = {
        tuple(r["crm_id"] for r in item["records"]): (item["evidence"], item["survivor"])
        for item in body["items"]
    }
    contact = {n: mirror[f"0035g00000SEED000{n}"] for n in (1, 4, 5)}
    assert got == {
        ("0035g00000SEED0001", "00Q5g0000LEAD0001"): (["company"], contact[1]),
        ("0035g00000SEED0004", "00Q5g0000LEAD0003"): (["company"], contact[4]),
        ("0035g00000SEED0005", "00Q5g0000LEAD0002"): (["email_domain"], contact[5]),
    }
    item = body["items"][0]
    assert item["merge"] == "convert"  # a Salesforce lead is converted into the contact
    assert [r["object_type"] for r in item["records"]] == ["contact", "lead"]
    assert {"name", "email", "company", "crm_url"} <= set(item["records"][0])


def test_pages_follow_the_cursor_without_repeats(viewer: Api, mirror: dict[str, int]) -> None:
    seen, cursor = [], None
    for _ in range(5):
        url = f"{URL}?limit=1" + (f"&cursor={cursor}" if cursor else "")
        body = viewer.get(url).get_json()
        seen += [tuple(r["id"] for r in item["records"]) for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 3 == len(set(seen))


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=201", "limit=x", "cursor=12", "cursor=1-", "cursor=-1-2", "cursor=1-2-3"],
)
def test_bad_paging_is_a_400(viewer: Api, mirror: dict[str, int], query: str) -> None:
    assert error(viewer.get(f"{URL}?{query}")) == (400, "bad_request")


def test_a_token_is_required_and_its_scopes_count(
    client: FlaskClient, engine: Engine, mirror: dict[str, int]
) -> None:
    assert error(Api(client, None).get(URL)) == (401, "unauthorized")
    review_only = seed.token(engine, "revops", ["review"])
    assert error(Api(client, review_only).get(URL)) == (403, "forbidden")
    assert Api(client, seed.token(engine, "viewer", ["people"])).get(URL).status_code == 200


def test_a_profile_of_a_person_held_twice_links_to_the_contact(
    client: FlaskClient, engine: Engine, mirror: dict[str, int]
) -> None:
    seed.deliver(
        client,
        engine,
        {
            "id": "li-dana-w",
            "name": "Dana Whitfield",
            "bio": "VP Operations at Northwind Traders",
            "location": "Seattle, WA",
        },
    )
    with Session(engine) as session:
        [link] = session.exec(select(IdentityLink))
    # The lead says all the contact says: as namesakes they would wait in review.
    assert (link.record_id, link.status) == (mirror["0035g00000SEED0001"], LinkStatus.AUTO)
    [why] = [e for e in link.explanation or [] if e["comparison"] == "duplicates"]
    assert why["weight"] == 0 and "kept contact" in why["explanation"]


def test_a_scan_is_redone_only_when_the_mirror_moved(
    viewer: Api, engine: Engine, mirror: dict[str, int]
) -> None:
    assert duplicates.scan(engine) is None  # as the last scan saw it: nothing to do
    with session_scope(engine) as session:
        lead = session.get(CrmRecord, mirror["00Q5g0000LEAD0003"])
        assert lead is not None
        lead.deleted = True  # left the mirror: out of the listing at once
    body = viewer.get(URL).get_json()
    assert body["total"] == 3 and len(body["items"]) == 2 and body["scanned_at"]
    seed.add_people(
        engine, [("0035g00000SEED0099", "Marta", "Kowalski", "", "Tailspin Toys", "", "")]
    )
    done = duplicates.scan(engine)
    assert done is not None and done.pairs == 3  # the contacts, the new one with the old
    pairs = {tuple(r["crm_id"] for r in i["records"]) for i in viewer.get(URL).get_json()["items"]}
    assert ("0035g00000SEED0004", "0035g00000SEED0099") in pairs
