"""`enrich demo` (what `make run` runs): the CRM sandbox, enrich and its worker in one process,
on the embedded default, with no account anywhere. It pulls the sandbox's contacts into the
mirror, sends a few signed sample touchpoints, and shows a contact gaining a score.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path
from typing import Any

import click
import requests
from werkzeug.serving import make_server

from enrich import runtime
from enrich.config import Settings
from enrich.db import make_engine, upgrade

# A fixed demo secret keeps the printed send-sample command valid across restarts.
DEMO_SECRET = "whsec_" + base64.b64encode(b"enrich-demo-secret-not-for-production").decode()
DEMO_EMAIL = "dana.whitfield@northwind.example"
PLURALS = {"opportunity": "opportunities"}


def _read_back(settings: Settings, email: str) -> dict[str, Any] | None:
    """The demo contact as the CRM has it, read through the real client library."""
    from enrich.sync.adapter import make_adapter

    adapter: Any = make_adapter(settings)
    if settings.crm == "salesforce":
        from simple_salesforce.format import format_soql

        rows = adapter.sf.query(format_soql(
            "SELECT Id, FirstName, LastName, Social_Score__c, Social_Score_Reasons__c, "
            "Last_Social_Touch_Summary__c FROM Contact WHERE Email = {}", email))["records"]
        return rows[0] if rows else None
    from hubspot.crm.contacts import PublicObjectSearchRequest

    found = adapter.client.crm.contacts.search_api.do_search(PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}],
        properties=["firstname", "lastname", "enrich_social_score", "enrich_score_reasons",
                    "enrich_last_touch_summary"]))
    return found.results[0].properties if found.results else None


def run_demo(settings: Settings, *, port: int | None, crm: str, send_samples: bool = True) -> None:
    from enrich.samples import standard_deliveries
    from enrich.sandbox import SAMPLE_SEED, Sandbox
    from enrich.server import build_wsgi_app
    from enrich.sync.adapter import make_adapter
    from enrich.sync.mirror import pull

    Path("var").mkdir(exist_ok=True)
    sandbox = Sandbox(seed=SAMPLE_SEED, state_path=Path("var/sandbox-state.json"),
                      sf_port=8766, hs_port=8765).start()
    port = port or settings.port
    base = f"http://{settings.host}:{port}"
    settings = settings.model_copy(update={
        "crm": crm,
        "salesforce_instance_url": sandbox.salesforce_url,
        "salesforce_session_id": sandbox.session_id,
        "salesforce_ca_bundle": str(sandbox.ca_path),
        "hubspot_access_token": sandbox.access_token,
        "hubspot_base_url": sandbox.hubspot_url,
        "standard_webhook_secrets": settings.standard_webhook_secrets or f"demo={DEMO_SECRET}",
        "public_url": settings.public_url or base,
        "port": port,
        # The demo shows the score in the CRM within seconds, not after production's window.
        "sync_window_s": min(settings.sync_window_s, 3.0),
    })
    upgrade(settings.database_url)
    # Pull before the app starts, so the scheduler's first pull is incremental (no second full
    # pull racing this one) and the counts printed below are the whole mirror.
    engine = make_engine(settings)
    try:
        counts = pull(engine, make_adapter(settings))
    finally:
        engine.dispose()
    app = build_wsgi_app(settings)
    server = make_server(settings.host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    secret = settings.standard_secrets().get("demo", [DEMO_SECRET])[0]
    db_path = settings.database_url.removeprefix('sqlite:///')
    mirror = ', '.join(f'{n} {PLURALS.get(k, k + "s")}' for k, n in counts.items())
    click.echo(f"""
enrich is running on the embedded default (SQLite {db_path}, in-process queue)
  enrich            {base}   (health: {base}/healthz)
  CRM sandbox       Salesforce {sandbox.salesforce_url}   HubSpot {sandbox.hubspot_url}
  sandbox log       {sandbox.hubspot_url}/_sandbox/log
  CRM mirror        {mirror} pulled from the {crm} sandbox

Send more signed sample touchpoints from another terminal:
  STANDARD_WEBHOOK_SECRETS='demo={secret}' .venv/bin/enrich events send-sample --to {base}
""")
    try:
        if send_samples:
            before = _read_back(settings, DEMO_EMAIL) or {}
            for body, headers in standard_deliveries(secret):
                answer = requests.post(f"{base}/webhooks/standard/demo", data=body, headers=headers,
                                       timeout=10)
                click.echo(f"  sample touchpoint -> {answer.status_code} {json.loads(answer.text)}")
            score_field = "Social_Score__c" if crm == "salesforce" else "enrich_social_score"
            deadline = time.monotonic() + 30
            after = before
            while time.monotonic() < deadline:
                after = _read_back(settings, DEMO_EMAIL) or {}
                if after.get(score_field) not in (None, "", before.get(score_field)):
                    break
                time.sleep(0.5)
            click.echo(f"\n{DEMO_EMAIL} in the {crm} sandbox, read back through the real client:")
            for key, value in after.items():
                if key != "attributes":
                    click.echo(f"  {key:32} {value}")
        click.echo("\nCtrl-C stops enrich and the sandbox (sandbox state kept in var/).")
        while thread.is_alive():
            thread.join(1)
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        server.shutdown()
        runtime.uninstall()
        sandbox.stop()
