"""The review queue over the API: list, confirm, reject, relink; humans are recorded."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from enrich.db import session_scope
from enrich.linking import active_rules, to_person, to_profile
from enrich.matching.scorer import Matcher
from enrich.models import (
    AuditLog,
    CrmRecord,
    IdentityLink,
    LinkStatus,
    Score,
    SocialProfile,
    SyncRequest,
    utcnow,
)
from enrich.pipeline import rematch_pending
from tests.api.conftest import Api, error
from tests.console import seed


def _first(api: Api) -> dict:
    return api.get("/api/v1/review").json["items"][0]


def test_the_queue_lists_profiles_with_candidates_and_explanations(
    viewer: Api, pending: list[int]
) -> None:
    body = viewer.get("/api/v1/review").json
    assert [i["profile"]["id"] for i in body["items"]] == pending
    candidate = body["items"][0]["candidates"][0]
    assert candidate["status"] == "pending"
    assert {e["comparison"] for e in candidate["explanation"]} >= {"name", "email"}
    page = viewer.get("/api/v1/review?limit=2").json
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = viewer.get(f"/api/v1/review?limit=2&cursor={page['next_cursor']}").json
    assert [i["profile"]["id"] for i in rest["items"]] == pending[2:]
    assert viewer.get("/api/v1/review?platform=linkedin").json["items"] == []


def test_confirm_records_the_reviewer_rescores_and_requests_a_sync(
    revops: Api, engine: Engine, pending: list[int]
) -> None:
    item = _first(revops)
    link = item["candidates"][0]
    answer = revops.post(f"/api/v1/review/{link['id']}/confirm")
    assert answer.status_code == 200
    assert answer.json["status"] == "confirmed"
    assert answer.json["decided_by"].startswith("token:")
    with Session(engine) as session:
        stored = session.get(IdentityLink, link["id"])
        assert stored.status == LinkStatus.CONFIRMED
        others = session.exec(
            select(IdentityLink).where(
                IdentityLink.profile_id == item["profile"]["id"], IdentityLink.id != link["id"]
            )
        ).all()
        assert all(o.status == LinkStatus.REJECTED for o in others)
        assert session.exec(select(Score).where(Score.record_id == link["record_id"])).first()
        assert session.exec(
            select(SyncRequest).where(SyncRequest.record_id == link["record_id"])
        ).first()
        [audit] = session.exec(select(AuditLog).where(AuditLog.action == "link_confirmed")).all()
        assert (audit.actor, audit.target) == (answer.json["decided_by"], f"link:{link['id']}")
    assert item["profile"]["id"] not in [
        i["profile"]["id"] for i in revops.get("/api/v1/review").json["items"]
    ]


def test_reject_then_deciding_again_is_a_conflict(revops: Api, pending: list[int]) -> None:
    link_id = _first(revops)["candidates"][0]["id"]
    assert revops.post(f"/api/v1/review/{link_id}/reject").json["status"] == "rejected"
    assert error(revops.post(f"/api/v1/review/{link_id}/confirm")) == (409, "conflict")


def test_relink_to_another_record(
    revops: Api, engine: Engine, pending: list[int], people: dict[str, int]
) -> None:
    item = _first(revops)
    other = people["sam.reyes@litware.example"]
    answer = revops.post(
        f"/api/v1/review/{item['candidates'][0]['id']}/relink", {"record_id": other}
    )
    assert answer.status_code == 200
    assert (answer.json["record_id"], answer.json["status"]) == (other, "confirmed")
    candidates = sorted(c["record_id"] for c in item["candidates"])
    with Session(engine) as session:
        moved = session.exec(select(AuditLog).where(AuditLog.action == "link_relinked")).one()
        assert moved.target == f"link:{answer.json['id']}"
        assert (moved.detail["from_record_ids"], moved.detail["to_record_id"]) == (
            candidates,
            other,
        )
        turned_down = session.exec(select(AuditLog).where(AuditLog.action == "link_rejected")).all()
    assert sorted(a.detail["record_id"] for a in turned_down) == candidates
    assert {a.detail["because"] for a in turned_down} == {f"link:{answer.json['id']}"}


def test_confirm_logs_each_candidate_it_rejects(
    revops: Api, engine: Engine, pending: list[int]
) -> None:
    item = next(i for i in revops.get("/api/v1/review").json["items"] if len(i["candidates"]) > 1)
    chosen, *others = item["candidates"]
    revops.post(f"/api/v1/review/{chosen['id']}/confirm")
    with Session(engine) as session:
        rows = session.exec(select(AuditLog).where(AuditLog.action == "link_rejected")).all()
    assert sorted(r.target for r in rows) == sorted(f"link:{o['id']}" for o in others)
    assert all(
        r.detail
        == {
            "profile_id": item["profile"]["id"],
            "record_id": r.detail["record_id"],
            "was": "pending",
            "because": f"link:{chosen['id']}",
        }
        for r in rows
    )


def test_the_queue_does_not_decide_links_already_in_effect(
    revops: Api, engine: Engine, people: dict[str, int]
) -> None:
    """An auto link is undone with /links/<id>/unlink; the queue's endpoints stay pending-only
    so that two reviewers cannot both decide one proposal."""
    with Session(engine) as session:
        auto = session.exec(
            select(IdentityLink).where(IdentityLink.status == LinkStatus.AUTO)
        ).one()
    for action in ("confirm", "reject"):
        assert error(revops.post(f"/api/v1/review/{auto.id}/{action}")) == (409, "conflict")


def test_bad_review_requests_are_precise(revops: Api, pending: list[int]) -> None:
    link_id = _first(revops)["candidates"][0]["id"]
    assert error(revops.post("/api/v1/review/999999/confirm")) == (404, "not_found")
    assert error(revops.post(f"/api/v1/review/{link_id}/relink", {"record_id": "x"}))[0] == 400
    assert error(revops.post(f"/api/v1/review/{link_id}/relink", {"record_id": 999999})) == (
        404,
        "not_found",
    )
    assert (
        error(
            revops.call(
                "POST",
                f"/api/v1/review/{link_id}/relink",
                data="not json",
                headers={"Content-Type": "application/json"},
            )
        )[0]
        == 400
    )


def _links_of(engine: Engine, profile_id: int) -> set[tuple[Any, ...]]:
    with Session(engine) as session:
        return {
            (
                link.id,
                link.record_id,
                link.status,
                link.score,
                link.rule_version,
                link.decided_by,
                link.decided_at,
            )
            for link in session.exec(
                select(IdentityLink).where(IdentityLink.profile_id == profile_id)
            )
        }


def test_a_confirmed_link_outlives_new_deliveries_rematches_and_new_rules(
    revops: Api, client: FlaskClient, engine: Engine, people: dict[str, int], pending: list[int]
) -> None:
    """Humans win: once a person confirmed a profile's link, nothing the matcher does (a new
    delivery pointing at someone else, a re-match, rules that would not even propose the pair)
    changes or removes any of that profile's links."""
    item = _first(revops)
    profile_id, chosen = item["profile"]["id"], item["candidates"][0]
    assert profile_id == pending[0]  # seed.review_profiles: platform user "rv-0" on x
    assert revops.post(f"/api/v1/review/{chosen['id']}/confirm").status_code == 200
    decided = _links_of(engine, profile_id)
    assert (chosen["id"], chosen["record_id"], LinkStatus.CONFIRMED) in {
        link[:3] for link in decided
    }

    # The profile now shows another contact's email, an exact match the matcher would link.
    seed.deliver(client, engine, {"id": "rv-0", "email": "rokafor@contoso.example"}, platform="x")
    assert _links_of(engine, profile_id) == decided

    with session_scope(engine) as session:
        session.get(SocialProfile, profile_id).match_requested_at = utcnow()
    rematch_pending()
    assert _links_of(engine, profile_id) == decided

    text = revops.get("/api/v1/rules/match").json["active"]["body"]
    text = re.sub(r"(?m)^version: .*$", "version: strict-review", text)
    text = re.sub(r"(?m)^(\s+)link: .*$", r"\g<1>link: 95.0", text)
    text = re.sub(r"(?m)^(\s+)review: .*$", r"\g<1>review: 90.0", text)
    assert revops.post("/api/v1/rules/match/versions", {"body": text}).status_code == 201
    with Session(engine) as session:
        rules = active_rules(session)
        profile = session.get(SocialProfile, profile_id)
        record = session.get(CrmRecord, chosen["record_id"])
        assert rules.version == "strict-review" and profile and record
        person = to_person(record)
        score, _ = Matcher(rules, [person]).score(to_profile(profile), person)
        assert score < rules.thresholds.review  # the new rules would not even propose the pair
        profile.match_requested_at = utcnow()  # as a CRM change near it would
        session.commit()
    rematch_pending()
    seed.deliver(
        client,
        engine,
        {"id": "rv-0", "email": "rokafor@contoso.example"},
        kind="like",
        platform="x",
    )
    assert _links_of(engine, profile_id) == decided


