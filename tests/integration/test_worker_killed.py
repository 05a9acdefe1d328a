"""A worker killed (SIGKILL) in the middle of a CRM batch: after a restart the job completes and
the CRM ends with exactly one activity for the touchpoint and the right field values."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from enrich import runtime
from enrich.app import create_app
from enrich.db import upgrade
from enrich.models import (
    ActivityWrite,
    CrmRecord,
    SyncRequest,
    SyncState,
    Touchpoint,
    utcnow,
)
from enrich.sandbox import Sandbox
from enrich.sync.connect import make_adapter
from enrich.sync.mirror import pull
from tests.conftest import wait_until
from tests.integration.conftest import (
    DANA,
    Process,
    crm_settings,
    enrich_score,
    postgres_database,
)
from tests.integration.test_thin_slice import sf_contact, sf_tasks, signed_comment

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
FIELDS_PATCH = "PATCH /services/data/v59.0/composite/sobjects"
TASK_UPSERT = "PATCH composite/sobjects/{sobject}/{external_id_field}"


def sync_in_flight(engine: Any) -> bool:
    """A sync run holds a lease on the record: the worker is inside its CRM calls."""
    with Session(engine) as s:
        request = s.exec(select(SyncRequest)).first()
        return bool(request and request.next_attempt_at > utcnow() + timedelta(seconds=1))


def test_worker_killed_mid_crm_batch_writes_everything_exactly_once(
    sandbox: Sandbox, postgres_server: Any, redis_server: Any, tmp_path: Path
) -> None:
    from redis import Redis

    Redis.from_url(redis_server.url).flushall()
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
    pull(engine, make_adapter(settings))
    sandbox.set_faults("salesforce", delay_ms=2500)  # every CRM answer takes 2.5 s
    scheduler = Process(["scheduler"], settings, tmp_path / "scheduler.log")
    first = Process(["worker"], settings, tmp_path / "worker1.log")
    second = None
    try:
        body, headers = signed_comment(DANA)
        assert client.post("/webhooks/standard/acme", data=body, headers=headers).status_code == 200
        # Fields land first; then the Task upsert goes on the wire and the worker dies before
        # the CRM answers. The CRM still creates the Task: enrich must not make a second one.
        # Two field batches (the contact, and her account's roll-up), then the Task upsert.
        wait_until(lambda: sandbox.requests_count(FIELDS_PATCH) == 2, timeout=30)
        assert sync_in_flight(engine)
        time.sleep(0.5)
        first.kill()
        wait_until(lambda: sandbox.requests_count(TASK_UPSERT) == 1, timeout=10)

        sandbox.clear_faults()
        second = Process(["worker"], settings, tmp_path / "worker2.log")
        contact = wait_until(
            lambda: (c := sf_contact(sandbox, DANA))["Social_Score__c"] and c, timeout=60
        )

        def settled() -> bool:
            with Session(engine) as s:
                writes = list(s.exec(select(ActivityWrite)))
                return (
                    not s.exec(select(SyncRequest)).first()
                    and bool(writes)
                    and all(w.status == "written" for w in writes)
                )

        wait_until(settled, timeout=120)
        assert contact["Social_Score__c"] == enrich_score(engine, DANA) > 0
        assert contact["Social_Score_Reasons__c"].startswith("1 comment")  # counted once
        assert len(sf_tasks(sandbox, contact["Id"])) == 1
        assert sandbox.requests_count(TASK_UPSERT) == 2  # the retry really happened
        # Unchanged fields are not re-sent: the contact's and the account's batches only, and
        # the opportunity's attribution fields if a pull's pass found Dana's touch counts there.
        with Session(engine) as s:
            opportunities_written = len(
                set(
                    s.exec(
                        select(SyncState.record_id)
                        .join(CrmRecord, col(CrmRecord.id) == SyncState.record_id)
                        .where(CrmRecord.object_type == "opportunity")
                    )
                )
            )
        assert sandbox.requests_count(FIELDS_PATCH) == 2 + opportunities_written
        with Session(engine) as s:
            assert len(list(s.exec(select(Touchpoint)))) == 1
    finally:
        for proc in (first, second, scheduler):
            if proc is not None:
                proc.stop()
        runtime.uninstall()
    assert "Traceback" not in (second.output() if second else "")
