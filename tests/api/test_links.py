"""Undoing a link in effect (auto or confirmed) over the API, and reading back the audit log.

End to end against the CRM sandbox (activities retracted, written on the right record):
tests/integration/test_undo.py.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from enrich.models import AuditLog, IdentityLink, LinkStatus, Score, SyncRequest
from tests.api.conftest import Api, error
from tests.console import seed

DANA = "dana.whitfield@northwind.example"


@pytest.fixture
def auto(engine: Engine, people: dict[str, int]) -> IdentityLink:
    """Dana's profile, linked to her contact by the matcher (her email was on the comment)."""
    with Session(engine) as session:
        link = session.exec(
            select(IdentityLink).where(IdentityLink.record_id == people[DANA])
        ).one()
    assert link.status == LinkStatus.AUTO
    return link


def _score(engine: Engine, record_id: int) -> float:
    with Session(engine) as session:
        return session.exec(select(Score.score).where(Score.record_id == record_id)).one()


def test_unlink_rejects_an_auto_link_rescores_the_record_and_requests_a_sync(
    revops: Api, engine: Engine, auto: IdentityLink
) -> None:
    before = _score(engine, auto.record_id)
    answer = revops.post(f"/api/v1/links/{auto.id}/unlink")
    assert answer.status_code == 200
    assert (answer.json["id"], answer.json["status"]) == (auto.id, "rejected")
    assert answer.json["decided_by"].startswith("token:")
    assert _score(engine, auto.record_id) < before  # her comment no longer counts
    with Session(engine) as session:
        assert session.exec(
            select(SyncRequest).where(SyncRequest.record_id == auto.record_id)
        ).first()  # the CRM will be corrected
        [audit] = session.exec(select(AuditLog).where(AuditLog.action == "link_unlinked")).all()
    assert (audit.actor, audit.target) == (answer.json["decided_by"], f"link:{auto.id}")
    assert audit.detail == {
        "profile_id": auto.profile_id,
        "record_id": auto.record_id,
        "was": "auto",
    }


def test_an_unlinked_pair_is_never_proposed_again(
    revops: Api, client: FlaskClient, engine: Engine, auto: IdentityLink
) -> None:
    revops.post(f"/api/v1/links/{auto.id}/unlink")
    seed.deliver(
        client,
        engine,
        {"id": "li-dana", "email": DANA, "name": "Dana Whitfield", "handle": "danawhit"},
        kind="like",
    )
    with Session(engine) as session:
        assert session.get(IdentityLink, auto.id).status == LinkStatus.REJECTED


def test_a_confirmed_link_can_be_undone_too(
    revops: Api, auto: IdentityLink, people: dict[str, int]
) -> None:
    moved = revops.post(
        f"/api/v1/links/{auto.id}/relink", {"record_id": people["sam.reyes@litware.example"]}
    ).json
    assert moved["status"] == "confirmed"
    assert revops.post(f"/api/v1/links/{moved['id']}/unlink").json["status"] == "rejected"


def test_relink_moves_the_profile_to_another_record(
    revops: Api, engine: Engine, auto: IdentityLink, people: dict[str, int]
) -> None:
    sam = people["sam.reyes@litware.example"]
    answer = revops.post(f"/api/v1/links/{auto.id}/relink", {"record_id": sam})
    assert answer.status_code == 200
    assert (answer.json["profile_id"], answer.json["record_id"], answer.json["status"]) == (
        auto.profile_id,
        sam,
        "confirmed",
    )
    assert answer.json["explanation"][0]["explanation"].startswith(
        f"moved here from record {auto.record_id} by token:"
    )
    assert _score(engine, sam) > 0
    with Session(engine) as session:
        assert session.get(IdentityLink, auto.id).status == LinkStatus.REJECTED
        assert {r.record_id for r in session.exec(select(SyncRequest))} >= {auto.record_id, sam}
        rows = {a.action: a for a in session.exec(select(AuditLog))}
    assert rows["link_relinked"].detail == {
        "profile_id": auto.profile_id,
        "record_id": sam,
        "was": "pending",
        "from_record_ids": [auto.record_id],
        "to_record_id": sam,
    }
    assert rows["link_unlinked"].detail == {
        "profile_id": auto.profile_id,
        "record_id": auto.record_id,
        "was": "auto",
        "because": f"link:{answer.json['id']}",
    }


