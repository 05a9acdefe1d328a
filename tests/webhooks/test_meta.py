"""Meta receiver (Instagram and Facebook Pages): `GET/POST /webhooks/meta`, signed as Meta signs."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

from enrich.runtime import current
from tests.conftest import META_SECRET, META_VERIFY_TOKEN
from tests.signing import meta_headers
from tests.webhooks.support import accounts_json, error, processed, raw_events, touchpoints

IG, PAGE = "17841400000000001", "1031000000000001"
JOERG = {"id": "6000000000000003", "username": "joerg.mueller.cfo"}
DANA = {"id": "3550000000000005", "name": "Dana Whitfield"}


def instagram(
    *changes: dict[str, Any], messaging: list[Any] | None = None, account: str = IG
) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": account, "time": 1772532900, "changes": list(changes)}
    if messaging is not None:
        entry["messaging"] = messaging
    return {"object": "instagram", "entry": [entry]}


def page(
    *values: dict[str, Any],
    field: str = "feed",
    account: str = PAGE,
    messaging: list[Any] | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": account,
        "time": 1772532900,
        "changes": [{"field": field, "value": v} for v in values],
    }
    if messaging is not None:
        entry["messaging"] = messaging
    return {"object": "page", "entry": [entry]}


def comment(cid: str = "17900000000000002", who: dict[str, Any] = JOERG, **extra: Any) -> dict:
    return {
        "field": "comments",
        "value": {
            "id": cid,
            "text": "Grüße aus München!",
            "from": who,
            "media": {"id": "17950000000000004"},
            **extra,
        },
    }


def post(
    client: FlaskClient, payload: Any, *, secret: str = META_SECRET, raw: bytes | None = None
) -> Any:
    # json.dumps escapes non-ASCII as \uXXXX, as Meta does: the signature covers those bytes.
    body = raw if raw is not None else json.dumps(payload).encode()
    return client.post("/webhooks/meta", data=body, headers=meta_headers(secret, body))


def test_verification_echoes_the_challenge_as_text(client: FlaskClient) -> None:
    answer = client.get(
        "/webhooks/meta",
        query_string={
            "hub.mode": "subscribe",
            "hub.challenge": "1158201444",
            "hub.verify_token": META_VERIFY_TOKEN,
        },
    )
    assert (answer.status_code, answer.mimetype, answer.text) == (200, "text/plain", "1158201444")


def test_verification_with_a_wrong_token_is_403_and_bad_request_400(client: FlaskClient) -> None:
    wrong = client.get(
        "/webhooks/meta",
        query_string={"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "guess"},
    )
    assert error(wrong) == (403, "wrong_verify_token")
    assert error(client.get("/webhooks/meta?hub.challenge=1")) == (400, "bad_verification_request")
    current().settings.meta_verify_token = None
    assert error(client.get("/webhooks/meta")) == (404, "not_configured")


def test_instagram_comment_with_escaped_unicode_is_stored_exactly(client: FlaskClient) -> None:
    body = json.dumps(instagram(comment())).encode()
    assert b"\\u00fc" in body
    answer = client.post("/webhooks/meta", data=body, headers=meta_headers(META_SECRET, body))
    assert answer.status_code == 200
    [raw] = processed()
    assert (raw.body, raw.account, raw.status) == (body, IG, "processed")
    [tp] = touchpoints()
    assert (tp.platform, tp.kind, tp.text, tp.post_id) == (
        "instagram",
        "comment",
        "Grüße aus München!",
        "17950000000000004",
    )


def test_instagram_reply_mention_dm_and_echo(client: FlaskClient) -> None:
    dm = {
        "sender": {"id": "IGSID-1"},
        "recipient": {"id": IG},
        "timestamp": 1772532900000,
        "message": {"mid": "m-1", "text": "Demo please"},
    }
    echo = {
        "sender": {"id": IG},
        "recipient": {"id": "IGSID-1"},
        "timestamp": 1772532901000,
        "message": {"mid": "m-2", "text": "Sure", "is_echo": True},
    }
    mention = {"field": "mentions", "value": {"comment_id": "c-9", "media_id": "media-9"}}
    post(
        client,
        instagram(comment("c-reply", parent_id="17900000000000002"), mention, messaging=[dm, echo]),
    )
    [raw] = processed()
    assert sorted((tp.kind, tp.text) for tp in touchpoints()) == [
        ("dm", "Demo please"),
        ("reply", "Grüße aus München!"),
    ]
    assert "echo" in (raw.error or "") and "mention" in (raw.error or "")


def test_page_comment_reaction_share_visitor_post_and_message(client: FlaskClient) -> None:
    values = [
        {
            "item": "comment",
            "verb": "add",
            "comment_id": "p_c1",
            "post_id": f"{PAGE}_1",
            "parent_id": f"{PAGE}_1",
            "from": DANA,
            "message": "Pricing?",
            "created_time": 1772532900,
        },
        {
            "item": "reaction",
            "verb": "add",
            "reaction_type": "love",
            "post_id": f"{PAGE}_1",
            "from": DANA,
        },
        {"item": "share", "verb": "add", "share_id": "s1", "post_id": f"{PAGE}_1", "from": DANA},
        {"item": "post", "verb": "add", "post_id": f"{PAGE}_2", "from": DANA, "message": "Hi!"},
        {
            "item": "reaction",
            "verb": "edited",
            "reaction_type": "like",
            "post_id": f"{PAGE}_1",
            "from": DANA,
        },
    ]
    msg = {
        "sender": {"id": "PSID-1"},
        "recipient": {"id": PAGE},
        "timestamp": 1772532900000,
        "message": {"mid": "m-fb", "text": "Hello"},
    }
    assert post(client, page(*values, messaging=[msg])).status_code == 200
    processed()
    got = sorted((tp.kind, tp.platform, tp.text) for tp in touchpoints())
    assert got == [
        ("comment", "facebook", "Pricing?"),
        ("dm", "facebook", "Hello"),
        ("like", "facebook", None),
        ("mention", "facebook", "Hi!"),
        ("share", "facebook", None),
    ]
    like = next(tp for tp in touchpoints() if tp.kind == "like")
    assert like.post_url == f"https://www.facebook.com/{PAGE}_1"


def test_our_own_page_comment_is_own(client: FlaskClient) -> None:
    post(
        client,
        page(
            {
                "item": "comment",
                "verb": "add",
                "comment_id": "c-own",
                "post_id": f"{PAGE}_1",
                "from": {"id": PAGE, "name": "Acme"},
            }
        ),
    )
    processed()
    assert [tp.is_own for tp in touchpoints()] == [True]


def test_a_batch_of_two_accounts_one_unknown(client: FlaskClient) -> None:
    current().settings.accounts = accounts_json(
        {"platform": "instagram", "id": IG, "name": "our Instagram"}
    )
    payload = instagram(comment("c-a"))
    payload["entry"].append({"id": "178-unknown", "time": 1, "changes": [comment("c-b")]})
    assert post(client, payload).status_code == 200
    [raw] = processed()
    assert (raw.account, raw.known_account) == (f"{IG},178-unknown", False)
    assert len(touchpoints()) == 2
    post(client, instagram(comment("c-c")))
    assert raw_events()[-1].known_account is True


def test_retry_and_redelivery_count_once(client: FlaskClient) -> None:
    first = post(client, instagram(comment("c-1")))
    again = post(client, instagram(comment("c-1")))
    assert again.json["status"] == "duplicate"
    # Batched differently later (Meta does not promise the same batches): still one touchpoint.
    post(client, instagram(comment("c-1"), comment("c-2")))
    processed()
    assert first.status_code == 200 and len(touchpoints()) == 2


def test_two_leads_of_one_page_in_one_second_are_two_deliveries(client: FlaskClient) -> None:
    # A leadgen change names only ids: the page, the form, the lead and the second it was made.
    def lead(leadgen_id: str) -> dict[str, Any]:
        return {
            "leadgen_id": leadgen_id,
            "page_id": PAGE,
            "form_id": "444444444444444",
            "adgroup_id": "0",
            "ad_id": "0",
            "created_time": 1772532900,
        }

    first = post(client, page(lead("1111111111111111"), field="leadgen"))
    second = post(client, page(lead("2222222222222222"), field="leadgen"))
    again = post(client, page(lead("2222222222222222"), field="leadgen"))
    assert (first.json["status"], second.json["status"]) == ("accepted", "accepted")
    assert again.json["status"] == "duplicate" and len(raw_events()) == 2


def test_only_unused_fields_end_ignored(client: FlaskClient) -> None:
    post(client, page({"item": "status", "verb": "remove", "post_id": "1"}, field="ratings"))
    [raw] = processed()
    assert raw.status == "ignored"


def test_a_change_without_from_does_not_lose_the_others(client: FlaskClient) -> None:
    hidden = {"item": "reaction", "verb": "add", "post_id": f"{PAGE}_1"}
    shown = {"item": "reaction", "verb": "add", "post_id": f"{PAGE}_1", "from": DANA}
    post(client, page(hidden, shown))
    [raw] = processed()
    assert len(touchpoints()) == 1 and "from" in (raw.error or "")


def test_bad_signatures_are_401(client: FlaskClient) -> None:
    body = json.dumps(instagram(comment())).encode()
    assert error(client.post("/webhooks/meta", data=body, content_type="application/json")) == (
        401,
        "missing_signature",
    )
    assert error(post(client, instagram(comment()), secret="wrong")) == (401, "bad_signature")
    sha1 = {"X-Hub-Signature": "sha1=00", "Content-Type": "application/json"}
    assert error(client.post("/webhooks/meta", data=body, headers=sha1)) == (
        401,
        "missing_signature",
    )
    upper = meta_headers(META_SECRET, body)
    upper["X-Hub-Signature-256"] = upper["X-Hub-Signature-256"].upper()  # hex is case-blind
    assert client.post("/webhooks/meta", data=body, headers=upper).status_code == 200


def test_malformed_wrong_type_oversized_and_unconfigured(client: FlaskClient) -> None:
    assert error(post(client, None, raw=b'{"object":')) == (400, "malformed_json")
    assert error(post(client, {"object": "page"})) == (422, "invalid_message")
    body = b"{}"
    headers = {
        **meta_headers(META_SECRET, body),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    assert error(client.post("/webhooks/meta", data=body, headers=headers)) == (
        415,
        "unsupported_media_type",
    )
    assert post(client, None, raw=b'{"p":"' + b"x" * (1024 * 1024) + b'"}').status_code == 413
    current().settings.meta_app_secret = None
    answer = post(client, instagram(comment()))
    assert error(answer) == (404, "not_configured")
    assert "META_APP_SECRET" in answer.json["error"]["message"]
    assert raw_events() == []
