"""The thin slice, end to end: a Standard Webhooks–signed touchpoint naming a person by email →
RawEvent committed → 2xx → job → Touchpoint → exact-email match in the CRM mirror → score →
custom field and one activity written on the contact in the sandbox, read back through the real
client library. On SQLite with the embedded queue, and on PostgreSQL + redis-server + a real
`rq` worker process."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.contacts import PublicObjectSearchRequest
from simple_salesforce import Salesforce, format_soql

from enrich import runtime
from enrich.app import create_app
from enrich.db import upgrade
from enrich.sandbox import Sandbox
from enrich.sync.connect import make_adapter
from enrich.sync.mirror import pull
from tests.conftest import STANDARD_SECRET, wait_until
from tests.integration.conftest import (
    DANA,
    Process,
    crm_settings,
    enrich_score,
    postgres_database,
)
from tests.signing import standard_headers


def salesforce(sandbox: Sandbox) -> Salesforce:
    session = requests.Session()
    session.verify = str(sandbox.ca_path)
    session.trust_env = False
    return Salesforce(
        instance_url=sandbox.salesforce_url, session_id=sandbox.session_id, session=session
    )


def sf_contact(sandbox: Sandbox, email: str) -> dict[str, Any]:
    [row] = salesforce(sandbox).query(
        format_soql(
            "SELECT Id, Social_Score__c, Social_Score_Reasons__c, Last_Social_Touch_Summary__c, "
            "Enrich_Url__c FROM Contact WHERE Email = {}",
            email,
        )
    )["records"]
    return dict(row)


def sf_tasks(sandbox: Sandbox, contact_id: str) -> list[dict[str, Any]]:
    return list(
        salesforce(sandbox).query(
            format_soql(
                "SELECT Id, Subject, Enrich_Touchpoint_Id__c FROM Task WHERE WhoId = {}", contact_id
            )
        )["records"]
    )


def hs_contact(sandbox: Sandbox, email: str) -> dict[str, Any]:
    """Read by id (search is limited to a few calls a second, as in HubSpot, so it is only used
    once to find the id)."""
    client = HubSpot(access_token=sandbox.access_token, host=sandbox.hubspot_url)
    key = (sandbox.hubspot_url, email)
    if key not in _hs_ids:
        found = client.crm.contacts.search_api.do_search(
            PublicObjectSearchRequest(
                filter_groups=[
                    {"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}
                ]
            )
        )
        [contact] = found.results
        _hs_ids[key] = contact.id
    contact = client.crm.contacts.basic_api.get_by_id(
        _hs_ids[key],
        properties=["enrich_social_score", "enrich_score_reasons", "enrich_last_touch_summary"],
    )
    return {"id": contact.id, **contact.properties}


_hs_ids: dict[tuple[str, str], str] = {}


def signed_comment(email: str, msg_id: str | None = None) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "type": "touchpoint.created",
            "data": {
                "platform": "linkedin",
                "kind": "comment",
                "text": "Does this work with Snowflake?",
                "occurred_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "actor": {"id": "urn:li:person:dw1", "name": "Dana Whitfield", "email": email},
            },
        }
    ).encode()
    return body, standard_headers(STANDARD_SECRET, body, msg_id=msg_id)


def test_embedded_salesforce(sandbox: Sandbox, database_url: str) -> None:
    settings = crm_settings(database_url, sandbox, "salesforce")
    upgrade(database_url)
    client = create_app(settings).test_client()
    try:
        assert pull(runtime.current().engine, make_adapter(settings))["contact"] > 0
        assert sf_contact(sandbox, DANA)["Social_Score__c"] in (None, 0)

        body, headers = signed_comment(DANA)
        assert client.post("/webhooks/standard/acme", data=body, headers=headers).status_code == 200

        contact = wait_until(lambda: (c := sf_contact(sandbox, DANA))["Social_Score__c"] and c)
        assert contact["Social_Score__c"] == enrich_score(runtime.current().engine, DANA) > 0
        assert contact["Social_Score_Reasons__c"].startswith("1 comment")
        assert contact["Last_Social_Touch_Summary__c"].startswith(
            "Commented on your post on LinkedIn"
        )
        assert contact["Enrich_Url__c"].startswith("http://enrich.test/people/")
        [task] = wait_until(lambda: sf_tasks(sandbox, contact["Id"]))
        assert task["Subject"].startswith("Commented on your post on LinkedIn")
    finally:
        runtime.uninstall()


def test_embedded_hubspot(sandbox: Sandbox, database_url: str) -> None:
    settings = crm_settings(database_url, sandbox, "hubspot")
    upgrade(database_url)
    client = create_app(settings).test_client()
    try:
        assert pull(runtime.current().engine, make_adapter(settings))["contact"] > 0
        body, headers = signed_comment(DANA)
        assert client.post("/webhooks/standard/acme", data=body, headers=headers).status_code == 200
        contact = wait_until(
            lambda: (c := hs_contact(sandbox, DANA)).get("enrich_social_score") and c
        )
        assert contact["enrich_social_score"] == str(enrich_score(runtime.current().engine, DANA))
        assert contact["enrich_score_reasons"].startswith("1 comment")
    finally:
        runtime.uninstall()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_postgres_redis_rq_worker(
    sandbox: Sandbox, postgres_server: Any, redis_server: Any, tmp_path: Path
) -> None:
    from redis import Redis

    Redis.from_url(redis_server.url).flushall()
    settings = crm_settings(
        postgres_database(postgres_server), sandbox, "salesforce", redis_url=redis_server.url
    )
    upgrade(settings.database_url)
    client = create_app(settings).test_client()
    worker = Process(["worker"], settings, tmp_path / "worker.log")
    try:
        pull(runtime.current().engine, make_adapter(settings))
        body, headers = signed_comment(DANA)
        answer = client.post("/webhooks/standard/acme", data=body, headers=headers)
        assert answer.status_code == 200
        contact = wait_until(
            lambda: (c := sf_contact(sandbox, DANA))["Social_Score__c"] and c, timeout=30
        )
        assert contact["Social_Score__c"] == enrich_score(runtime.current().engine, DANA) > 0
        assert len(wait_until(lambda: sf_tasks(sandbox, contact["Id"]))) == 1
    finally:
        worker.stop()
        runtime.uninstall()
    assert "Traceback" not in worker.output()
