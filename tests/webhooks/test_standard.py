"""Standard Webhooks receiver: `POST /webhooks/standard/<source>`."""

from __future__ import annotations

import json
import time

from flask.testing import FlaskClient
from sqlmodel import Session, select

from enrich.models import RawEvent, Touchpoint
from enrich.runtime import current
from tests.conftest import OTHER_SECRET, STANDARD_SECRET, wait_until
from tests.signing import standard_headers

URL = "/webhooks/standard/acme"


def message(actor_id: str = "li-1", kind: str = "comment", **extra: object) -> dict:
    data = {
        "platform": "linkedin",
        "kind": kind,
        "occurred_at": "2026-11-24T09:59:12Z",
        "actor": {"id": actor_id, "name": "Dana Whitfield", "email": "dana@northwind.example"},
        "post": {"id": "p1", "text": "Cloud security in 2027"},
        "text": "Great post!",
    }
    data.update(extra)
    return {"type": "touchpoint.created", "timestamp": "2026-11-24T10:00:00Z", "data": data}


def post(
    client: FlaskClient,
    payload: object,
    *,
    secret: str = STANDARD_SECRET,
    raw: bytes | None = None,
    **kw: object,
):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = standard_headers(secret, body, **kw)
    return client.post(URL, data=body, headers=headers)


def raw_events() -> list[RawEvent]:
    with Session(current().engine) as s:
        return list(s.exec(select(RawEvent)))


def touchpoints() -> list[Touchpoint]:
    with Session(current().engine) as s:
        return list(s.exec(select(Touchpoint)))


def test_spec_test_vector_is_reproduced_by_our_signer() -> None:
    headers = standard_headers(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        b'{"test": 2432232314}',
        msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
    )
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signed_touchpoint_is_stored_exactly_and_processed(client: FlaskClient) -> None:
    body = json.dumps(message()).encode()
    signed = standard_headers(STANDARD_SECRET, body)
    answer = client.post(
        URL,
        data=body,
        headers={**signed, "Authorization": "Bearer proxy-token", "X-Forwarded-For": "203.0.113.9"},
    )
    assert answer.status_code == 200
    assert answer.json["status"] == "accepted"
    [stored] = raw_events()
    assert stored.body == body
    assert stored.source == "standard:acme"
    # The headers as sent, named in lower case, minus credentials a proxy may forward.
    assert stored.headers["webhook-signature"] == signed["webhook-signature"]
    assert stored.headers["content-type"] == "application/json"
    assert stored.headers["content-length"] == str(len(body))
    assert stored.headers["x-forwarded-for"] == "203.0.113.9"
    assert "authorization" not in stored.headers
    [tp] = wait_until(touchpoints)
    assert (tp.kind, tp.platform, tp.text) == ("comment", "linkedin", "Great post!")


def test_duplicate_delivery_answers_2xx_and_creates_nothing_new(client: FlaskClient) -> None:
    body = json.dumps(message()).encode()
    headers = standard_headers(STANDARD_SECRET, body, msg_id="msg_same")
    first = client.post(URL, data=body, headers=headers)
    second = client.post(URL, data=body, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json["status"] == "duplicate"
    assert len(raw_events()) == 1
    wait_until(touchpoints)
    time.sleep(0.2)
    assert len(touchpoints()) == 1


def test_a_list_of_touchpoints_becomes_one_touchpoint_each(client: FlaskClient) -> None:
    payload = message()
    payload["data"] = [message(f"li-{i}")["data"] for i in range(3)]
    assert post(client, payload).status_code == 200
    assert len(wait_until(lambda: len(touchpoints()) == 3 and touchpoints())) == 3


def test_rotated_secrets_both_verify(settings, client: FlaskClient) -> None:
    current().settings.standard_webhook_secrets = f"acme={STANDARD_SECRET},acme={OTHER_SECRET}"
    assert post(client, message(), secret=OTHER_SECRET).status_code == 200
    assert post(client, message(), secret=STANDARD_SECRET).status_code == 200


def error(answer) -> tuple[int, str]:
    return answer.status_code, answer.json["error"]["code"]


def test_unsigned_delivery_is_401(client: FlaskClient) -> None:
    answer = client.post(URL, data=json.dumps(message()), content_type="application/json")
    assert error(answer) == (401, "missing_signature")
    assert raw_events() == []


def test_wrong_secret_is_401(client: FlaskClient) -> None:
    assert error(post(client, message(), secret=OTHER_SECRET)) == (401, "bad_signature")


def test_signature_of_a_different_body_is_401(client: FlaskClient) -> None:
    headers = standard_headers(STANDARD_SECRET, b'{"type": "touchpoint.created"}')
    answer = client.post(URL, data=json.dumps(message()), headers=headers)
    assert error(answer) == (401, "bad_signature")


def test_truncated_or_garbled_signature_is_401_not_500(client: FlaskClient) -> None:
    body = json.dumps(message()).encode()
    headers = standard_headers(STANDARD_SECRET, body)
    for bad in (headers["webhook-signature"][:20], "v1", "v1,***", "garbage", ""):
        answer = client.post(URL, data=body, headers={**headers, "webhook-signature": bad})
        assert answer.status_code == 401, bad


def test_stale_or_future_timestamp_is_refused(client: FlaskClient) -> None:
    old = post(client, message(), timestamp=int(time.time()) - 600)
    future = post(client, message(), timestamp=int(time.time()) + 600)
    assert error(old) == (401, "stale_timestamp")
    assert error(future) == (401, "stale_timestamp")


def test_unknown_source_is_404(client: FlaskClient) -> None:
    body = json.dumps(message()).encode()
    answer = client.post(
        "/webhooks/standard/nobody", data=body, headers=standard_headers(STANDARD_SECRET, body)
    )
    assert error(answer) == (404, "unknown_source")


def test_wrong_content_type_is_415(client: FlaskClient) -> None:
    body = json.dumps(message()).encode()
    headers = {**standard_headers(STANDARD_SECRET, body), "Content-Type": "text/plain"}
    assert error(client.post(URL, data=body, headers=headers)) == (415, "unsupported_media_type")


def test_signed_malformed_json_is_400(client: FlaskClient) -> None:
    assert error(post(client, None, raw=b'{"type": ')) == (400, "malformed_json")


def test_signed_non_utf8_body_is_400(client: FlaskClient) -> None:
    assert error(post(client, None, raw=b'{"a": "\xff\xfe"}')) == (400, "invalid_encoding")


def test_message_without_actor_id_is_422_with_the_path(client: FlaskClient) -> None:
    payload = message()
    del payload["data"]["actor"]["id"]
    answer = post(client, payload)
    assert error(answer) == (422, "invalid_message")
    assert "actor" in answer.json["error"]["message"]


def test_more_than_100_touchpoints_is_422(client: FlaskClient) -> None:
    payload = message()
    payload["data"] = [message(f"li-{i}")["data"] for i in range(101)]
    assert error(post(client, payload)) == (422, "invalid_message")


def test_deeply_nested_json_is_refused_with_400(client: FlaskClient) -> None:
    raw = b'{"a":' * 5000 + b"1" + b"}" * 5000
    assert error(post(client, None, raw=raw)) == (400, "too_deep")


def test_oversized_body_is_413_json(client: FlaskClient) -> None:
    body = b'{"pad": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    answer = client.post(URL, data=body, headers=standard_headers(STANDARD_SECRET, body))
    assert answer.status_code == 413
    assert answer.json["error"]["status"] == 413
