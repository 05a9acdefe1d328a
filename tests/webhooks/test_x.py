"""X Account Activity receiver: `GET/POST /webhooks/x`, signed as X signs."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

from enrich.runtime import current
from tests.conftest import X_SECRET
from tests.signing import x_headers, x_signature
from tests.webhooks.support import accounts_json, error, processed, raw_events, touchpoints

US = "1500000000000000001"
DANA = {
    "id": 1400000000000000003,
    "id_str": "1400000000000000003",
    "screen_name": "danawhitfield",
    "name": "Dana Whitfield",
    "description": "CISO @ Northwind",
    "location": "Berlin",
    "url": "https://t.co/abc",
    "entities": {"url": {"urls": [{"expanded_url": "https://northwind.example"}]}},
}
OUR_USER = {"id_str": US, "screen_name": "acme_corp", "name": "Acme"}
OUR_POST = {"id_str": "1600000000000000002", "text": "Our Q1 report is out", "user": OUR_USER}
CREATED = "Tue Mar 03 10:15:00 +0000 2026"


def favorite(event_id: str = "f0c1", user: dict[str, Any] = DANA) -> dict[str, Any]:
    return {
        "id": event_id,
        "created_at": CREATED,
        "timestamp_ms": 1772532900000,
        "favorited_status": OUR_POST,
        "user": user,
    }


def tweet(tweet_id: str, text: str, **fields: Any) -> dict[str, Any]:
    return {"id_str": tweet_id, "created_at": CREATED, "text": text, "user": DANA, **fields}


def post(
    client: FlaskClient,
    payload: Any,
    *,
    secret: str = X_SECRET,
    raw: bytes | None = None,
    url: str = "/webhooks/x",
) -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    return client.post(url, data=body, headers=x_headers(secret, body))


def delivery(**events: Any) -> dict[str, Any]:
    return {"for_user_id": US, **events}


def test_crc_answers_base64_hmac_of_the_token_with_the_consumer_secret(client: FlaskClient) -> None:
    answer = client.get("/webhooks/x?crc_token=crc-7b1e2c44")
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert answer.json == {"response_token": x_signature(X_SECRET, b"crc-7b1e2c44")}


def test_crc_without_token_is_400(client: FlaskClient) -> None:
    assert error(client.get("/webhooks/x")) == (400, "missing_crc_token")


def test_like_is_stored_exactly_and_becomes_a_like_touchpoint(client: FlaskClient) -> None:
    body = json.dumps(delivery(favorite_events=[favorite()])).encode()
    answer = client.post("/webhooks/x", data=body, headers=x_headers(X_SECRET, body))
    assert answer.status_code == 200 and answer.json["status"] == "accepted"
    [raw] = processed()
    assert (raw.body, raw.source, raw.account, raw.status) == (body, "x", US, "processed")
    [tp] = touchpoints()
    assert (tp.kind, tp.platform, tp.post_id, tp.post_text, tp.is_own) == (
        "like",
        "x",
        "1600000000000000002",
        "Our Q1 report is out",
        False,
    )
    assert tp.post_url == "https://x.com/acme_corp/status/1600000000000000002"
    assert tp.dedupe_key == "x:favorite:f0c1"


def test_every_tweet_kind_is_classified(client: FlaskClient) -> None:
    mention = {"user_mentions": [{"id_str": US, "screen_name": "acme_corp"}]}
    tweets = [
        tweet(
            "2001",
            "@acme_corp does this integrate with SAP?",
            entities=mention,
            in_reply_to_status_id_str=OUR_POST["id_str"],
            in_reply_to_user_id_str=US,
            in_reply_to_screen_name="acme_corp",
        ),
        tweet("2002", "Must read", is_quote_status=True, quoted_status=OUR_POST),
        tweet("2003", "RT @acme_corp: Our Q1 report is out", retweeted_status=OUR_POST),
        tweet(
            "2004",
            "Anyone tried @acme_corp for CRM enrichment?",
            entities=mention,
            truncated=True,
            extended_tweet={
                "full_text": "Anyone tried @acme_corp for CRM enrichment? Long version of the text."
            },
        ),
    ]
    assert post(client, delivery(tweet_create_events=tweets)).status_code == 200
    processed()
    kinds = {tp.dedupe_key: (tp.kind, tp.post_id, tp.text) for tp in touchpoints()}
    assert kinds == {
        "x:tweet:2001": ("reply", OUR_POST["id_str"], "@acme_corp does this integrate with SAP?"),
        "x:tweet:2002": ("quote", OUR_POST["id_str"], "Must read"),
        "x:tweet:2003": ("share", OUR_POST["id_str"], None),
        "x:tweet:2004": (
            "mention",
            "2004",
            "Anyone tried @acme_corp for CRM enrichment? Long version of the text.",
        ),
    }


def test_follow_unfollow_and_dm(client: FlaskClient) -> None:
    follows = [
        {
            "type": "follow",
            "created_timestamp": "1772532900000",
            "source": DANA,
            "target": OUR_USER,
        },
        {
            "type": "unfollow",
            "created_timestamp": "1772532999000",
            "source": DANA,
            "target": OUR_USER,
        },
    ]
    dm = {
        "type": "message_create",
        "id": "9001",
        "created_timestamp": "1772532900000",
        "message_create": {
            "target": {"recipient_id": US},
            "sender_id": DANA["id_str"],
            "message_data": {"text": "Can we get a demo?"},
        },
    }
    users = {DANA["id_str"]: {**DANA, "id": DANA["id_str"]}, US: {"id": US}}
    assert post(client, delivery(follow_events=follows)).status_code == 200
    assert post(client, delivery(direct_message_events=[dm], users=users)).status_code == 200
    processed()
    got = sorted((tp.kind, tp.text) for tp in touchpoints())
    assert got == [("dm", "Can we get a demo?"), ("follow", None), ("unfollow", None)]


def test_actions_of_our_own_account_are_marked_own(client: FlaskClient) -> None:
    ours = favorite("f-own", user={**OUR_USER, "id": US})
    dm = {
        "type": "message_create",
        "id": "9002",
        "created_timestamp": "1772532900000",
        "message_create": {
            "target": {"recipient_id": DANA["id_str"]},
            "sender_id": US,
            "message_data": {"text": "Thanks!"},
        },
    }
    post(client, delivery(favorite_events=[ours]))
    post(client, delivery(direct_message_events=[dm], users={US: {"id": US}}))
    processed()
    assert [tp.is_own for tp in touchpoints()] == [True, True]


def test_duplicate_delivery_answers_2xx_and_counts_once(client: FlaskClient) -> None:
    body = json.dumps(delivery(favorite_events=[favorite()])).encode()
    first = client.post("/webhooks/x", data=body, headers=x_headers(X_SECRET, body))
    second = client.post("/webhooks/x", data=body, headers=x_headers(X_SECRET, body))
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json["status"] == "duplicate"
    processed()
    assert len(raw_events()) == 1 and len(touchpoints()) == 1


def test_same_event_for_two_of_our_users_is_one_touchpoint(client: FlaskClient) -> None:
    post(client, delivery(favorite_events=[favorite()]))
    post(client, {"for_user_id": "1500000000000000009", "favorite_events": [favorite()]})
    assert len(processed()) == 2
    assert len(touchpoints()) == 1


def test_known_and_unknown_accounts(client: FlaskClient) -> None:
    current().settings.accounts = accounts_json({"platform": "x", "id": US, "name": "our X"})
    post(client, delivery(favorite_events=[favorite("a")]))
    answer = post(client, {"for_user_id": "999", "favorite_events": [favorite("b")]})
    assert answer.status_code == 200
    assert [(r.account, r.known_account) for r in raw_events()] == [(US, True), ("999", False)]


def test_unused_event_types_end_ignored(client: FlaskClient) -> None:
    answer = post(client, delivery(block_events=[{"type": "block", "source": DANA}]))
    assert answer.status_code == 200
    [raw] = processed()
    assert raw.status == "ignored" and "block_events" in (raw.error or "")


def test_a_broken_event_does_not_lose_the_others(client: FlaskClient) -> None:
    broken = {"id": "f-broken", "favorited_status": OUR_POST}  # no user
    post(client, delivery(favorite_events=[broken, favorite("f-ok")]))
    [raw] = processed()
    assert [tp.dedupe_key for tp in touchpoints()] == ["x:favorite:f-ok"]
    assert "favorite_events[0]" in (raw.error or "")


def test_rotated_secrets_both_verify(client: FlaskClient) -> None:
    current().settings.x_consumer_secret = f"new-secret,{X_SECRET}"
    assert post(client, delivery(favorite_events=[favorite("1")])).status_code == 200
    assert (
        post(client, delivery(favorite_events=[favorite("2")]), secret="new-secret").status_code
        == 200
    )
    assert client.get("/webhooks/x?crc_token=t").json["response_token"] == x_signature(
        "new-secret", b"t"
    )


def test_per_account_secret_and_url(client: FlaskClient) -> None:
    current().settings.accounts = accounts_json(
        {"platform": "x", "id": "777", "name": "our founder", "secret": "founder-app"}
    )
    crc = client.get("/webhooks/x/777?crc_token=t")
    assert crc.json["response_token"] == x_signature("founder-app", b"t")
    own = {"for_user_id": "777", "favorite_events": [favorite("c")]}
    assert post(client, own, secret="founder-app", url="/webhooks/x/777").status_code == 200
    assert post(client, own, secret="founder-app").status_code == 200  # bare URL knows it too
    other = delivery(favorite_events=[favorite("d")])
    assert error(post(client, other, secret="founder-app")) == (403, "wrong_account_secret")


def test_unsigned_wrong_or_garbled_signature_is_401(client: FlaskClient) -> None:
    body = json.dumps(delivery(favorite_events=[favorite()])).encode()
    unsigned = client.post("/webhooks/x", data=body, content_type="application/json")
    assert error(unsigned) == (401, "missing_signature")
    assert error(post(client, delivery(), secret="wrong")) == (401, "bad_signature")
    other_body = x_headers(X_SECRET, b"{}")
    assert error(client.post("/webhooks/x", data=body, headers=other_body)) == (
        401,
        "bad_signature",
    )
    for bad in ("sha256=", "sha256=***", "garbage", x_signature(X_SECRET, body)[:20], "é"):
        headers = {"x-twitter-webhooks-signature": bad, "Content-Type": "application/json"}
        assert client.post("/webhooks/x", data=body, headers=headers).status_code == 401
    assert raw_events() == []


def test_malformed_content_type_size_and_shape(client: FlaskClient) -> None:
    assert error(post(client, None, raw=b'{"for_user_id": ')) == (400, "malformed_json")
    assert error(post(client, None, raw=b'{"a": "\xff"}')) == (400, "invalid_encoding")
    assert error(post(client, ["not", "an", "object"])) == (422, "invalid_message")
    body = b"{}"
    headers = {**x_headers(X_SECRET, body), "Content-Type": "text/plain"}
    assert error(client.post("/webhooks/x", data=body, headers=headers)) == (
        415,
        "unsupported_media_type",
    )
    big = b'{"pad": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    assert post(client, None, raw=big).status_code == 413
    assert raw_events() == []


def test_no_consumer_secret_is_404_naming_the_setting(client: FlaskClient) -> None:
    current().settings.x_consumer_secret = None
    for answer in (client.get("/webhooks/x?crc_token=t"), post(client, delivery())):
        assert error(answer) == (404, "not_configured")
        assert "X_CONSUMER_SECRET" in answer.json["error"]["message"]


def test_non_ascii_body_is_verified_on_the_raw_bytes(client: FlaskClient) -> None:
    body = json.dumps(
        delivery(favorite_events=[favorite(user={**DANA, "name": "Jörg Müller"})]),
        ensure_ascii=False,
    ).encode()
    assert (
        client.post("/webhooks/x", data=body, headers=x_headers(X_SECRET, body)).status_code == 200
    )
    processed()
    assert raw_events()[0].body == body
