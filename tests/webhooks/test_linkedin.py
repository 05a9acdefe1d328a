"""LinkedIn receiver: `GET/POST /webhooks/linkedin`, signed as LinkedIn signs."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

from enrich.runtime import current
from tests.conftest import LINKEDIN_SECRET
from tests.signing import linkedin_challenge_response, linkedin_headers
from tests.webhooks.support import accounts_json, error, processed, raw_events, touchpoints

ORG = "urn:li:organization:2414183"
POST = "urn:li:share:7100000000000000001"
DANA = "urn:li:person:AbC123xYz"


def note(
    nid: int,
    action: str = "COMMENT",
    owner: str = DANA,
    text: str = "Who do I talk to?",
    org: str = ORG,
) -> dict[str, Any]:
    comment = f"urn:li:comment:(urn:li:activity:7100000000000000001,{nid})"
    out: dict[str, Any] = {
        "notificationId": nid,
        "organizationalEntity": org,
        "action": action,
        "sourcePost": POST,
        "lastModifiedAt": 1772532900000,
        "subscriber": "urn:li:person:Adm1n42",
    }
    if action in ("COMMENT", "ADMIN_COMMENT", "COMMENT_EDIT"):
        out["generatedActivity"] = comment
        out["decoratedGeneratedActivity"] = {
            "comment": {
                "entity": comment,
                "owner": owner,
                "object": POST,
                "message": {"text": text},
            }
        }
    elif action in ("SHARE", "SHARE_MENTION"):
        out["decoratedGeneratedActivity"] = {
            "share": {"entity": "urn:li:share:1", "owner": owner, "text": text}
        }
    elif action == "LIKE":
        out["actor"] = owner
    return out


def delivery(*notes: dict[str, Any]) -> dict[str, Any]:
    return {"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": list(notes)}


def post(
    client: FlaskClient,
    payload: Any,
    *,
    secret: str = LINKEDIN_SECRET,
    raw: bytes | None = None,
    prefixed: bool = False,
) -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    return client.post(
        "/webhooks/linkedin", data=body, headers=linkedin_headers(secret, body, prefixed=prefixed)
    )


def test_challenge_code_is_answered_with_hex_hmac(client: FlaskClient) -> None:
    code = "890e4665-4dfe-4ab1-b689-ed553bceeed0"
    answer = client.get(f"/webhooks/linkedin?challengeCode={code}")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.json == {
        "challengeCode": code,
        "challengeResponse": linkedin_challenge_response(LINKEDIN_SECRET, code),
    }
    assert error(client.get("/webhooks/linkedin")) == (400, "missing_challenge_code")


def test_comment_is_stored_exactly_and_becomes_a_touchpoint(client: FlaskClient) -> None:
    body = json.dumps(delivery(note(884421))).encode()
    answer = client.post(
        "/webhooks/linkedin", data=body, headers=linkedin_headers(LINKEDIN_SECRET, body)
    )
    assert answer.status_code == 200
    [raw] = processed()
    assert (raw.body, raw.source, raw.account) == (body, "linkedin", ORG)
    [tp] = touchpoints()
    assert (tp.kind, tp.platform, tp.text, tp.post_id, tp.dedupe_key) == (
        "comment",
        "linkedin",
        "Who do I talk to?",
        POST,
        "linkedin:notification:884421",
    )
    assert tp.post_url == f"https://www.linkedin.com/feed/update/{POST}/"


def test_every_action(client: FlaskClient) -> None:
    notes = [
        note(1, "LIKE"),
        note(2, "SHARE", text="Worth a read"),
        note(3, "SHARE_MENTION"),
        note(4, "ADMIN_COMMENT", owner=ORG, text="Thanks!"),
        note(5, "COMMENT_EDIT"),
        {"notificationId": 6, "organizationalEntity": ORG, "action": "COMMENT_DELETE"},
    ]
    assert post(client, delivery(*notes)).status_code == 200
    [raw] = processed()
    got = sorted((tp.kind, tp.is_own) for tp in touchpoints())
    assert got == [("comment", True), ("like", False), ("mention", False), ("share", False)]
    assert "COMMENT_EDIT" in (raw.error or "") and "COMMENT_DELETE" in (raw.error or "")


def test_only_edits_and_deletes_end_ignored(client: FlaskClient) -> None:
    post(client, delivery(note(7, "COMMENT_EDIT")))
    [raw] = processed()
    assert raw.status == "ignored" and touchpoints() == []


def test_prefixed_signature_header_is_accepted(client: FlaskClient) -> None:
    assert post(client, delivery(note(8)), prefixed=True).status_code == 200


def test_notification_redelivered_in_another_batch_counts_once(client: FlaskClient) -> None:
    post(client, delivery(note(10)))
    assert post(client, delivery(note(10))).json["status"] == "duplicate"
    post(client, delivery(note(10), note(11)))
    assert len(processed()) == 2
    assert sorted(tp.dedupe_key for tp in touchpoints()) == [
        "linkedin:notification:10",
        "linkedin:notification:11",
    ]


def test_unknown_organization_is_flagged_not_refused(client: FlaskClient) -> None:
    current().settings.accounts = accounts_json(
        {"platform": "linkedin", "id": "2414183", "name": "our LinkedIn page"}
    )
    post(client, delivery(note(20)))
    assert post(client, delivery(note(21, org="urn:li:organization:1"))).status_code == 200
    assert [r.known_account for r in raw_events()] == [True, False]


def test_a_broken_notification_does_not_lose_the_others(client: FlaskClient) -> None:
    broken = note(30, "LIKE")
    del broken["actor"]
    post(client, delivery(broken, note(31)))
    [raw] = processed()
    assert len(touchpoints()) == 1 and "notifications[0]" in (raw.error or "")


def test_bad_input_is_a_precise_4xx(client: FlaskClient) -> None:
    body = json.dumps(delivery(note(40))).encode()
    assert error(client.post("/webhooks/linkedin", data=body, content_type="application/json")) == (
        401,
        "missing_signature",
    )
    assert error(post(client, delivery(note(40)), secret="wrong")) == (401, "bad_signature")
    assert error(post(client, None, raw=b"[1,")) == (400, "malformed_json")
    assert error(post(client, {"type": "X"})) == (422, "invalid_message")
    headers = {**linkedin_headers(LINKEDIN_SECRET, body), "Content-Type": "text/xml"}
    assert error(client.post("/webhooks/linkedin", data=body, headers=headers)) == (
        415,
        "unsupported_media_type",
    )
    assert post(client, None, raw=b'{"p":"' + b"x" * (1024 * 1024) + b'"}').status_code == 413
    current().settings.linkedin_client_secret = None
    answer = post(client, delivery(note(40)))
    assert error(answer) == (404, "not_configured")
    assert "LINKEDIN_CLIENT_SECRET" in answer.json["error"]["message"]
    assert raw_events() == []
