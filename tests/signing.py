"""How each platform signs a delivery, written from the protocol notes (not from enrich's code),
so the receivers are tested against an independent implementation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid


def standard_headers(secret: str, body: bytes, *, msg_id: str | None = None,
                     timestamp: int | None = None) -> dict[str, str]:
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
