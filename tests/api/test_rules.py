"""Rule sets over the API: read, validate with precise messages, preview, save, roll back."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from enrich.models import AuditLog, IdentityLink, LinkStatus, RuleSet, SocialProfile
from enrich.services import rules_preview
from tests.api.conftest import Api, error


def _default(api: Api, kind: str) -> str:
    body = api.get(f"/api/v1/rules/{kind}").json
    assert body["active"]["version"] == "default"
    return body["active"]["body"]


def test_each_kind_starts_at_the_shipped_default_and_validates(revops: Api) -> None:
    for kind in ("match", "topics", "scoring"):
        text = _default(revops, kind)
        answer = revops.post(f"/api/v1/rules/{kind}/validate", {"body": text})
        assert answer.status_code == 200 and answer.json["valid"] is True, kind


def test_invalid_rules_get_the_loaders_message(revops: Api) -> None:
    text = _default(revops, "match").replace("link: 7.5", "link: -70")
    status, code = error(answer := revops.post("/api/v1/rules/match/validate", {"body": text}))
    assert (status, code) == (422, "invalid")
    assert "review" in answer.json["error"]["message"] and "link" in answer.json["error"]["message"]
    answer = revops.post("/api/v1/rules/scoring/validate", {"body": "points: [oops"})
    assert error(answer) == (422, "invalid")
    assert "malformed YAML" in answer.json["error"]["message"]
    assert error(revops.post("/api/v1/rules/topics/validate", {"body": 12}))[0] == 400
    assert revops.get("/api/v1/rules/nonsense").status_code == 404


def test_preview_counts_what_a_stricter_rule_would_change(
    revops: Api, people: dict[str, int], pending: list[int]
) -> None:
    text = _default(revops, "match")
    same = revops.post("/api/v1/rules/match/preview", {"body": text}).json
    assert same["counts"]["gained"] == same["counts"]["lost"] == 0
    assert same["profiles_checked"] == 4
    stricter = text.replace("link: 7.5", "link: 40").replace("review: 2.0", "review: 30")
    changed = revops.post("/api/v1/rules/match/preview", {"body": stricter}).json
    # Dana's email link falls below the new link bar but above review; the weak name-only
    # proposals fall below review.
    assert changed["counts"]["to_review"] == 1
    assert changed["examples"]["to_review"][0]["profile"].startswith("Dana Whitfield")
    assert changed["counts"]["review_dropped"] == 3
    nothing = text.replace("link: 7.5", "link: 90").replace("review: 2.0", "review: 80")
    assert revops.post("/api/v1/rules/match/preview", {"body": nothing}).json["counts"]["lost"] == 1


def test_a_preview_past_its_sample_size_says_it_is_a_sample(
    revops: Api, people: dict[str, int], pending: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _default(revops, "match")
    whole = revops.post("/api/v1/rules/match/preview", {"body": text}).json
    assert whole["truncated"] is False and whole["profiles_total"] == 4
    monkeypatch.setattr(rules_preview, "MAX_PROFILES", 2)
    sample = revops.post("/api/v1/rules/match/preview", {"body": text}).json
    assert sample["truncated"] is True and sample["profiles_total"] == 4
    assert sample["profiles_checked"] + sample["human_decided"] == 2


def test_activating_match_rules_rematches_every_profile_nobody_confirmed(
    revops: Api, engine: Engine, pending: list[int]
) -> None:
    """A rejected candidate does not freeze its profile: the profile is matched again under
    the new rules (the rejected pair is never proposed again); a confirmed one is kept."""
    rejected_on, confirmed, untouched = pending
    with Session(engine) as session:
        link_of = {
            p: session.exec(select(IdentityLink.id).where(IdentityLink.profile_id == p)).first()
            for p in (rejected_on, confirmed)
        }
    assert revops.post(f"/api/v1/review/{link_of[rejected_on]}/reject").status_code == 200
    assert revops.post(f"/api/v1/review/{link_of[confirmed]}/confirm").status_code == 200
    with Session(engine) as session:
        for profile in session.exec(select(SocialProfile)):
            profile.match_requested_at = None
            session.add(profile)
        session.commit()
    text = _default(revops, "match").replace("version: social-default-7", "version: again-1")
    assert revops.post("/api/v1/rules/match/versions", {"body": text}).status_code == 201
    with Session(engine) as session:
        requested = {
            p.id
            for p in session.exec(
                select(SocialProfile).where(col(SocialProfile.match_requested_at).is_not(None))
            )
        }
        assert session.get(IdentityLink, link_of[rejected_on]).status == LinkStatus.REJECTED
    assert rejected_on in requested and untouched in requested
    assert confirmed not in requested


def test_scoring_preview_rescored_people(revops: Api, people: dict[str, int]) -> None:
    text = _default(revops, "scoring").replace("comment: 6", "comment: 60")
    body = revops.post("/api/v1/rules/scoring/preview", {"body": text}).json
    assert body["people_checked"] == 1 and body["counts"]["up"] == 1


def test_save_activates_and_rollback_restores(revops: Api, engine: Engine) -> None:
    text = _default(revops, "topics")
    first = revops.post("/api/v1/rules/topics/versions", {"body": text, "comment": "baseline"})
    assert first.status_code == 201 and first.json["version"] == "1" and first.json["active"]
    edited = text.replace("label: Cloud security", "label: Cloud sec")
    second = revops.post("/api/v1/rules/topics/versions", {"body": edited})
    assert second.json["version"] == "2"
    assert revops.get("/api/v1/rules/topics").json["active"]["body"] == edited
    assert revops.post("/api/v1/rules/topics/activate", {"version": "1"}).status_code == 200
    body = revops.get("/api/v1/rules/topics").json
    assert body["active"]["version"] == "1"
    assert [h["action"] for h in body["history"]][:1] == ["rules.rollback"]
    assert revops.get("/api/v1/rules/topics/versions/2").json["body"] == edited
    with Session(engine) as session:
        assert [
            r.version
            for r in session.exec(select(RuleSet).where(RuleSet.active == True))  # noqa: E712
        ] == ["1"]
        assert session.exec(select(AuditLog).where(AuditLog.action == "rules.save")).all()


def test_match_rules_need_a_new_version_name(revops: Api) -> None:
    text = _default(revops, "match").replace("review: 2.0", "review: 3.0")
    answer = revops.post("/api/v1/rules/match/versions", {"body": text})
    assert error(answer) == (422, "invalid") and "version:" in answer.json["error"]["message"]
    renamed = text.replace("version: social-default-7", "version: review-3")
    assert revops.post("/api/v1/rules/match/versions", {"body": renamed}).status_code == 201


def test_bad_saves_and_rollbacks_are_precise(revops: Api, viewer: Api) -> None:
    assert error(revops.post("/api/v1/rules/match/versions", {"body": "version: x"}))[0] == 422
    assert error(revops.post("/api/v1/rules/match/activate", {"version": "77"})) == (
        404,
        "not_found",
    )
    assert error(revops.post("/api/v1/rules/match/activate", {"version": 7}))[0] == 400
    assert (
        error(revops.post("/api/v1/rules/match/versions", {"body": "x", "activate": "yes"}))[0]
        == 400
    )
    assert error(viewer.post("/api/v1/rules/match/validate", {"body": "x"})) == (403, "forbidden")
