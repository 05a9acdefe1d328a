"""Signature checks of every receiver, against the independent signer in tests/signing.py:
wrong secret, truncated, another body's signature, empty, garbage, a stale Standard Webhooks
timestamp; and that every verification goes through `hmac.compare_digest` (observed with a
profiler hook while a real request runs, not by reading the source)."""

from __future__ import annotations

import base64
import hmac
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from enrich import defaults
from tests.conftest import OTHER_SECRET, STANDARD_SECRET
from tests.hardening.conftest import SIGNATURE_HEADER, SIGNERS, valid_body
from tests.signing import linkedin_headers, meta_headers, standard_headers, x_headers

RECEIVERS = sorted(SIGNERS)
WRONG: dict[str, Callable[[bytes], dict[str, str]]] = {
    "standard": lambda b: standard_headers(OTHER_SECRET, b),
    "x": lambda b: x_headers("not-the-x-secret", b),
    "meta": lambda b: meta_headers("not-the-meta-secret", b),
    "linkedin": lambda b: linkedin_headers("not-the-linkedin-secret", b),
}
_counter = iter(range(10_000, 10**9))


def post(client: FlaskClient, receiver: str, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(SIGNERS[receiver][0], data=body, headers=headers)


def refused(answer: Any, code: str | tuple[str, ...]) -> None:
    assert answer.status_code == 401, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] in ((code,) if isinstance(code, str) else code), error


@pytest.mark.parametrize("receiver", RECEIVERS)
def test_correct_signature_is_accepted_and_a_resend_is_a_duplicate(
    mclient: FlaskClient, receiver: str
) -> None:
    body = valid_body(receiver, next(_counter))
    headers = SIGNERS[receiver][1](body)
    first = post(mclient, receiver, body, headers)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["status"] == "accepted"
    again = post(mclient, receiver, body, headers)  # a replay inside the window
    assert again.status_code == 200 and again.get_json() == {
        "status": "duplicate",
        "raw_event_id": first.get_json()["raw_event_id"],
    }


@pytest.mark.parametrize("receiver", RECEIVERS)
def test_wrong_secret(mclient: FlaskClient, receiver: str) -> None:
    body = valid_body(receiver, next(_counter))
    refused(post(mclient, receiver, body, WRONG[receiver](body)), "bad_signature")


