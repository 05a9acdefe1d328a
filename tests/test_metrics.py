"""`GET /metrics`: Prometheus text an operator can watch move as deliveries arrive; counters
added up over gunicorn's workers; closed outside development without a token."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from enrich.db import upgrade
from tests.conftest import STANDARD_SECRET, make_settings, wait_until
from tests.console import seed
from tests.servers import free_port, wait_port
from tests.signing import standard_headers


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def delivery(kind: str = "comment", actor: str = "u-1") -> bytes:
    return json.dumps(
        {
            "type": "touchpoint.created",
            "data": {
                "platform": "linkedin",
                "kind": kind,
                "actor": {"id": actor, "name": "Ann Lee"},
            },
        }
    ).encode()


def test_figures_move_as_deliveries_arrive(client: FlaskClient) -> None:
    before = client.get("/metrics")
    assert before.status_code == 200
    assert before.mimetype == "text/plain"
    body = delivery()
    assert (
        client.post(
            "/webhooks/standard/acme", data=body, headers=standard_headers(STANDARD_SECRET, body)
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/webhooks/standard/acme",
            data=body,
            headers=standard_headers("whsec_" + "A" * 40, body),
        ).status_code
        == 401
    )
    client.post("/webhooks/made-up-path-1", data=b"{}")

    def scraped() -> str:
        time.sleep(2.1)  # past the page's cache
        return client.get("/metrics").get_data(as_text=True)

    text = wait_until(
        lambda: (
            (t := scraped())
            and value(t, "enrich_deliveries", source="standard:acme", status="processed") == 1
            and t
        ),
        timeout=20,
    )
    old = before.get_data(as_text=True)
    for status in ("200", "401"):
        name = "enrich_webhook_requests_total"
        assert (
            value(text, name, receiver="standard", status=status)
            == value(old, name, receiver="standard", status=status) + 1
        )
    # an attacker's made-up path is counted, without minting a label of its own
    assert value(text, "enrich_webhook_requests_total", receiver="other", status="404") >= 1
    assert "made-up-path" not in text
    assert value(text, "enrich_touchpoints", platform="linkedin") == 1
    assert value(text, "enrich_profiles", outcome="none") == 1
    assert value(text, "enrich_oldest_pending_delivery_seconds") == 0
    assert value(text, "enrich_processing_lag_seconds", stat="max") >= 0
    for name in (
        "enrich_sync_requests",
        "enrich_dead_letters",
        "enrich_crm_writes",
        "enrich_identity_links",
        "enrich_crm_api_calls_today",
    ):
        assert f"# TYPE {name} gauge" in text


def test_a_parked_delivery_shows_as_a_dead_letter(client: FlaskClient, app: object) -> None:
    from enrich import runtime

    engine = runtime.current().engine
    raw_id = seed.deliver(client, engine, {"id": "dl-1", "name": "Bo Chan"})
    seed.park(engine, raw_id)
    time.sleep(2.1)
    text = client.get("/metrics").get_data(as_text=True)
    assert value(text, "enrich_dead_letters", kind="raw_event") == 1


def test_production_needs_the_metrics_token(tmp_path: Path) -> None:
    from enrich import runtime
    from enrich.app import create_app

    url = f"sqlite:///{tmp_path / 'p.db'}"
    upgrade(url)
    closed = create_app(make_settings(url, env="production", secret_key="k" * 32))
    assert closed.test_client().get("/metrics").status_code == 403
    runtime.uninstall()
    app = create_app(
        make_settings(
            url, env="production", secret_key="k" * 32, metrics_token="t0ken-for-prometheus"
        )
    )
    client = app.test_client()
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    ok = client.get("/metrics", headers={"Authorization": "Bearer t0ken-for-prometheus"})
    assert ok.status_code == 200 and b"enrich_deliveries" in ok.data
    runtime.uninstall()


def test_under_gunicorn_every_workers_counts_add_up(tmp_path: Path) -> None:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ENRICH_", "DATABASE_", "REDIS_", "CRM", "STANDARD_", "PROMETHEUS_"))
    }
    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"a previous run's counts")  # emptied at start
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'g.db'}",
        PROMETHEUS_MULTIPROC_DIR=str(folder),
        STANDARD_WEBHOOK_SECRETS=f"acme={STANDARD_SECRET}",
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "enrich",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "2",
            # one listener per worker: the kernel spreads new connections over both (on one
            # shared listener whichever worker wakes first may take them all)
            "--reuse-port",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_port(port, 60)
        base = f"http://127.0.0.1:{port}"
        for i in range(12):  # new connections, spread over both workers by SO_REUSEPORT
            body = delivery(actor=f"g-{i}")
            assert requests.post(
                f"{base}/webhooks/standard/acme",
                data=body,
                timeout=10,
                headers=standard_headers(STANDARD_SECRET, body),
            ).ok
        seen = set()
        for _ in range(6):
            text = requests.get(f"{base}/metrics", timeout=10).text
            seen.add(
                value(text, "enrich_webhook_requests_total", receiver="standard", status="200")
            )
        assert seen == {12.0}  # whichever worker answers, the total is everyone's
        assert len(list(folder.glob("counter_*.db"))) == 2  # both workers counted some
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        assert server.wait(30) == 0  # gunicorn stops gracefully on SIGTERM