def test_a_possible_job_change_is_pointed_out_to_the_reviewer(
    client: FlaskClient, engine: Engine, viewer: Api
) -> None:
    """Name, title and city agree, the profile names another employer: in review, with the
    reason said; a namesake with nothing else in common gets no such hint."""
    ids = seed.add_people(engine)
    seed.deliver(
        client,
        engine,
        {"id": "li-priya", "name": "Priya Natarajan", "bio": "CISO at Hooli", "location": "Boston"},
    )
    [item] = viewer.get("/api/v1/review").json["items"]
    [candidate] = item["candidates"]
    assert candidate["record_id"] == ids["priya@fabrikam.example"]
    assert candidate["status"] == "pending"
    assert [h["code"] for h in candidate["hints"]] == ["job_change"]
    assert "the name, the title and the city agree" in candidate["hints"][0]["message"]
    levels = {e["comparison"]: e["level"] for e in candidate["explanation"]}
    assert levels["company"] == "different" and levels["title"] == "exact"

    seed.deliver(client, engine, {"id": "li-dana-2", "name": "Dana Whitfield"})
    hinted = [
        c["hints"]
        for i in viewer.get("/api/v1/review").json["items"]
        for c in i["candidates"]
        if i["profile"]["name"] == "Dana Whitfield"
    ]
    assert hinted and all(h == [] for h in hinted)