def test_undoing_a_link_someone_already_undid_is_a_conflict(
    revops: Api, auto: IdentityLink, people: dict[str, int]
) -> None:
    assert revops.post(f"/api/v1/links/{auto.id}/unlink").status_code == 200
    status, code = error(revops.post(f"/api/v1/links/{auto.id}/unlink"))
    assert (status, code) == (409, "conflict")
    assert error(
        revops.post(
            f"/api/v1/links/{auto.id}/relink", {"record_id": people["sam.reyes@litware.example"]}
        )
    ) == (409, "conflict")


def test_pending_links_belong_to_the_review_queue(revops: Api, pending: list[int]) -> None:
    link_id = revops.get("/api/v1/review").json["items"][0]["candidates"][0]["id"]
    assert error(revops.post(f"/api/v1/links/{link_id}/unlink")) == (409, "conflict")


def test_bad_undo_requests_are_precise(revops: Api, auto: IdentityLink) -> None:
    url = f"/api/v1/links/{auto.id}/relink"
    assert error(revops.post("/api/v1/links/999999/unlink")) == (404, "not_found")
    assert error(revops.post("/api/v1/links/999999/relink", {"record_id": auto.record_id})) == (
        404,
        "not_found",
    )
    assert error(revops.post(url, {"record_id": 999999})) == (404, "not_found")
    assert error(revops.post(url, {"record_id": auto.record_id})) == (422, "invalid")
    assert error(revops.post(url, {"record_id": "x"}))[0] == 400
    assert error(revops.post(url, {}))[0] == 400


def test_undo_needs_the_revops_role(
    viewer: Api, client: FlaskClient, engine: Engine, auto: IdentityLink
) -> None:
    assert error(viewer.post(f"/api/v1/links/{auto.id}/unlink")) == (403, "forbidden")
    assert error(viewer.post(f"/api/v1/links/{auto.id}/unlink", token=None)) == (
        401,
        "unauthorized",
    )
    people_only = Api(client, seed.token(engine, "revops", scopes=["people"]))
    assert error(people_only.post(f"/api/v1/links/{auto.id}/unlink")) == (403, "forbidden")
    with Session(engine) as session:
        assert session.get(IdentityLink, auto.id).status == LinkStatus.AUTO


def test_the_audit_log_says_who_did_what_newest_first(
    admin: Api, revops: Api, auto: IdentityLink, pending: list[int]
) -> None:
    item = revops.get("/api/v1/review").json["items"][0]
    revops.post(f"/api/v1/review/{item['candidates'][0]['id']}/confirm")
    who = revops.post(f"/api/v1/links/{auto.id}/unlink").json["decided_by"]

    body = admin.get("/api/v1/audit?action=link_").json
    actions = [row["action"] for row in body["items"]]
    assert actions[0] == "link_unlinked" and "link_confirmed" in actions
    assert {row["actor"] for row in body["items"]} == {who}
    newest = body["items"][0]
    assert newest["target"] == f"link:{auto.id}" and newest["detail"]["was"] == "auto"
    assert admin.get("/api/v1/audit?action=tokens.").json["items"]  # other areas stay apart
    assert "tokens.create" not in actions

    by_record = admin.get(f"/api/v1/audit?record_id={auto.record_id}").json["items"]
    assert by_record[0]["action"] == "link_unlinked"
    assert {row["detail"]["record_id"] for row in by_record} == {auto.record_id}
    by_profile = admin.get(f"/api/v1/audit?profile_id={item['profile']['id']}").json["items"]
    assert {row["detail"]["profile_id"] for row in by_profile} == {item["profile"]["id"]}
    assert "link_confirmed" in [row["action"] for row in by_profile]


def test_the_audit_log_pages_with_a_cursor(
    admin: Api, revops: Api, auto: IdentityLink, pending: list[int]
) -> None:
    for item in revops.get("/api/v1/review").json["items"]:
        revops.post(f"/api/v1/review/{item['candidates'][0]['id']}/reject")
    everything = [row["id"] for row in admin.get("/api/v1/audit?limit=200").json["items"]]
    assert everything == sorted(everything, reverse=True) and len(everything) >= 3
    first = admin.get("/api/v1/audit?limit=2").json
    rest = admin.get(f"/api/v1/audit?limit=200&cursor={first['next_cursor']}").json
    assert [row["id"] for row in first["items"] + rest["items"]] == everything
    assert rest["next_cursor"] is None
    assert error(admin.get("/api/v1/audit?record_id=x"))[0] == 400


def test_the_audit_log_is_for_admins(revops: Api, viewer: Api) -> None:
    assert error(revops.get("/api/v1/audit")) == (403, "forbidden")
    assert error(viewer.get("/api/v1/audit")) == (403, "forbidden")
