"""Correctly signed sample deliveries, for the demo and for trying a deployment."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from standardwebhooks.webhooks import Webhook

SAMPLE_PEOPLE = [
    {
        "id": "li-9001",
        "handle": "danawhitfield",
        "name": "Dana Whitfield",
        "email": "dana.whitfield@northwind.example",
        "platform": "linkedin",
    },
]
POSTS = [
    {
        "id": "post-42",
        "url": "https://www.linkedin.com/feed/update/urn:li:share:42",
        "text": "How we cut cloud security review time by 60%",
    },
    {
        "id": "post-43",
        "url": "https://www.linkedin.com/feed/update/urn:li:share:43",
        "text": "Webinar: SOC 2 evidence collection without the spreadsheets",
    },
    {
        "id": "post-44",
        "url": "https://www.linkedin.com/feed/update/urn:li:share:44",
        "text": "Our Q4 supply chain analytics report is out",
    },
]
SAMPLE_TOUCHES = [
    ("comment", "Interested - does this integrate with our SIEM for cloud security audits?"),
    ("like", None),
    ("share", "Worth a read for every data team."),
]


def touchpoint_message(
    person: dict[str, Any],
    kind: str,
    text: str | None,
    *,
    when: datetime | None = None,
    post: dict[str, str] | None = None,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    when = when or now
    actor = {
        k: person[k] for k in ("id", "handle", "name", "email", "bio", "location") if person.get(k)
    }
    data: dict[str, Any] = {
        "platform": person.get("platform", "linkedin"),
        "kind": kind,
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "actor": actor,
        "post": post or POSTS[0],
    }
    if text:
        data["text"] = text
    # `timestamp` is when the message is sent; `occurred_at` may be days earlier (history).
    return {
        "type": "touchpoint.created",
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": data,
    }


def sign_standard(
    secret: str, body: bytes, *, msg_id: str | None = None, timestamp: datetime | None = None
) -> dict[str, str]:
    """Standard Webhooks headers for `body` (the sender's side of the scheme)."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = timestamp or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, timestamp, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


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
    return {
        "x-twitter-webhooks-signature": "sha256=" + base64.b64encode(_hmac(secret, body)).decode(),
        "content-type": "application/json",
    }


def sign_meta(secret: str, body: bytes) -> dict[str, str]:
    """Meta: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`."""
    return {
        "X-Hub-Signature-256": "sha256=" + _hmac(secret, body).hex(),
        "content-type": "application/json",
    }


def sign_linkedin(secret: str, body: bytes) -> dict[str, str]:
    """LinkedIn: `X-LI-Signature` = hex HMAC-SHA256(clientSecret, "hmacsha256=" + raw body)."""
    return {
        "X-LI-Signature": _hmac(secret, b"hmacsha256=" + body).hex(),
        "content-type": "application/json",
    }


def _x_user(uid: str, handle: str, name: str, bio: str = "") -> dict[str, Any]:
    return {
        "id_str": uid,
        "screen_name": handle,
        "name": name,
        "description": bio,
        "location": "Berlin",
        "url": None,
    }


def x_payloads(us: str = SAMPLE_X_USER, *, nonce: str | None = None) -> list[dict[str, Any]]:
    """One Account Activity delivery per event kind (favorite, reply, follow, DM).
    `nonce` makes the event ids unique (each run of send-sample is new activity)."""
    n = nonce or uuid.uuid4().hex[:8]
    num = str(int(n, 16) % 10**9)
    ours = {
        "id_str": f"16{num:0>17}",
        "text": "Our Q1 report is out",
        "user": {"id_str": us, "screen_name": "acme_corp"},
    }
    dana = _x_user(
        "1400000000000000003",
        "danawhitfield",
        "Dana Whitfield",
        "CISO @ Northwind. Cloud security.",
    )
    when = datetime.now(UTC)
    ms = int(when.timestamp() * 1000)
    created = when.strftime("%a %b %d %H:%M:%S +0000 %Y")
    return [
        {
            "for_user_id": us,
            "favorite_events": [
                {
                    "id": f"fav{n}",
                    "created_at": created,
                    "timestamp_ms": ms,
                    "favorited_status": ours,
                    "user": dana,
                }
            ],
        },
        {
            "for_user_id": us,
            "tweet_create_events": [
                {
                    "id_str": f"17{num:0>17}",
                    "created_at": created,
                    "timestamp_ms": str(ms),
                    "text": "@acme_corp does this integrate with our SIEM?",
                    "user": dana,
                    "in_reply_to_status_id_str": ours["id_str"],
                    "in_reply_to_user_id_str": us,
                    "in_reply_to_screen_name": "acme_corp",
                    "entities": {"user_mentions": [{"id_str": us, "screen_name": "acme_corp"}]},
                }
            ],
        },
        {
            "for_user_id": us,
            "follow_events": [
                {
                    "type": "follow",
                    "created_timestamp": str(ms),
                    "source": dana,
                    "target": {"id_str": us},
                }
            ],
        },
        {
            "for_user_id": us,
            "direct_message_events": [
                {
                    "type": "message_create",
                    "id": f"18{num:0>17}",
                    "created_timestamp": str(ms),
                    "message_create": {
                        "target": {"recipient_id": us},
                        "sender_id": dana["id_str"],
                        "message_data": {"text": "Can we get a demo next week?"},
                    },
                }
            ],
            "users": {dana["id_str"]: {**dana, "id": dana["id_str"]}},
        },
    ]


def meta_payloads(
    page: str = SAMPLE_PAGE, ig: str = SAMPLE_IG, *, nonce: str | None = None
) -> list[dict[str, Any]]:
    """An Instagram comment (with non-ASCII text, as Meta escapes it) and a Page reaction."""
    n = nonce or uuid.uuid4().hex[:8]
    now = int(time.time())
    return [
        {
            "object": "instagram",
            "entry": [
                {
                    "id": ig,
                    "time": now,
                    "changes": [
                        {
                            "field": "comments",
                            "value": {
                                "id": f"179{int(n, 16):0>14}",
                                "text": "Grüße aus München - do you integrate with SAP?",
                                "from": {"id": "6000000000000003", "username": "joerg.mueller.cfo"},
                                "media": {"id": "17950000000000004", "media_product_type": "FEED"},
                            },
                        }
                    ],
                }
            ],
        },
        {
            "object": "page",
            "entry": [
                {
                    "id": page,
                    "time": now,
                    "changes": [
                        {
                            "field": "feed",
                            "value": {
                                "item": "reaction",
                                "verb": "add",
                                "reaction_type": "love",
                                "post_id": f"{page}_{int(n, 16)}",
                                "created_time": now,
                                "from": {"id": "3550000000000005", "name": "Dana Whitfield"},
                            },
                        }
                    ],
                }
            ],
        },
    ]


def linkedin_payloads(org: str = SAMPLE_ORG, *, nonce: str | None = None) -> list[dict[str, Any]]:
    """A comment notification (LinkedIn batches up to 10 per delivery)."""
    n = int(nonce or uuid.uuid4().hex[:8], 16)
    post = "urn:li:share:7100000000000000001"
    comment = f"urn:li:comment:(urn:li:activity:7100000000000000001,{n})"
    return [
        {
            "type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS",
            "notifications": [
                {
                    "notificationId": n,
                    "organizationalEntity": org,
                    "action": "COMMENT",
                    "sourcePost": post,
                    "generatedActivity": comment,
                    "decoratedGeneratedActivity": {
                        "comment": {
                            "entity": comment,
                            "owner": "urn:li:person:AbC123xYz",
                            "object": post,
                            "message": {"text": "Interested - who should I talk to?"},
                        }
                    },
                    "lastModifiedAt": int(time.time() * 1000),
                    "subscriber": "urn:li:person:Adm1n42",
                }
            ],
        }
    ]


def meta_body(payload: dict[str, Any]) -> bytes:
    # Meta escapes non-ASCII as \uXXXX; json.dumps does the same by default (ensure_ascii).
    return json.dumps(payload).encode()


def platform_deliveries(
    platform: str, secret: str, account_ids: dict[str, str] | None = None
) -> list[tuple[str, bytes, dict[str, str]]]:
    """(path, body, headers) of signed sample deliveries for x, meta or linkedin."""
    ids = account_ids or {}
    if platform == "x":
        return [
            ("/webhooks/x", body, sign_x(secret, body))
            for body in (json.dumps(p).encode() for p in x_payloads(ids.get("x", SAMPLE_X_USER)))
        ]
    if platform == "meta":
        payloads = meta_payloads(ids.get("facebook", SAMPLE_PAGE), ids.get("instagram", SAMPLE_IG))
        return [
            ("/webhooks/meta", body, sign_meta(secret, body)) for body in map(meta_body, payloads)
        ]
    if platform == "linkedin":
        return [
            ("/webhooks/linkedin", body, sign_linkedin(secret, body))
            for body in (
                json.dumps(p).encode() for p in linkedin_payloads(ids.get("linkedin", SAMPLE_ORG))
            )
        ]
    raise ValueError(f"no samples for platform {platform!r}")


# --- a week of history, for the demo ----------------------------------------------------------
# People of the sandbox CRM's sample seed (enrich/sandbox/sample_seed.json). With their
# email they link on their own; one of them engages enough over the week to be handed off.
HISTORY_PEOPLE = {
    "satya": {
        "id": "li-7101",
        "handle": "satyaiyer",
        "name": "Satya Iyer",
        "email": "satya.iyer@contoso.example",
        "platform": "linkedin",
    },
    "kate": {
        "id": "x-7102",
        "handle": "katenovak",
        "name": "Katherine Novak",
        "email": "kate.novak@fabrikam.example",
        "platform": "x",
    },
    "juergen": {
        "id": "li-7103",
        "handle": "juergenweiss",
        "name": "Jürgen Weiß",
        "email": "juergen.weiss@litware.example",
        "platform": "linkedin",
    },
    "anke": {
        "id": "ig-7104",
        "handle": "ankedevries",
        "name": "Anke de Vries",
        "email": "anke.devries@wingtiplogistics.example",
        "platform": "instagram",
    },
    "jen": {
        "id": "fb-7105",
        "handle": "jenoneill",
        "name": "Jennifer O'Neill",
        "email": "jen.oneill@contoso.example",
        "platform": "facebook",
    },
    "francois": {
        "id": "li-7106",
        "handle": "flefevre",
        "name": "François Lefèvre",
        "email": "francois.lefevre@lumiere-analytique.example",
        "platform": "linkedin",
    },
    "lena": {
        "id": "x-7107",
        "handle": "lenahoffmann_dev",
        "name": "Lena Hoffmann",
        "email": "lena.hoffmann@litware.example",
        "platform": "x",
    },
    "dana": {**SAMPLE_PEOPLE[0]},
    # Not in the CRM: they stay "no match" until someone adds them.
    "riley": {
        "id": "x-7108",
        "handle": "rileychen",
        "name": "Riley Chen",
        "platform": "x",
        "bio": "Indie hacker. Coffee.",
    },
}
# (days ago, hour UTC, person, kind, text, post index)
HISTORY: list[tuple[int, int, str, str, str | None, int]] = [
    (6, 9, "satya", "follow", None, 0),
    (6, 15, "anke", "like", None, 2),
    (5, 10, "satya", "like", None, 1),
    (5, 11, "kate", "follow", None, 0),
    (5, 16, "francois", "comment", "Intéressant — est-ce disponible en français ?", 1),
    (
        4,
        8,
        "satya",
        "comment",
        "How does this handle SOC 2 evidence collection across AWS and Azure?",
        1,
    ),
    (4, 13, "juergen", "like", None, 0),
    (4, 17, "riley", "like", None, 0),
    (3, 9, "satya", "share", "Our security team should see this.", 0),
    (3, 12, "kate", "like", None, 2),
    (3, 14, "jen", "like", None, 1),
    (3, 18, "dana", "like", None, 0),
    (
        2,
        9,
        "satya",
        "comment",
        "We are evaluating tools for Q1 — does it integrate with Splunk?",
        0,
    ),
    (2, 11, "kate", "mention", "@acme_corp the supply chain report was spot on", 2),
    (2, 15, "anke", "comment", "Would this work for our fleet telemetry data?", 2),
    (2, 16, "lena", "quote", "Good read on data pipelines for security teams", 0),
    (1, 10, "satya", "dm", "Could we set up a call with your team next week?", 0),
    (1, 12, "juergen", "comment", "Gibt es dazu auch eine Fallstudie aus Deutschland?", 1),
    (1, 14, "jen", "share", "Sharing with our marketing ops folks.", 1),
    (1, 17, "riley", "comment", "Nice post!", 1),
    (0, 7, "satya", "reply", "Thanks — Tuesday works for us.", 0),
    (0, 8, "kate", "comment", "Can you share pricing for 200 seats?", 2),
    (0, 8, "francois", "like", None, 0),
]
# Names that resemble CRM contacts but carry no email or handle the CRM knows: the matcher is
# not sure enough to link them and puts them in the review queue for a person to decide.
LOOKALIKES = [
    {"id": "x-7201", "handle": "liz_tran", "name": "Liz Tran", "platform": "x"},
    {
        "id": "x-7202",
        "handle": "mbrennan_ops",
        "name": "Mike Brennan",
        "platform": "x",
        "bio": "Lean, six sigma.",
    },
    {
        "id": "x-7203",
        "handle": "peggysullivan",
        "name": "Peggy Sullivan",
        "platform": "x",
        "bio": "Purchasing",
        "location": "Detroit",
    },
    {"id": "x-7204", "handle": "tedclarke_fin", "name": "Ted Clarke", "platform": "x"},
]


def history_messages(now: datetime | None = None) -> list[dict[str, Any]]:
    """A week of touchpoint messages (Standard Webhooks format) ending `now`: several people,
    accounts, platforms and kinds, plus the review queue's lookalikes."""
    now = now or datetime.now(UTC)
    today = now.replace(minute=0, second=0, microsecond=0)
    out = []
    for days_ago, hour, who, kind, text, post in HISTORY:
        when = min(today.replace(hour=hour) - timedelta(days=days_ago), now - timedelta(minutes=5))
        out.append(touchpoint_message(HISTORY_PEOPLE[who], kind, text, when=when, post=POSTS[post]))
    for i, person in enumerate(LOOKALIKES):
        when = now - timedelta(days=i + 1, hours=2)
        out.append(touchpoint_message(person, "like", None, when=when, post=POSTS[i % 3]))
    return out


def signed_standard(
    secret: str, messages: list[dict[str, Any]]
) -> list[tuple[bytes, dict[str, str]]]:
    return [
        (body, sign_standard(secret, body)) for body in (json.dumps(m).encode() for m in messages)
    ]
