"""The sandbox itself: control endpoints, request log, persistence, seeds and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from simple_salesforce.exceptions import SalesforceResourceNotFound

from enrich.sandbox import Sandbox
from enrich.sandbox.cli import describe
from enrich.sandbox.cli import sandbox as sandbox_command
from tests.sandbox.conftest import salesforce_client


def plain_session(sandbox: Sandbox) -> requests.Session:
    session = requests.Session()
    session.verify = str(sandbox.ca_path)
    session.trust_env = False
    return session


def test_control_endpoints_switch_faults_and_are_not_logged(sandbox: Sandbox) -> None:
    http = plain_session(sandbox)
    answer = http.post(f"{sandbox.hubspot_url}/_sandbox/faults", json={"fail_next": 1})
    assert answer.status_code == 200 and answer.json()["hubspot"]["fail_next"] == 1
    assert answer.json()["salesforce"]["fail_next"] == 0
    headers = {"Authorization": f"Bearer {sandbox.access_token}"}
    assert (
        http.get(f"{sandbox.hubspot_url}/crm/v3/objects/contacts", headers=headers).status_code
        == 503
    )
    assert (
        http.get(f"{sandbox.hubspot_url}/crm/v3/objects/contacts", headers=headers).status_code
        == 200
    )
    log = http.get(f"{sandbox.salesforce_url}/_sandbox/log").json()
    assert log["total"] == 2
    assert log["counts"]["hubspot"] == {"GET /crm/v3/objects/{object_type}": 2}
    assert http.post(f"{sandbox.salesforce_url}/_sandbox/reset-log").status_code == 200
    assert sandbox.requests_count() == 0
    bad = http.post(f"{sandbox.hubspot_url}/_sandbox/faults", json={"rate_429": 3})
    assert bad.status_code == 400
    state = http.get(f"{sandbox.hubspot_url}/_sandbox/state").json()
    assert len(state["sf_records"]["Contact"]) == 40


def test_unknown_paths_and_bad_json_get_the_crm_s_own_4xx(sandbox: Sandbox) -> None:
    http = plain_session(sandbox)
    sf_headers = {"Authorization": f"Bearer {sandbox.session_id}"}
    missing = http.get(f"{sandbox.salesforce_url}/services/data/v59.0/nothing", headers=sf_headers)
    assert missing.status_code == 404 and missing.json()[0]["errorCode"] == "NOT_FOUND"
    broken = http.patch(
        f"{sandbox.salesforce_url}/services/data/v59.0/composite/sobjects",
        data=b"{not json",
        headers=sf_headers,
    )
    assert broken.status_code == 400 and broken.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    hs_headers = {"Authorization": f"Bearer {sandbox.access_token}"}
    broken = http.post(
        f"{sandbox.hubspot_url}/crm/v3/objects/contacts/batch/update",
        data=b"[1,",
        headers=hs_headers,
    )
    assert broken.status_code == 400 and broken.json()["category"] == "VALIDATION_ERROR"
    odd = http.post(
        f"{sandbox.hubspot_url}/crm/v3/objects/contacts/batch/update",
        json={"inputs": [None, 7]},
        headers=hs_headers,
    )
    assert 400 <= odd.status_code < 500


def test_state_survives_a_restart_when_persisted(tmp_path: Path) -> None:
    state_file = tmp_path / "crm.json"
    with Sandbox(state_path=state_file) as first:
        sf = salesforce_client(first)
        contact = sf.Contact.create({"LastName": "Persistent", "Email": "keep@me.example"})
    assert state_file.exists()
    with Sandbox(seed={}, state_path=state_file) as second:
        # Same session, token and CA file: a running enrich survives the restart.
        assert (second.session_id, second.access_token, second.ca_path) == (
            first.session_id,
            first.access_token,
            first.ca_path,
        )
        sf = salesforce_client(second)
        assert sf.Contact.get(contact["id"])["Email"] == "keep@me.example"
    with Sandbox(seed={}) as fresh, pytest.raises(SalesforceResourceNotFound):
        salesforce_client(fresh).Contact.get(contact["id"])


def test_a_csv_of_contacts_is_a_seed(tmp_path: Path) -> None:
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(
        "first_name,last_name,email,company,title\n"
        "Ada,Lovelace,ada@engines.example,Analytical Engines,Founder\n"
        "Charles,Babbage,charles@engines.example,Analytical Engines,CTO\n",
        encoding="utf-8",
    )
    with Sandbox(seed=csv_file) as box:
        assert len(box.sf_records("Account")) == 1
        ada = box.contact("ada@engines.example")
        assert ada is not None and ada["AccountId"] == box.sf_records("Account")[0]["Id"]
        assert box.contact("charles@engines.example", crm="hubspot") is not None


def test_the_cli_describes_how_to_point_enrich_at_the_sandbox(sandbox: Sandbox) -> None:
    text = describe(sandbox)
    assert f"export SALESFORCE_INSTANCE_URL={sandbox.salesforce_url}" in text
    assert f"export HUBSPOT_BASE_URL={sandbox.hubspot_url}" in text
    assert f"SALESFORCE_CA_BUNDLE={sandbox.ca_path}" in text
    assert "export CRM=salesforce" in text and "export CRM=hubspot" in text
    help_text = CliRunner().invoke(sandbox_command, ["--help"]).output
    for option in (
        "--seed",
        "--state",
        "--sf-port",
        "--hs-port",
        "--daily-limit",
        "--fault-429",
        "--fault-503",
        "--delay-ms",
    ):
        assert option in help_text


def test_sessions_expire_on_demand_and_a_refresh_token_buys_a_new_one(sandbox: Sandbox) -> None:
    from hubspot import HubSpot
    from hubspot.crm.contacts.exceptions import UnauthorizedException
    from simple_salesforce.exceptions import SalesforceExpiredSession

    http = plain_session(sandbox)
    old = salesforce_client(sandbox)
    old.query("SELECT Id FROM Contact LIMIT 1")
    old_token = sandbox.access_token
    assert (
        http.post(
            f"{sandbox.salesforce_url}/_sandbox/expire-session", json={"side": "both"}
        ).status_code
        == 200
    )
    with pytest.raises(SalesforceExpiredSession) as caught:
        old.query("SELECT Id FROM Contact LIMIT 1")
    assert caught.value.content[0]["errorCode"] == "INVALID_SESSION_ID"
    with pytest.raises(UnauthorizedException):
        HubSpot(access_token=old_token, host=sandbox.hubspot_url).crm.contacts.basic_api.get_page()
    token_url = f"{sandbox.salesforce_url}/services/oauth2/token"
    grant = {
        "grant_type": "refresh_token",
        "refresh_token": sandbox.refresh_token,
        "client_id": sandbox.client_id,
    }
    fresh = http.post(token_url, data=grant).json()
    assert fresh["instance_url"] == sandbox.salesforce_url
    assert (
        salesforce_client(sandbox, fresh["access_token"]).query("SELECT Id FROM Contact LIMIT 1")[
            "totalSize"
        ]
        == 1
    )
    sandbox.revoke_refresh_token()
    refused = http.post(token_url, data=grant)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
