"""Handshakes are not signing oracles: a challenge answered with an HMAC under the delivery
secret must never be one whose answer signs a delivery (issue 15, finding 1).

Each test plays the attack end to end: ask the handshake to "answer" a forged body, then post
that body with the answer as its signature. Before the fix both steps succeeded.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from tests.webhooks.support import error, raw_events

FORGED_X = json.dumps(
    {
        "for_user_id": "1500000000000000001",
        "favorite_events": [
            {
                "id": "forged1",
                "favorited_status": {"id_str": "1", "user": {"id_str": "1"}},
                "user": {"id_str": "666", "screen_name": "forged", "name": "Forged CEO"},
            }
        ],
    }
)
FORGED_LINKEDIN = json.dumps(
    {
        "notifications": [
            {
                "notificationId": 1,
                "organizationalEntity": "urn:li:organization:1",
                "action": "COMMENT",
                "sourcePost": "urn:li:share:1",
                "decoratedSourcePost": {"owner": "urn:li:person:666"},
                "generatedActivity": {"text": "forged"},
            }
        ]
    }
)


def test_x_crc_refuses_a_token_that_is_a_delivery_body(client: FlaskClient) -> None:
    answer = client.get(f"/webhooks/x?crc_token={quote(FORGED_X)}")
    assert error(answer) == (400, "invalid_crc_token")
    assert "response_token" not in answer.get_data(as_text=True)


def test_x_forgery_through_the_crc_stores_nothing(client: FlaskClient) -> None:
    crc = client.get(f"/webhooks/x?crc_token={quote(FORGED_X)}")
    token = (crc.json or {}).get("response_token", "sha256=none")
    posted = client.post(
        "/webhooks/x",
        data=FORGED_X.encode(),
        headers={"x-twitter-webhooks-signature": token, "Content-Type": "application/json"},
    )
    assert posted.status_code == 401
    assert raw_events() == []


@pytest.mark.parametrize(
    "token",
    [
        "123",  # parses as JSON
        "true",
        "a" * 256,  # longer than any token X sends
        "abc def",
        'x"y',
        "{}",
    ],
)
def test_x_crc_accepts_only_short_tokens_of_a_safe_alphabet(
    client: FlaskClient, token: str
) -> None:
    assert error(client.get(f"/webhooks/x?crc_token={quote(token)}")) == (400, "invalid_crc_token")


@pytest.mark.parametrize(
    "token", ["crc-7b1e2c44", "MTIzNDU2Nzg5MGFiY2RlZg==", "a" * 255, "Zm9v_YmFy-ZnV1.eA~"]
)
def test_x_crc_still_answers_real_tokens(client: FlaskClient, token: str) -> None:
    answer = client.get(f"/webhooks/x?crc_token={quote(token)}")
    assert answer.status_code == 200 and answer.json["response_token"].startswith("sha256=")


def test_linkedin_validation_refuses_a_prefixed_body(client: FlaskClient) -> None:
    code = "hmacsha256=" + FORGED_LINKEDIN
    answer = client.get(f"/webhooks/linkedin?challengeCode={quote(code)}")
    assert error(answer) == (400, "invalid_challenge_code")
    # The attack's second step: the would-be answer as X-LI-Signature.
    forged = (answer.json or {}).get("challengeResponse", "0" * 64)
    posted = client.post(
        "/webhooks/linkedin",
        data=FORGED_LINKEDIN.encode(),
        headers={"X-LI-Signature": forged, "Content-Type": "application/json"},
    )
    assert posted.status_code == 401
    assert raw_events() == []


@pytest.mark.parametrize(
    "code",
    [
        "not-a-uuid",
        "890e4665-4dfe-4ab1-b689-ed553bceeed0x",
        "{}",
        "890e46654dfe4ab1b689ed553bceeed0",
    ],
)
def test_linkedin_validation_answers_uuids_only(client: FlaskClient, code: str) -> None:
    assert error(client.get(f"/webhooks/linkedin?challengeCode={quote(code)}")) == (
        400,
        "invalid_challenge_code",
    )


def test_meta_echoes_only_an_integer_challenge(client: FlaskClient) -> None:
    from tests.conftest import META_VERIFY_TOKEN

    hostile = "<script>alert(1)</script>"
    answer = client.get(
        "/webhooks/meta",
        query_string={
            "hub.mode": "subscribe",
            "hub.challenge": hostile,
            "hub.verify_token": META_VERIFY_TOKEN,
        },
    )
    assert error(answer) == (400, "invalid_challenge")
    assert hostile not in answer.get_data(as_text=True)
