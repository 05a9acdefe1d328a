"""Sample lead-form responses: stored in the platform sandbox, and named by signed deliveries
as Meta and LinkedIn send them (`enrich events send-sample --platform leads`, the demo).

The Meta lead is Dana Whitfield's, whom the sample CRM knows: it ends as an activity on her
contact. The LinkedIn lead is someone the CRM does not know: kept for review, or made a CRM
Lead when LEAD_FORMS_UNMATCHED=create_lead.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import requests
from sqlalchemy import Engine
from sqlmodel import Session, select

from enrich.config import Settings
from enrich.models import LeadForm, LeadStatus, WriteStatus
from enrich.samples import SAMPLE_ORG, SAMPLE_PAGE, sign_linkedin, sign_meta

if TYPE_CHECKING:  # the sandbox is the demo's: `enrich events` need not import it
    from enrich.sandbox.platforms import PlatformSandbox

META_LEAD = "1234567890123456"
META_FORM = "5278296666664"
META_AD = "1202126699555"
META_ANSWERS = {
    "full_name": "Dana Whitfield",
    "email": "dana.whitfield@northwind.example",
    "company_name": "Northwind Traders",
    "job_title": "VP Operations",
    "what_is_your_timeline?": "This quarter",
}
LINKEDIN_LEAD = "aaaabbbb-0000-cccc-1111-dddd2222eeee-5"
LINKEDIN_FORM = "6400001"
LINKEDIN_SUBMITTER = "urn:li:person:Mx9LeadSample"
LINKEDIN_ANSWERS = {
    "FIRST_NAME": "Jonas",
    "LAST_NAME": "Berg",
    "WORK_EMAIL": "jonas.berg@fjordlabs.example",
    "COMPANY_NAME": "Fjord Labs",
    "JOB_TITLE": "Head of Revenue Operations",
}


def seed(platforms: PlatformSandbox, page: str = SAMPLE_PAGE, org: str = SAMPLE_ORG) -> None:
    """Put the sample responses where the deliveries below say they are."""
    platforms.add_meta_lead(page, META_LEAD, META_FORM, META_ANSWERS, ad_id=META_AD)
    platforms.add_linkedin_lead(
        LINKEDIN_LEAD, LINKEDIN_FORM, LINKEDIN_ANSWERS, LINKEDIN_SUBMITTER, owner=org
    )


def meta_payload(page: str = SAMPLE_PAGE) -> dict[str, Any]:
    value = {
        "leadgen_id": META_LEAD,
        "page_id": page,
        "form_id": META_FORM,
        "adgroup_id": META_AD,
        "ad_id": META_AD,
        "created_time": 1764583200,
    }
    change = {"field": "leadgen", "value": value}
    return {"object": "page", "entry": [{"id": page, "time": 1764583205, "changes": [change]}]}


def linkedin_payload(org: str = SAMPLE_ORG, *, deleted: bool = False) -> dict[str, Any]:
    return {
        "type": "LEAD_ACTION",
        "leadGenFormResponse": f"urn:li:leadGenFormResponse:{LINKEDIN_LEAD}",
        "leadGenForm": f"urn:li:versionedLeadGenForm:(urn:li:leadGenForm:{LINKEDIN_FORM},1)",
        "owner": {"organization": org},
        "associatedEntity": {"organization": org},
        "leadType": "COMPANY",
        "leadAction": "DELETED" if deleted else "CREATED",
        "occurredAt": 1764583200000,
    }


def deliveries(
    settings: Settings, *, deleted: bool = False
) -> tuple[list[tuple[str, bytes, dict[str, str]]], list[str]]:
    """(path, body, headers) of the signed lead deliveries, and what could not be signed
    (`deleted`: LinkedIn's DELETED for the sample response instead of both CREATED)."""
    plan: list[tuple[str, bytes, dict[str, str]]] = []
    missing: list[str] = []
    meta, linkedin = settings.platform_secrets("meta"), settings.platform_secrets("linkedin")
    if not deleted:
        if meta:
            body = json.dumps(meta_payload()).encode()
            plan.append(("/webhooks/meta", body, sign_meta(meta[0], body)))
        else:
            missing.append("no meta secret: set META_APP_SECRET")
    if linkedin:
        body = json.dumps(linkedin_payload(deleted=deleted)).encode()
        plan.append(("/webhooks/linkedin", body, sign_linkedin(linkedin[0], body)))
    else:
        missing.append("no linkedin secret: set LINKEDIN_CLIENT_SECRET")
    return plan, missing


def show(settings: Settings, base: str, engine: Engine, timeout: float = 60.0) -> list[str]:
    """The demo's lead forms: send both samples, wait for the leads job, say what became of
    each (one line per lead)."""
    plan, _ = deliveries(settings)
    for path, body, headers in plan:
        requests.post(f"{base}{path}", data=body, headers=headers, timeout=15)
    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as session:
            rows = {r.source: r for r in session.exec(select(LeadForm))}
        settled = len(rows) == len(plan) and all(
            r.status != LeadStatus.PENDING and r.crm_status not in WriteStatus.open()
            for r in rows.values()
        )
        if settled or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    lines = []
    for source, who in (("meta", "Dana Whitfield (Meta)"), ("linkedin", "Jonas Berg (LinkedIn)")):
        row = rows.get(source)
        if row is None or row.status == LeadStatus.PENDING:
            lines.append(f"{who}: not read yet ({row.error if row else 'not received'})")
        elif row.status != LeadStatus.FETCHED:
            lines.append(f"{who}: {row.status}: {row.error}")
        elif row.crm_status == WriteStatus.WRITTEN:
            lines.append(f"{who}: no CRM person matched: new {settings.crm} Lead {row.crm_id}")
        elif row.crm_status == "review":
            lines.append(f"{who}: no CRM person matched: kept for review")
        else:
            lines.append(f"{who}: matched by email: a lead_form activity on the CRM person")
    return lines
