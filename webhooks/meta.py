"""`GET/POST /webhooks/meta[/<account id>]`: Instagram and Facebook Pages (Meta Webhooks).

GET is the verification request: `hub.mode=subscribe` and `hub.verify_token` equal to one of
META_VERIFY_TOKEN (comma-separated) → the `hub.challenge` echoed as text (only when it has the
shape Meta sends, an integer: an echo of anything would let whoever holds the token make enrich
serve text of their choosing); a wrong token is 403. POST checks `X-Hub-Signature-256:
sha256=<hex HMAC of the raw body>` with META_APP_SECRET (or a per-account secret from
ENRICH_ACCOUNTS) before parsing. Meta sends no delivery id: one is derived from the content ids
of its changes and messages, so a retry is a duplicate.
"""

from __future__ import annotations

import hmac
import re

from flask import Blueprint, Response, request

from enrich.config import split_secrets
from enrich.normalize.meta import account_ids, event_ids
from webhooks import accounts
from webhooks.gate import (
    accept,
    handshake_token,
    parse_json,
    raw_body,
    reject,
    require_json_content_type,
)

bp = Blueprint("webhooks_meta", __name__)
SIGNATURE_HEADER = "X-Hub-Signature-256"
CHALLENGE = re.compile(r"[0-9]{1,64}")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + accounts.hmac_sha256(secret, body).hex()


@bp.get("/webhooks/meta")
@bp.get("/webhooks/meta/<account_id>")
def verify_subscription(account_id: str | None = None) -> Response:
    tokens = split_secrets(accounts.settings().meta_verify_token)
    if not tokens:
        raise reject(
            404,
            "not_configured",
            "the Meta receiver cannot answer verification "
            "requests: set META_VERIFY_TOKEN to the token typed in the App Dashboard",
        )
    if request.args.get("hub.mode") != "subscribe" or not request.args.get("hub.challenge"):
        raise reject(
            400,
            "bad_verification_request",
            "expected hub.mode=subscribe, hub.challenge and hub.verify_token",
        )
    challenge = handshake_token(
        "hub.challenge",
        "challenge",
        CHALLENGE,
        "Meta sends an integer of at most 64 digits",
        signed=False,
    )
    given = request.args.get("hub.verify_token", "").encode()
    if not any([hmac.compare_digest(given, t.encode()) for t in tokens]):  # noqa: C419 all compared
        raise reject(403, "wrong_verify_token", "hub.verify_token does not match META_VERIFY_TOKEN")
    return Response(challenge, status=200, mimetype="text/plain")


@bp.post("/webhooks/meta")
@bp.post("/webhooks/meta/<account_id>")
def receive(account_id: str | None = None) -> Response:
    body = raw_body()
    require_json_content_type()
    given = request.headers.get(SIGNATURE_HEADER, "").strip()
    key = accounts.verify(
        accounts.keys("meta", account_id), given.lower(), lambda secret: signature(secret, body)
    )
    payload = parse_json(body)
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise reject(422, "invalid_message", "a Meta delivery is an object with an entry list")
    account, known = accounts.our_account("meta", account_ids(payload), key)
    delivery_id = accounts.stable_delivery_id("meta", event_ids(payload), body)
    return accept(
        source="meta", delivery_id=delivery_id, body=body, account=account, known_account=known
    )
