"""Correctly signed sample deliveries, for the demo and for trying a deployment."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

SAMPLE_PEOPLE = [
    {"id": "li-9001", "handle": "danawhitfield", "name": "Dana Whitfield",
     "email": "dana.whitfield@northwind.example", "platform": "linkedin"},
]
SAMPLE_TOUCHES = [
    ("comment", "Interested - does this integrate with our SIEM for cloud security audits?"),
    ("like", None),
    ("share", "Worth a read for every data team."),
]


def touchpoint_message(person: dict[str, Any], kind: str, text: str | None, *,
                       when: datetime | None = None) -> dict[str, Any]:
    when = when or datetime.now(UTC)
    actor = {k: person[k] for k in ("id", "handle", "name", "email") if person.get(k)}
    data: dict[str, Any] = {
        "platform": person.get("platform", "linkedin"), "kind": kind,
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "actor": actor,
        "post": {"id": "post-42", "url": "https://www.linkedin.com/feed/update/urn:li:share:42",
                 "text": "How we cut cloud security review time by 60%"},
    }
    if text:
        data["text"] = text
    return {"type": "touchpoint.created", "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": data}


def sign_standard(secret: str, body: bytes, *, msg_id: str | None = None,
                  timestamp: datetime | None = None) -> dict[str, str]:
    """Standard Webhooks headers for `body` (the sender's side of the scheme)."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = timestamp or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, timestamp, body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": signature, "content-type": "application/json"}


def standard_deliveries(secret: str) -> list[tuple[bytes, dict[str, str]]]:
    out = []
    for person in SAMPLE_PEOPLE:
        for kind, text in SAMPLE_TOUCHES:
            body = json.dumps(touchpoint_message(person, kind, text)).encode()
            out.append((body, sign_standard(secret, body)))
    return out


# --- X, Meta, LinkedIn: the platforms' own formats, signed as each platform signs -------------
# Made-up ids; when ENRICH_ACCOUNTS lists an account of the platform, its id is used instead so
# the samples land on a known account.
SAMPLE_X_USER = "1500000000000000001"
SAMPLE_PAGE = "1031000000000001"
SAMPLE_IG = "17841400000000001"
SAMPLE_ORG = "urn:li:organization:2414183"


def _hmac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def sign_x(secret: str, body: bytes) -> dict[str, str]:
    """X Account Activity: `sha256=` + base64 HMAC-SHA256(consumer secret, raw body)."""
    return {"x-twitter-webhooks-signature":
            "sha256=" + base64.b64encode(_hmac(secret, body)).decode(),
            "content-type": "application/json"}


def sign_meta(secret: str, body: bytes) -> dict[str, str]:
    """Meta: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`."""
    return {"X-Hub-Signature-256": "sha256=" + _hmac(secret, body).hex(),
            "content-type": "application/json"}


def sign_linkedin(secret: str, body: bytes) -> dict[str, str]:
    """LinkedIn: `X-LI-Signature` = hex HMAC-SHA256(clientSecret, "hmacsha256=" + raw body)."""
    return {"X-LI-Signature": _hmac(secret, b"hmacsha256=" + body).hex(),
            "content-type": "application/json"}


def _x_user(uid: str, handle: str, name: str, bio: str = "") -> dict[str, Any]:
    return {"id_str": uid, "screen_name": handle, "name": name, "description": bio,
            "location": "Berlin", "url": None}


def x_payloads(us: str = SAMPLE_X_USER, *, nonce: str | None = None) -> list[dict[str, Any]]:
    """One Account Activity delivery per event kind (favorite, reply, follow, DM).
    `nonce` makes the event ids unique (each run of send-sample is new activity)."""
    n = nonce or uuid.uuid4().hex[:8]
    num = str(int(n, 16) % 10**9)
    ours = {"id_str": f"16{num:0>17}", "text": "Our Q1 report is out",
            "user": {"id_str": us, "screen_name": "acme_corp"}}
    dana = _x_user("1400000000000000003", "danawhitfield", "Dana Whitfield",
                   "CISO @ Northwind. Cloud security.")
    when = datetime.now(UTC)
    ms = int(when.timestamp() * 1000)
    created = when.strftime("%a %b %d %H:%M:%S +0000 %Y")
    return [
        {"for_user_id": us, "favorite_events": [{"id": f"fav{n}", "created_at": created,
                                                 "timestamp_ms": ms, "favorited_status": ours,
                                                 "user": dana}]},
        {"for_user_id": us, "tweet_create_events": [{
            "id_str": f"17{num:0>17}", "created_at": created, "timestamp_ms": str(ms),
            "text": "@acme_corp does this integrate with our SIEM?", "user": dana,
            "in_reply_to_status_id_str": ours["id_str"], "in_reply_to_user_id_str": us,
            "in_reply_to_screen_name": "acme_corp",
            "entities": {"user_mentions": [{"id_str": us, "screen_name": "acme_corp"}]}}]},
        {"for_user_id": us, "follow_events": [{"type": "follow", "created_timestamp": str(ms),
                                               "source": dana, "target": {"id_str": us}}]},
        {"for_user_id": us, "direct_message_events": [{
            "type": "message_create", "id": f"18{num:0>17}", "created_timestamp": str(ms),
            "message_create": {"target": {"recipient_id": us}, "sender_id": dana["id_str"],
                               "message_data": {"text": "Can we get a demo next week?"}}}],
         "users": {dana["id_str"]: {**dana, "id": dana["id_str"]}}},
    ]


def meta_payloads(page: str = SAMPLE_PAGE, ig: str = SAMPLE_IG, *,
                  nonce: str | None = None) -> list[dict[str, Any]]:
    """An Instagram comment (with non-ASCII text, as Meta escapes it) and a Page reaction."""
    n = nonce or uuid.uuid4().hex[:8]
    now = int(time.time())
    return [
        {"object": "instagram", "entry": [{"id": ig, "time": now, "changes": [{
            "field": "comments", "value": {
                "id": f"179{int(n, 16):0>14}", "text": "Grüße aus München - do you integrate "
                "with SAP?", "from": {"id": "6000000000000003", "username": "joerg.mueller.cfo"},
                "media": {"id": "17950000000000004", "media_product_type": "FEED"}}}]}]},
        {"object": "page", "entry": [{"id": page, "time": now, "changes": [{
            "field": "feed", "value": {
                "item": "reaction", "verb": "add", "reaction_type": "love",
                "post_id": f"{page}_{int(n, 16)}", "created_time": now,
                "from": {"id": "3550000000000005", "name": "Dana Whitfield"}}}]}]},
    ]


def linkedin_payloads(org: str = SAMPLE_ORG, *, nonce: str | None = None) -> list[dict[str, Any]]:
    """A comment notification (LinkedIn batches up to 10 per delivery)."""
    n = int(nonce or uuid.uuid4().hex[:8], 16)
    post = "urn:li:share:7100000000000000001"
    comment = f"urn:li:comment:(urn:li:activity:7100000000000000001,{n})"
    return [{"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": [{
        "notificationId": n, "organizationalEntity": org, "action": "COMMENT",
        "sourcePost": post, "generatedActivity": comment,
        "decoratedGeneratedActivity": {"comment": {
            "entity": comment, "owner": "urn:li:person:AbC123xYz", "object": post,
            "message": {"text": "Interested - who should I talk to?"}}},
        "lastModifiedAt": int(time.time() * 1000), "subscriber": "urn:li:person:Adm1n42"}]}]


def meta_body(payload: dict[str, Any]) -> bytes:
    # Meta escapes non-ASCII as \uXXXX; json.dumps does the same by default (ensure_ascii).
    return json.dumps(payload).encode()


def platform_deliveries(platform: str, secret: str,
                        account_ids: dict[str, str] | None = None) -> list[tuple[str, bytes,
                                                                                 dict[str, str]]]:
    """(path, body, headers) of signed sample deliveries for x, meta or linkedin."""
    ids = account_ids or {}
    if platform == "x":
        return [("/webhooks/x", body, sign_x(secret, body)) for body in
                (json.dumps(p).encode() for p in x_payloads(ids.get("x", SAMPLE_X_USER)))]
    if platform == "meta":
        payloads = meta_payloads(ids.get("facebook", SAMPLE_PAGE), ids.get("instagram", SAMPLE_IG))
        return [("/webhooks/meta", body, sign_meta(secret, body))
                for body in map(meta_body, payloads)]
    if platform == "linkedin":
        return [("/webhooks/linkedin", body, sign_linkedin(secret, body)) for body in
                (json.dumps(p).encode() for p in linkedin_payloads(ids.get("linkedin",
                                                                           SAMPLE_ORG)))]
    raise ValueError(f"no samples for platform {platform!r}")
