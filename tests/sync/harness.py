"""A small world for sync tests: a sandbox CRM with N contacts, enrich on SQLite with its mirror
pulled, and touchpoints ingested through the real pipeline (no queue: tests drive each step)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlmodel import select

from enrich import runtime
from enrich.config import Settings
from enrich.db import session_scope, upgrade
from enrich.models import SyncRequest, utcnow
from enrich.pipeline import process_raw_event
from enrich.sandbox import Sandbox
from enrich.sync.adapter import CrmAdapter
from enrich.sync.connect import make_adapter
from enrich.sync.fields import FieldMap
from enrich.sync.mirror import pull
from enrich.sync.writer import run
from tests.conftest import make_settings
from webhooks.store import store_raw_event

WRITES = {
    "salesforce": [
        "PATCH composite/sobjects",
        "PATCH composite/sobjects/{sobject}/{external_id_field}",
        "DELETE composite/sobjects",
    ],
    "hubspot": [
        "POST /crm/v3/objects/{object_type}/batch/update",
        "POST /crm/v3/objects/{object_type}/batch/create",
        "POST /crm/v3/objects/{object_type}/batch/archive",
    ],
}


def people_seed(n: int) -> dict[str, Any]:
    return {
        "enrich_fields": True,
        "accounts": [{"key": "acme", "name": "Acme Analytics", "domain": "acme.example"}],
        "contacts": [
            {
                "first_name": f"Person{i}",
                "last_name": f"Tester{i}",
                "email": f"person{i}@acme.example",
                "account": "acme",
            }
            for i in range(n)
        ],
    }


class World:
    def __init__(self, tmp_path: Path, sandbox: Sandbox, crm: str, **overrides: Any) -> None:
        self.sandbox = sandbox
        self.crm = crm
        self.settings: Settings = make_settings(
            f"sqlite:///{tmp_path / 'world.db'}",
            crm=crm,
            salesforce_instance_url=sandbox.salesforce_url,
            salesforce_session_id=sandbox.session_id,
            salesforce_ca_bundle=str(sandbox.ca_path),
            hubspot_access_token=sandbox.access_token,
            hubspot_base_url=sandbox.hubspot_url,
            public_url="http://enrich.test",
            **overrides,
        )
        upgrade(self.settings.database_url)
        self.rt = runtime.install(runtime.build(self.settings, embedded_worker=False))
        self.adapter: CrmAdapter = make_adapter(self.settings)
        pull(self.rt.engine, self.adapter)
        sandbox.reset_log()

    def ingest(
        self, touches: list[tuple[str, str, str | None]], at: datetime | None = None
    ) -> None:
        """(email, kind, text) touchpoints (at `at`, else now), delivered 100 to a message as
        the schema allows."""
        for start in range(0, len(touches), 100):
            data = [
                {
                    "platform": "linkedin",
                    "kind": kind,
                    "text": text,
                    "id": f"tp-{uuid.uuid4().hex}",
                    "occurred_at": (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "actor": {"id": f"li-{email}", "email": email},
                }
                for email, kind, text in touches[start : start + 100]
            ]
            body = json.dumps({"type": "touchpoint.created", "data": data}).encode()
            raw_id, _ = store_raw_event(
                self.rt.engine,
                source="standard:test",
                delivery_id=uuid.uuid4().hex,
                body=body,
                headers={},
            )
            process_raw_event(raw_id)

    def sync(self) -> dict[str, int]:
        return run(
            self.rt.engine,
            self.adapter,
            FieldMap.from_settings(self.settings),
            "http://enrich.test",
            lease_s=60,
        )

    def sync_until_done(self, max_runs: int = 50) -> int:
        """Run the writer until nothing is pending, skipping backoff waits; returns runs."""
        for runs in range(1, max_runs + 1):
            self.sync()
            with session_scope(self.rt.engine) as session:
                if session.exec(select(SyncRequest)).first() is None:
                    return runs
                session.execute(update(SyncRequest).values(next_attempt_at=utcnow()))
        raise AssertionError(f"sync not done after {max_runs} runs")

    def write_calls(self) -> int:
        return sum(self.sandbox.requests_count(e, side=self.crm) for e in WRITES[self.crm])

    def close(self) -> None:
        runtime.uninstall()
