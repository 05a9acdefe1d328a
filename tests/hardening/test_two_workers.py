"""Two `enrich worker` processes on one Redis + PostgreSQL, syncing to the CRM sandbox: 50
touchpoints from 20 contacts end as exactly one Salesforce Task each, read back through the real
simple-salesforce client."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from enrich import runtime
from enrich.app import create_app
from enrich.db import upgrade
from enrich.models import ActivityWrite, SyncRequest, Touchpoint
from enrich.sandbox import SAMPLE_SEED, Sandbox
from enrich.sync.connect import make_adapter
from enrich.sync.mirror import pull
from tests.conftest import STANDARD_SECRET, wait_until
from tests.integration.conftest import Process, crm_settings, postgres_database
from tests.integration.test_thin_slice import salesforce
from tests.signing import standard_headers

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
KINDS = ["comment", "like", "share", "mention", "reply"]


def test_two_workers_write_each_touchpoint_once(
    sandbox: Sandbox, postgres_server: Any, redis_server: Any, tmp_path: Path
) -> None:
    from redis import Redis

    Redis.from_url(redis_server.url).flushall()
    contacts = json.loads(Path(SAMPLE_SEED).read_text())["contacts"][:20]
    settings = crm_settings(
        postgres_database(postgres_server),
        sandbox,
        "salesforce",
        redis_url=redis_server.url,
        sweep_after_s=1.0,
        sync_lease_s=10.0,
    )
    upgrade(settings.database_url)
    client = create_app(settings).test_client()
    engine = runtime.current().engine
    workers = [Process(["worker"], settings, tmp_path / f"worker{i}.log") for i in (1, 2)]
    scheduler = Process(["scheduler"], settings, tmp_path / "scheduler.log")
    try:
        pull(engine, make_adapter(settings))
        started = time.monotonic()
        base = datetime.now(UTC) - timedelta(hours=1)
        for n in range(50):
            person = contacts[n % 20]
            body = json.dumps(
                {
                    "type": "touchpoint.created",
                    "data": {
                        "platform": "linkedin",
                        "kind": KINDS[n % 5],
                        "id": f"two-workers-{n}",
                        "occurred_at": (base + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "text": f"touch {n}",
                        "actor": {
                            "id": f"urn:li:person:{person['email']}",
                            "email": person["email"],
                            "name": f"{person['first_name']} {person['last_name']}",
                        },
                    },
                }
            ).encode()
            answer = client.post(
                "/webhooks/standard/acme",
                data=body,
                headers=standard_headers(STANDARD_SECRET, body),
            )
            assert answer.status_code == 200
            # A platform retry of some deliveries, with a new message id (a new raw event).
            if n % 7 == 0:
                client.post(
                    "/webhooks/standard/acme",
                    data=body,
                    headers=standard_headers(STANDARD_SECRET, body),
                )

        def settled() -> bool:
            with Session(engine) as s:
                writes = list(s.exec(select(ActivityWrite)))
                return (
                    len(writes) == 50
                    and all(w.status == "written" for w in writes)
                    and not s.exec(select(SyncRequest)).first()
                )

        wait_until(settled, timeout=120, interval=0.25)
        elapsed = time.monotonic() - started
        sf = salesforce(sandbox)
        tasks = sf.query_all("SELECT Id, WhoId, Enrich_Touchpoint_Id__c FROM Task")["records"]
        ours = [t for t in tasks if t["Enrich_Touchpoint_Id__c"]]
        per_touchpoint = Counter(t["Enrich_Touchpoint_Id__c"] for t in ours)
        with Session(engine) as s:
            touchpoint_ids = {str(tp.id) for tp in s.exec(select(Touchpoint))}
        assert len(touchpoint_ids) == 50
        assert max(per_touchpoint.values()) == 1, per_touchpoint.most_common(3)
        assert set(per_touchpoint) == touchpoint_ids or len(per_touchpoint) == 50
        assert len({t["WhoId"] for t in ours}) == 20
        from rq import Worker

        jobs_per_worker = sorted(
            w.successful_job_count for w in Worker.all(connection=Redis.from_url(redis_server.url))
        )
        assert len(jobs_per_worker) == 2
        print(
            "FIGURES",
            {
                "tasks": len(ours),
                "touchpoints": 50,
                "contacts": 20,
                "settled_s": round(elapsed, 2),
                "jobs_per_worker": jobs_per_worker,
            },
        )
    finally:
        for proc in (*workers, scheduler):
            proc.stop()
        runtime.uninstall()
    for w in workers:
        assert "Traceback" not in w.output()