@pytest.mark.parametrize("receiver", RECEIVERS)
def test_truncated_signature(mclient: FlaskClient, receiver: str) -> None:
    body = valid_body(receiver, next(_counter))
    headers = SIGNERS[receiver][1](body)
    name = SIGNATURE_HEADER[receiver]
    for cut in (1, 8, len(headers[name]) // 2):
        refused(
            post(mclient, receiver, body, {**headers, name: headers[name][:-cut]}), "bad_signature"
        )


@pytest.mark.parametrize("receiver", RECEIVERS)
def test_signature_of_another_body(mclient: FlaskClient, receiver: str) -> None:
    body, other = valid_body(receiver, next(_counter)), valid_body(receiver, next(_counter))
    headers = SIGNERS[receiver][1](other)
    if receiver == "standard":  # same id and timestamp, only the body differs
        headers = standard_headers(
            STANDARD_SECRET, other, msg_id="msg_fixed", timestamp=int(time.time())
        )
    refused(post(mclient, receiver, body, headers), "bad_signature")
    # one byte appended after signing (e.g. a proxy re-serialising) is another body too
    refused(post(mclient, receiver, other + b" ", headers), "bad_signature")


@pytest.mark.parametrize("receiver", RECEIVERS)
def test_empty_or_missing_header(mclient: FlaskClient, receiver: str) -> None:
    body = valid_body(receiver, next(_counter))
    headers = SIGNERS[receiver][1](body)
    name = SIGNATURE_HEADER[receiver]
    refused(post(mclient, receiver, body, {**headers, name: ""}), "missing_signature")
    without = {k: v for k, v in headers.items() if k != name}
    refused(post(mclient, receiver, body, without), "missing_signature")


GARBAGE = [
    "sha256=zzzz",
    "sha256=" + "g" * 64,
    "v1,!!!not-base64!!!",
    "v1,",
    "v1",
    ",,,",
    "sha256=" + "é" * 3,
    "hmacsha256=",
    "\t",
    "v2," + "A" * 44,
    "sha1=" + "0" * 40,
    "sha256=" + "0" * 64,
    "v1," + base64.b64encode(b"\0" * 32).decode(),
    "%00",
    "🙂",
]


@pytest.mark.parametrize("receiver", RECEIVERS)
def test_non_hex_non_base64_garbage(mclient: FlaskClient, receiver: str) -> None:
    body = valid_body(receiver, next(_counter))
    headers = SIGNERS[receiver][1](body)
    name = SIGNATURE_HEADER[receiver]
    for value in GARBAGE:
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            value = value.encode().decode("latin-1")  # as it arrives on the wire: raw bytes
        answer = post(mclient, receiver, body, {**headers, name: value})
        assert answer.status_code == 401, (value, answer.get_json())
        assert answer.get_json()["error"]["code"] in ("bad_signature", "missing_signature")


@pytest.mark.parametrize(
    "offset",
    [
        defaults.STANDARD_WEBHOOK_TOLERANCE_S + 5,
        -(defaults.STANDARD_WEBHOOK_TOLERANCE_S + 5),
        10 * 86400,
    ],
)
def test_standard_webhook_replayed_outside_tolerance(mclient: FlaskClient, offset: int) -> None:
    body = valid_body("standard", next(_counter))
    headers = standard_headers(STANDARD_SECRET, body, timestamp=int(time.time()) - offset)
    refused(post(mclient, "standard", body, headers), "stale_timestamp")


def test_standard_webhook_garbage_timestamp(mclient: FlaskClient) -> None:
    body = valid_body("standard", next(_counter))
    for stamp in ("yesterday", "1e10", "-1", "99999999999999999999999", " "):
        headers = {**standard_headers(STANDARD_SECRET, body), "webhook-timestamp": stamp}
        refused(
            mclient.post("/webhooks/standard/acme", data=body, headers=headers),
            ("bad_signature", "stale_timestamp", "missing_signature"),
        )


def test_standard_webhook_unknown_source_is_404_not_a_signature_oracle(
    mclient: FlaskClient,
) -> None:
    body = valid_body("standard", next(_counter))
    answer = mclient.post(
        "/webhooks/standard/nobody", data=body, headers=standard_headers(STANDARD_SECRET, body)
    )
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "unknown_source"


@pytest.mark.parametrize("receiver", RECEIVERS)
def test_signatures_are_compared_with_compare_digest(mclient: FlaskClient, receiver: str) -> None:
    """Observe the C function calls a refused request makes (sys.setprofile sees every builtin
    call on this thread; the Flask test client runs the view on it): the signature comparison
    must be `hmac.compare_digest`, whose running time does not depend on where bytes differ."""
    body = valid_body(receiver, next(_counter))
    calls: list[Any] = []

    def profiler(_frame: Any, event: str, arg: Any) -> None:
        if event == "c_call":
            calls.append(arg)

    sys.setprofile(profiler)
    try:
        answer = post(mclient, receiver, body, WRONG[receiver](body))
    finally:
        sys.setprofile(None)
    assert answer.status_code == 401
    assert any(c is hmac.compare_digest for c in calls), "no constant-time comparison seen"


def test_every_rotated_secret_is_tried(module_app: Any, mclient: FlaskClient) -> None:
    """With two X secrets configured, a delivery signed by either is accepted; neither position
    is short-circuited (accounts.verify compares against every candidate)."""
    settings = module_app.config["ENRICH_SETTINGS"]
    original = settings.x_consumer_secret
    try:
        settings.x_consumer_secret = f"first-secret,{original}"
        body = valid_body("x", next(_counter))
        assert post(mclient, "x", body, x_headers(original, body)).status_code == 200
        body = valid_body("x", next(_counter))
        assert post(mclient, "x", body, x_headers("first-secret", body)).status_code == 200
    finally:
        settings.x_consumer_secret = original
