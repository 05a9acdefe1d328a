"""A world for lead-form tests: the CRM sandbox (both CRMs) and the platform sandbox (Graph,
LinkedIn), enrich on SQLite with its mirror pulled, the Flask app for signed deliveries. No
queue: each test drives ingest, the leads job and the CRM sync step by step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from enrich.app import create_app
from enrich.db import session_scope
from enrich.leads.clients import Readers
from enrich.leads.jobs import run
from enrich.models import LeadForm, utcnow
from enrich.pipeline import process_pending
from enrich.sandbox import Sandbox
from enrich.sandbox.platforms import PlatformSandbox
from tests.conftest import LINKEDIN_SECRET, META_SECRET
from tests.signing import linkedin_headers, meta_headers
from tests.sync.harness import World

PAGE = "1031000000000001"
ORG = "urn:li:organization:2414183"


class LeadWorld(World):
    def __init__(
        self,
        tmp_path: Path,
        sandbox: Sandbox,
        platforms: PlatformSandbox,
        crm: str,
        **overrides: Any,
    ) -> None:
        self.platforms = platforms
        super().__init__(
            tmp_path,
            sandbox,
            crm,
            meta_graph_url=platforms.url,
            meta_page_tokens=f"{PAGE}={platforms.page_token(PAGE)}",
            linkedin_api_url=platforms.url,
            linkedin_access_token=platforms.linkedin_token,
            **overrides,
        )
        self.app: Flask = create_app(rt=self.rt)
        self.client: FlaskClient = self.app.test_client()
        self.readers = Readers(self.settings)

    # ------------------------------------------------------------------ deliveries
    def meta_leadgen(self, lead_id: str, form_id: str = "5278296666664") -> Any:
        body = json.dumps(
            {
                "object": "page",
                "entry": [
                    {
                        "id": PAGE,
                        "time": 1772532900,
                        "changes": [
                            {
                                "field": "leadgen",
                                "value": {
                                    "leadgen_id": lead_id,
                                    "page_id": PAGE,
                                    "form_id": form_id,
                                    "created_time": 1772532895,
                                },
                            }
                        ],
                    }
                ],
            }
        ).encode()
        return self.client.post(
            "/webhooks/meta", data=body, headers=meta_headers(META_SECRET, body)
        )

    def linkedin_lead(self, response_id: str, action: str = "CREATED", **extra: Any) -> Any:
        payload = {
            "type": "LEAD_ACTION",
            "leadGenFormResponse": f"urn:li:leadGenFormResponse:{response_id}",
            "leadGenForm": "urn:li:versionedLeadGenForm:(urn:li:leadGenForm:77,1)",
            "owner": {"organization": ORG},
            "associatedEntity": {"event": "urn:li:event:55"},
            "leadType": "COMPANY",
            "leadAction": action,
            "occurredAt": 1772532900000,
            **extra,
        }
        body = json.dumps(payload).encode()
        return self.client.post(
            "/webhooks/linkedin", data=body, headers=linkedin_headers(LINKEDIN_SECRET, body)
        )

    # ------------------------------------------------------------------ steps
    def process(self) -> None:
        process_pending()

    def leads(self, *, now: bool = True) -> dict[str, int]:
        """One pass of the leads job (`now`: what waits out a backoff is due at once)."""
        if now:
            with session_scope(self.rt.engine) as s:
                s.execute(update(LeadForm).values(next_attempt_at=utcnow()))
        return run(self.rt.engine, self.settings, self.readers, lambda: self.adapter)

    def lead_rows(self) -> list[LeadForm]:
        with Session(self.rt.engine) as s:
            return list(s.exec(select(LeadForm).order_by(col(LeadForm.id))))
