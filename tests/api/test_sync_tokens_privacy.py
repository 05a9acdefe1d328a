"""Dead letters, dashboard, API tokens and privacy actions over the API."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from enrich.models import AuditLog, EventStatus, RawEvent, Touchpoint
from tests.api.conftest import Api, error
from tests.console import seed


def test_dead_letters_list_filter_and_replay(
    revops: Api, client: FlaskClient, engine: Engine
) -> None:
    raws = [seed.deliver(client, engine, {"id": f"dl-{i}"}, kind="like") for i in range(3)]
    letters = [seed.park(engine, raw) for raw in raws]
    body = revops.get("/api/v1/deadletters").json
    assert [d["id"] for d in body["items"]] == sorted(letters, reverse=True)
    assert revops.post("/api/v1/deadletters/replay", {"ids": [letters[0]]}).json == {"replayed": 1}
    with Session(engine) as session:
        assert session.get(RawEvent, raws[0]).status == EventStatus.PENDING
    open_ = revops.get("/api/v1/deadletters?replayed=false").json["items"]
    assert sorted(d["id"] for d in open_) == sorted(letters[1:])
    assert revops.post("/api/v1/deadletters/replay", {"all": True}).json == {"replayed": 2}
    assert revops.get("/api/v1/deadletters?replayed=false").json["items"] == []
    page = revops.get("/api/v1/deadletters?limit=2").json
    assert page["next_cursor"] and len(page["items"]) == 2


def test_bad_replays_are_precise(revops: Api) -> None:
    assert error(revops.post("/api/v1/deadletters/replay", {"ids": []}))[0] == 400
    assert error(revops.post("/api/v1/deadletters/replay", {"ids": [True]}))[0] == 400
    assert error(revops.post("/api/v1/deadletters/replay", {"all": "yes"}))[0] == 400
    assert error(revops.post("/api/v1/deadletters/replay", {"ids": [424242]})) == (404, "not_found")
    assert error(revops.get("/api/v1/deadletters?replayed=maybe"))[0] == 400


def test_dashboard_counts(viewer: Api, people: dict[str, int], pending: list[int]) -> None:
    body = viewer.get("/api/v1/dashboard?days=7").json
    assert body["match_outcomes"] == {"linked": 1, "review": 3, "none": 0}
    assert sum(s["count"] for s in body["touchpoints"]["series"]) == 4
    assert len(body["touchpoints"]["days"]) == 7
    assert body["sync"]["pending_sync_requests"] == 1
    assert error(viewer.get("/api/v1/dashboard?days=0"))[0] == 400
    assert viewer.get("/api/v1/sync").json["health"]["crm"] == "none"


def test_tokens_are_shown_once_and_stored_hashed(admin: Api, engine: Engine) -> None:
    created = admin.post(
        "/api/v1/tokens", {"name": "nightly", "role": "viewer", "scopes": ["people"]}
    )
    assert created.status_code == 201
    secret = created.json["token"]
    assert secret.startswith("enr_") and created.json["scopes"] == ["people"]
    listed = admin.get("/api/v1/tokens").json["items"]
    assert secret not in str(listed)
    assert admin.get("/api/v1/people", token=secret).status_code == 200
    assert error(admin.post("/api/v1/tokens", {"name": "x", "role": "root"}))[0] == 400
    assert error(admin.post("/api/v1/tokens", {"name": "", "role": "viewer"}))[0] == 400
    assert (
        error(
            admin.post("/api/v1/tokens", {"name": "x", "role": "viewer", "scopes": ["everything"]})
        )[0]
        == 400
    )
    assert error(admin.call("DELETE", "/api/v1/tokens/9999")) == (404, "not_found")


def test_export_then_erase_a_person(revops: Api, engine: Engine, people: dict[str, int]) -> None:
    dana = people["dana.whitfield@northwind.example"]
    exported = revops.post("/api/v1/privacy/export", {"record_id": dana}).json
    assert exported["record"]["email"] == "dana.whitfield@northwind.example"
    assert len(exported["touchpoints"]) == 1
    wrong = revops.post("/api/v1/privacy/erase", {"record_id": dana, "confirm": "yes"})
    assert error(wrong) == (422, "invalid")
    assert "dana.whitfield@northwind.example" in wrong.json["error"]["message"]
    answer = revops.post(
        "/api/v1/privacy/erase", {"record_id": dana, "confirm": "dana.whitfield@northwind.example"}
    )
    assert answer.status_code == 200 and answer.json["erased"]["touchpoints"] == 1
    with Session(engine) as session:
        assert session.exec(select(Touchpoint)).all() == []
        assert session.exec(select(AuditLog).where(AuditLog.action == "erase_person")).first()
    assert revops.get(f"/api/v1/people/{dana}").json["links"] == []


def test_bad_privacy_requests_are_precise(revops: Api, viewer: Api) -> None:
    assert error(revops.post("/api/v1/privacy/export", {}))[0] == 400
    assert error(revops.post("/api/v1/privacy/export", {"record_id": "1"}))[0] == 400
    assert error(revops.post("/api/v1/privacy/export", {"record_id": 9999})) == (404, "not_found")
    assert error(revops.post("/api/v1/privacy/erase", {"profile_ids": [9999], "confirm": "x"})) == (
        404,
        "not_found",
    )
    assert error(viewer.post("/api/v1/privacy/export", {"record_id": 1})) == (403, "forbidden")
