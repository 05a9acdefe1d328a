"""`GET/POST /webhooks/linkedin[/<account id>]`: LinkedIn organization social action

notifications, and Lead Sync notifications (`type: LEAD_ACTION`, one object per POST, signed
the same way: docs/LEAD_FORMS.md §2.3).

GET answers validation: `challengeCode` → `{"challengeCode", "challengeResponse": hex HMAC-
SHA256(clientSecret, challengeCode)}`, for a UUID only (what LinkedIn sends): the answer to
`hmacsha256=<body>` would be the signature of a POST of that body. POST checks `X-LI-Signature`
= hex HMAC-SHA256(clientSecret, "hmacsha256=" + raw body) (an optional `hmacsha256=` prefix on
the header value is tolerated) before parsing. Secrets: LINKEDIN_CLIENT_SECRET (comma-separated
= rotation) and per-account secrets in ENRICH_ACCOUNTS. Duplicates: the delivery id is made of
the notificationIds it carries.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, request

from enrich.normalize.linkedin import LEAD_ACTION, account_ids, event_ids, lead_ref
from webhooks import accounts
from webhooks.gate import (
    accept,
    handshake_token,
    parse_json,
    raw_body,
    reject,
    require_json_content_type,
)

bp = Blueprint("webhooks_linkedin", __name__)
SIGNATURE_HEADER = "X-LI-Signature"
PREFIX = "hmacsha256="
CHALLENGE_CODE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}"
)


def signature(secret: str, body: bytes) -> str:
    return accounts.hmac_sha256(secret, PREFIX.encode() + body).hex()


@bp.get("/webhooks/linkedin")
@bp.get("/webhooks/linkedin/<account_id>")
def validate(account_id: str | None = None) -> Response:
    code = handshake_token(
        "challengeCode",
        "challenge_code",
        CHALLENGE_CODE,
        "GET /webhooks/linkedin is LinkedIn's validation: challengeCode is a UUID",
    )
    key = accounts.handshake_key("linkedin", account_id)
    answer = accounts.hmac_sha256(key.secret, code.encode()).hex()
    return jsonify({"challengeCode": code, "challengeResponse": answer})


@bp.post("/webhooks/linkedin")
@bp.post("/webhooks/linkedin/<account_id>")
def receive(account_id: str | None = None) -> Response:
    body = raw_body()
    require_json_content_type()
    given = request.headers.get(SIGNATURE_HEADER, "").strip()
    if given[: len(PREFIX)].lower() == PREFIX:
        given = given[len(PREFIX) :]
    key = accounts.verify(
        accounts.keys("linkedin", account_id), given.lower(), lambda secret: signature(secret, body)
    )
    payload = parse_json(body)
    if isinstance(payload, dict) and payload.get("type") == LEAD_ACTION:
        try:
            lead_ref(payload)
        except ValueError as exc:
            raise reject(422, "invalid_lead_notification", str(exc)) from exc
    elif not isinstance(payload, dict) or not isinstance(payload.get("notifications"), list):
        raise reject(
            422,
            "invalid_message",
            "a LinkedIn delivery is an object with a notifications list, or a LEAD_ACTION",
        )
    account, known = accounts.our_account("linkedin", account_ids(payload), key)
    delivery_id = accounts.stable_delivery_id("linkedin", event_ids(payload), body)
    return accept(
        source="linkedin", delivery_id=delivery_id, body=body, account=account, known_account=known
    )
