"""Correctly signed sample deliveries, for the demo and for trying a deployment."""

from __future__ import annotations

import json
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
