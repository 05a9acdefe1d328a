"""`GET/POST /webhooks/x[/<account id>]`: the X Account Activity API receiver.

GET answers the CRC (`crc_token` → `{"response_token": "sha256=<base64 HMAC>"}`) with the
consumer secret, for a token of the shape X sends only: the answer is the signature a POST of
that same string would carry, so a token that could be a delivery body would forge one; POST
checks `x-twitter-webhooks-signature` (`sha256=<base64 HMAC of the raw body>`) before parsing. X
sends no delivery id, so one is derived from the event ids: a retry (same events, same
`for_user_id`) is a duplicate. Secrets: X_CONSUMER_SECRET (comma-separated = rotation) and per-
account secrets in ENRICH_ACCOUNTS; the `<account id>` URL is for an account whose own X app
registered it (its CRC must be answered with that app's secret).
"""

from __future__ import annotations

import base64
import re

from flask import Blueprint, Response, jsonify, request

from enrich.normalize.x import event_ids
from webhooks import accounts
from webhooks.gate import (
    accept,
    handshake_token,
    parse_json,
    raw_body,
    reject,
    require_json_content_type,
)

bp = Blueprint("webhooks_x", __name__)
SIGNATURE_HEADER = "x-twitter-webhooks-signature"
# X documents the token only as an opaque string; those it sends are short base64(url) text. No
# character of a JSON object ('{', '"', ':', space) is in this alphabet, so no answer is ever the
# signature of a delivery X's POST handler would accept.
CRC_TOKEN = re.compile(r"[A-Za-z0-9+/=_.~-]{1,255}")


def signature(secret: str, message: bytes) -> str:
    return "sha256=" + base64.b64encode(accounts.hmac_sha256(secret, message)).decode()


@bp.get("/webhooks/x")
@bp.get("/webhooks/x/<account_id>")
def crc(account_id: str | None = None) -> Response:
    token = handshake_token(
        "crc_token",
        "crc_token",
        CRC_TOKEN,
        "GET /webhooks/x is X's CRC: a token of at most 255 letters, digits and + / = _ . ~ -",
    )
    key = accounts.handshake_key("x", account_id)
    return jsonify({"response_token": signature(key.secret, token.encode())})


@bp.post("/webhooks/x")
@bp.post("/webhooks/x/<account_id>")
def receive(account_id: str | None = None) -> Response:
    body = raw_body()
    require_json_content_type()
    key = accounts.verify(
        accounts.keys("x", account_id),
        request.headers.get(SIGNATURE_HEADER, ""),
        lambda secret: signature(secret, body),
    )
    payload = parse_json(body)
    if not isinstance(payload, dict) or not payload.get("for_user_id"):
        raise reject(
            422, "invalid_message", "an Account Activity delivery is an object with for_user_id"
        )
    us = str(payload["for_user_id"])
    account, known = accounts.our_account("x", [us], key)
    delivery_id = accounts.stable_delivery_id(us, event_ids(payload), body)
    return accept(
        source="x", delivery_id=delivery_id, body=body, account=account, known_account=known
    )
