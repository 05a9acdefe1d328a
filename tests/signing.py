"""How each platform signs a delivery, written from the protocol notes (not from enrich's code),
so the receivers are tested against an independent implementation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid


def standard_headers(
    secret: str, body: bytes, *, msg_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """Standard Webhooks v1: base64(HMAC-SHA256(b64decode(secret after whsec_), id.ts.body))."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
        "Content-Type": "application/json",
    }


def x_signature(consumer_secret: str, message: bytes) -> str:
    """X Account Activity: `sha256=` + base64(HMAC-SHA256(consumer secret, message)); the message
    is the crc_token for the CRC and the raw body for `x-twitter-webhooks-signature`."""
    digest = hmac.new(consumer_secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def x_headers(consumer_secret: str, body: bytes) -> dict[str, str]:
    return {
        "x-twitter-webhooks-signature": x_signature(consumer_secret, body),
        "Content-Type": "application/json",
    }


def meta_headers(app_secret: str, body: bytes) -> dict[str, str]:
    """Meta: `X-Hub-Signature-256: sha256=<lowercase hex HMAC-SHA256(app secret, raw body)>`."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def linkedin_challenge_response(client_secret: str, challenge_code: str) -> str:
    """LinkedIn validation: lowercase hex HMAC-SHA256(clientSecret, challengeCode)."""
    return hmac.new(client_secret.encode(), challenge_code.encode(), hashlib.sha256).hexdigest()


def linkedin_headers(client_secret: str, body: bytes, *, prefixed: bool = False) -> dict[str, str]:
    """LinkedIn: `X-LI-Signature` = hex HMAC-SHA256(clientSecret, b"hmacsha256=" + raw body)."""
    digest = hmac.new(client_secret.encode(), b"hmacsha256=" + body, hashlib.sha256).hexdigest()
    return {
        "X-LI-Signature": ("hmacsha256=" if prefixed else "") + digest,
        "Content-Type": "application/json",
    }
