"""Fixtures for the CRM card: settings with both CRMs' card secrets, a small world of CRM
records and touchpoints built through enrich's own paths (mirror upsert, signed webhook
deliveries, the pipeline), and request builders that follow the vendors' documented schemes
without using enrich's code (a divergence from the vendor's algorithm fails the tests)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from enrich import runtime
from enrich.config import Settings
from enrich.db import session_scope
from enrich.models import CrmRecord, EventStatus, RawEvent, utcnow
from enrich.pipeline import process_raw_event
from enrich.sync.adapter import MirrorRow
from enrich.sync.mirror import _upsert
from tests.conftest import STANDARD_SECRET, make_settings, wait_until
from tests.signing import standard_headers

HS_SECRET = "hubspot-app-client-secret-for-tests-0001"
SF_KEY = "salesforce-card-key-for-tests-0123456789abcdef"
PUBLIC = "https://enrich.example.com"
SF_USER = "005000000000001AAA"
HS_USER = {"userId": "4242", "userEmail": "rep@acme.example", "portalId": "777"}

SF_ACCOUNT, SF_CONTACT, SF_LEAD = "001000000000001AAA", "003000000000001AAA", "00Q000000000001AAA"
SF_QUIET = "003000000000009AAA"  # in the mirror, no social activity
HS_CONTACT, HS_COMPANY = "101", "201"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(
        database_url,
        hubspot_client_secret=HS_SECRET,
        salesforce_card_key=SF_KEY,
        public_url=PUBLIC,
        card_requests_per_minute=1000,
    )


@pytest.fixture
def engine(app: Any) -> Engine:
    return runtime.current().engine


def hubspot_headers(
    method: str,
    url: str,
    body: bytes = b"",
    *,
    secret: str = HS_SECRET,
    timestamp_ms: int | None = None,
) -> dict[str, str]:
    """X-HubSpot-Signature-v3 as HubSpot's request-validation page describes it: base64 of
    HMAC-SHA256(client secret, method + URI + body + timestamp), URI with the listed
    characters decoded, timestamp in Unix milliseconds."""
    stamp = str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)
    uri = url
    for encoded, plain in (
        ("%3A", ":"),
        ("%2F", "/"),
        ("%3F", "?"),
        ("%40", "@"),
        ("%21", "!"),
        ("%24", "$"),
        ("%27", "'"),
        ("%28", "("),
        ("%29", ")"),
        ("%2A", "*"),
        ("%2C", ","),
        ("%3B", ";"),
    ):
        uri = uri.replace(encoded, plain).replace(encoded.lower(), plain)
    message = (method + uri).encode() + body + stamp.encode()
    signature = base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest())
    return {"X-HubSpot-Signature-v3": signature.decode(), "X-HubSpot-Request-Timestamp": stamp}


def hubspot_path(route: str, object_type_id: str, object_id: str, **extra: str) -> str:
    query = {"objectTypeId": object_type_id, "objectId": object_id, **HS_USER, **extra}
    return f"/embed/hubspot/{route}?{urlencode(query)}"


def salesforce_headers(user_id: str = SF_USER, key: str = SF_KEY) -> dict[str, str]:
    """What the Enrich_Card named credential (custom header) and the Apex class send."""
    return {
        "X-Enrich-Card-Key": key,
        "X-Enrich-User-Id": user_id,
        "X-Enrich-User-Name": "rep@acme.example",
    }


@dataclass
class Crm:
    client: FlaskClient

    def hubspot(
        self,
        route: str,
        type_id: str,
        object_id: str,
        body: bytes = b"",
        method: str = "GET",
        headers: dict[str, str] | None = None,
        **extra: str,
    ) -> Any:
        path = hubspot_path(route, type_id, object_id, **extra)
        sent = {
            **hubspot_headers(method, PUBLIC + path, body),
            **({"Content-Type": "application/json"} if body else {}),
            **(headers or {}),
        }
        return self.client.open(path, method=method, data=body, headers=sent)

    def salesforce(
        self,
        route: str,
        record_id: str,
        body: bytes = b"",
        method: str = "GET",
        headers: dict[str, str] | None = None,
    ) -> Any:
        sent = {
            **salesforce_headers(),
            **({"Content-Type": "application/json"} if body else {}),
            **(headers or {}),
        }
        return self.client.open(
            f"/embed/salesforce/{route}?recordId={record_id}",
            method=method,
            data=body,
            headers=sent,
        )


@pytest.fixture
def crm(client: FlaskClient) -> Crm:
    return Crm(client)


def deliver(
    client: FlaskClient,
    engine: Engine,
    actor: dict[str, Any],
    *,
    kind: str = "comment",
    text: str | None = None,
    days_ago: float = 0.05,
    post_url: str | None = None,
    platform: str = "linkedin",
) -> None:
    """One touchpoint through the signed Standard Webhooks receiver and the pipeline job."""
    data: dict[str, Any] = {
        "platform": platform,
        "kind": kind,
        "actor": actor,
        "occurred_at": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(),
    }
    if text:
        data["text"] = text
    if post_url:
        data["post"] = {
            "id": f"post-{abs(hash(post_url)) % 10**8}",
            "url": post_url,
            "text": "Our zero-trust launch",
        }
    body = json.dumps({"type": "touchpoint.created", "data": data}).encode()
    answer = client.post(
        "/webhooks/standard/acme", data=body, headers=standard_headers(STANDARD_SECRET, body)
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    raw_id = int(answer.json["raw_event_id"])
    process_raw_event(raw_id)

    def done() -> bool:
        with Session(engine) as session:
            raw = session.get(RawEvent, raw_id)
            return raw is not None and raw.status != EventStatus.PENDING

    wait_until(done)


DANA = {
    "id": "urn:li:person:dana",
    "name": "Dana Whitfield",
    "handle": "danaw",
    "email": "dana.whitfield@northwind.example",
}
PRIYA = {"id": "urn:li:person:priya", "name": "Priya Natarajan", "email": "priya@fabrikam.example"}
HANK = {"id": "hs-hank", "name": "Hank Hill", "email": "hank@strickland.example"}


@pytest.fixture
def world(client: FlaskClient, engine: Engine) -> dict[str, int]:
    """Salesforce: Northwind (account) with contact Dana (engaged, an open opportunity) and a
    quiet contact; lead Priya. HubSpot: contact Hank at company Strickland. Returns crm id ->
    enrich record id."""
    now = utcnow()
    sf = [
        MirrorRow("account", SF_ACCOUNT, now, company="Northwind Traders"),
        MirrorRow(
            "contact",
            SF_CONTACT,
            now,
            first_name="Dana",
            last_name="Whitfield",
            email=DANA["email"],
            company="Northwind Traders",
            account_crm_id=SF_ACCOUNT,
            title="VP Operations",
        ),
        MirrorRow(
            "contact",
            SF_QUIET,
            now,
            first_name="Quinn",
            last_name="Quiet",
            email="quinn@northwind.example",
            company="Northwind Traders",
            account_crm_id=SF_ACCOUNT,
            title="Analyst",
        ),
        MirrorRow(
            "lead",
            SF_LEAD,
            now,
            first_name="Priya",
            last_name="Natarajan",
            email=PRIYA["email"],
            company="Fabrikam",
            title="CISO",
        ),
        MirrorRow(
            "opportunity",
            "006000000000001AAA",
            now,
            company="Northwind renewal",
            account_crm_id=SF_ACCOUNT,
            title="Negotiation",
            raw={"IsClosed": False, "Amount": 12000, "CloseDate": "2027-01-31"},
        ),
        MirrorRow(
            "opportunity",
            "006000000000002AAA",
            now,
            company="Northwind pilot",
            account_crm_id=SF_ACCOUNT,
            title="Closed Won",
            raw={"IsClosed": True},
        ),
    ]
    hs = [
        MirrorRow("account", HS_COMPANY, now, company="Strickland Propane"),
        MirrorRow(
            "contact",
            HS_CONTACT,
            now,
            first_name="Hank",
            last_name="Hill",
            email=HANK["email"],
            company="Strickland Propane",
            account_crm_id=HS_COMPANY,
            title="Assistant Manager",
        ),
    ]
    with session_scope(engine) as session:
        _upsert(session, "salesforce", sf)
        _upsert(session, "hubspot", hs)
    deliver(
        client,
        engine,
        DANA,
        text="How does your zero trust rollout handle contractors?",
        post_url="https://www.linkedin.com/feed/update/urn:li:activity:1",
        days_ago=0,  # after the trend's last midnight at any time of day (so it ends highest)
    )
    deliver(
        client, engine, DANA, kind="like", days_ago=20, post_url="javascript:alert(document.cookie)"
    )
    deliver(client, engine, DANA, kind="share", days_ago=45)
    deliver(client, engine, PRIYA, text="Great piece on cloud security posture", days_ago=3)
    deliver(
        client, engine, HANK, kind="comment", text="Propane and propane accessories", platform="x"
    )
    with Session(engine) as session:
        return {r.crm_id: r.id for r in session.exec(select(CrmRecord))}


# The browser fixtures of the console suite (Debian's Chromium through Playwright).
from tests.console.conftest import context, live, page, revops_page  # noqa: E402, F401
