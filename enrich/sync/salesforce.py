"""Salesforce adapter over simple-salesforce: SOQL pulls and sObject Collections writes (the
session it runs on, renewed by refresh token and shared between workers, is in sf_session.py)."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import requests
from simple_salesforce.api import Salesforce

from enrich import defaults
from enrich.config import Settings
from enrich.errors import ConfigError, CRMAuthError, CRMRateLimited
from enrich.sync.adapter import Activity, CrmAdapter, MirrorRow, NewLead, WriteResult, in_chunks
from enrich.sync.errors import salesforce_errors
from enrich.sync.fields import FieldMap
from enrich.sync.sf_session import OAuthRefresh, TimeoutAdapter

log = logging.getLogger("enrich.sync.salesforce")
T = TypeVar("T")
OBJECTS = {"contact": "Contact", "lead": "Lead", "account": "Account", "opportunity": "Opportunity"}
TASK_KEY_FIELD = "Enrich_Touchpoint_Id__c"  # External ID + unique on Task: upserts are idempotent
LEAD_KEY_FIELD = "Enrich_Lead_Key__c"  # External ID + unique on Lead: the same, for created Leads
NOT_PROVIDED = "[not provided]"  # what Web-to-Lead writes in a required field left empty
# neutral name -> SOQL field, per object (None: the object has no such field)
SELECT = {
    "contact": {
        "first_name": "FirstName",
        "last_name": "LastName",
        "email": "Email",
        "account_crm_id": "AccountId",
        "title": "Title",
        "city": "MailingCity",
        "country": "MailingCountry",
        "owner_id": "OwnerId",
        "linkedin_url": "LinkedIn_Url__c",
        "twitter_handle": "X_Handle__c",
    },
    "lead": {
        "first_name": "FirstName",
        "last_name": "LastName",
        "email": "Email",
        "company": "Company",
        "title": "Title",
        "city": "City",
        "country": "Country",
        "owner_id": "OwnerId",
    },
    "account": {
        "company": "Name",
        "city": "BillingCity",
        "country": "BillingCountry",
        "owner_id": "OwnerId",
    },
    # The pipeline social engagement touches: amount, stage and close date stay in `raw`.
    "opportunity": {
        "company": "Name",
        "account_crm_id": "AccountId",
        "owner_id": "OwnerId",
        "title": "StageName",
    },
}
OPPORTUNITY_EXTRA = ("Amount", "CloseDate", "IsClosed", "IsWon", "CreatedDate")
# Only orgs with multiple currencies have it (querying it elsewhere is INVALID_FIELD).
CURRENCY_FIELD = "CurrencyIsoCode"
ROLES_PER_QUERY = 200  # opportunity ids per OpportunityContactRole query (URL length)
# Objects Salesforce merges: the merged-away record is deleted with MasterRecordId set.
MERGEABLE = ("contact", "lead", "account")


def soql_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_sf_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00").replace("+0000", "+00:00"))


class SalesforceAdapter(CrmAdapter):
    name = "salesforce"
    batch_size = defaults.SALESFORCE_BATCH

    def __init__(
        self, sf: Salesforce, fields: FieldMap | None = None, renew: OAuthRefresh | None = None
    ) -> None:
        super().__init__(fields or FieldMap.default(self.name))
        self.sf = sf
        self.bulk_threshold: int | None = None  # field updates past this size go through Bulk 2.0
        self.bulk_wait_s = 2.0
        self._renew = renew  # buys a new (session id, instance url) when the session expired
        # simple-salesforce's exceptions drop the response headers: keep Retry-After here.
        self._retry_after: float | None = None
        self._currency: bool | None = None  # whether Opportunity has CurrencyIsoCode
        sf.session.hooks["response"].append(self._note_retry_after)

    def _note_retry_after(self, response: Any, *args: Any, **kwargs: Any) -> None:
        value = response.headers.get("Retry-After")
        try:
            self._retry_after = float(value) if value is not None else None
        except ValueError:  # an HTTP date: rare from an API; the default wait applies
            self._retry_after = None

    def api_limit(self) -> int | None:
        """Salesforce reports the org's daily allocation on every answer (Sforce-Limit-Info),
        which simple-salesforce keeps in `api_usage`."""
        usage = getattr(self.sf, "api_usage", None) or {}
        total = getattr(usage.get("api-usage"), "total", None)
        return int(total) if total else None

    def _request(self, send: Callable[[], T]) -> T:
        """One CRM call: rate-limited, counted, errors translated. An expired session
        (401 INVALID_SESSION_ID) is replaced and the call sent again: by the session another
        worker kept, when it is a different one, else by one bought with the refresh token
        (once). `send` reads `self.sf` when called, so the retry uses the new session."""
        bought = False
        for attempt in range(3):
            try:
                with salesforce_errors():
                    self._call()
                    return send()
            except CRMRateLimited as exc:
                if self._retry_after is not None:
                    exc.retry_after = self._retry_after
                raise
            except CRMAuthError as exc:
                if exc.code != "INVALID_SESSION_ID" or self._renew is None:
                    raise
                if bought or attempt == 2:
                    raise CRMAuthError(
                        "Salesforce rejected the refreshed session too (INVALID_SESSION_ID): "
                        "check the connected app's user and its API permission",
                        crm=self.name,
                        status=401,
                        code="INVALID_SESSION_ID",
                    ) from exc
                bought = self._replace_session()
        raise AssertionError("unreachable")

    def _replace_session(self) -> bool:
        """Take the session kept by another adapter if it is not the one just refused, else
        buy one; returns whether one was bought."""
        assert self._renew is not None
        shared = self._renew.shared()
        if shared is not None and shared[0] != self.sf.session_id:
            session_id, instance_url = shared
            bought = False
        else:
            session_id, instance_url = self._renew()
            log.warning("Salesforce session expired: a new one was obtained with the refresh token")
            bought = True
        self.sf = Salesforce(
            instance_url=instance_url,
            session_id=session_id,
            session=self.sf.session,
            version=self.sf.sf_version,
        )
        return bought

    @classmethod
    def from_settings(cls, settings: Settings) -> SalesforceAdapter:
        session = requests.Session()
        session.mount("https://", TimeoutAdapter(settings.crm_timeout_s))
        session.mount("http://", TimeoutAdapter(settings.crm_timeout_s))
        if settings.salesforce_ca_bundle:
            session.verify = settings.salesforce_ca_bundle
            # Otherwise REQUESTS_CA_BUNDLE from the environment overrides session.verify.
            session.trust_env = False
        common: dict[str, Any] = {"session": session, "version": settings.salesforce_api_version}
        renew = None
        if settings.salesforce_refresh_token:
            if not settings.salesforce_client_id:
                raise ConfigError(
                    "SALESFORCE_REFRESH_TOKEN needs SALESFORCE_CLIENT_ID (the "
                    "connected app's consumer key)"
                )
            renew = OAuthRefresh(session, settings)
        with salesforce_errors():
            kept = renew.shared() if renew is not None else None
            if renew is not None and (kept or not settings.salesforce_session_id):
                # A session refreshed earlier (by any worker), or none given: buy one now.
                session_id, instance_url = kept or renew()
                sf = Salesforce(instance_url=instance_url, session_id=session_id, **common)
            elif settings.salesforce_session_id and settings.salesforce_instance_url:
                sf = Salesforce(
                    instance_url=settings.salesforce_instance_url,
                    session_id=settings.salesforce_session_id,
                    **common,
                )
            elif settings.salesforce_username and settings.salesforce_password:
                sf = Salesforce(
                    username=settings.salesforce_username,
                    password=settings.salesforce_password,
                    security_token=settings.salesforce_security_token or "",
                    domain=settings.salesforce_domain,
                    **common,
                )
            else:
                raise ConfigError(
                    "CRM=salesforce needs SALESFORCE_INSTANCE_URL + SALESFORCE_SESSION_ID, "
                    "SALESFORCE_REFRESH_TOKEN + SALESFORCE_CLIENT_ID, "
                    "or SALESFORCE_USERNAME + SALESFORCE_PASSWORD (+ SALESFORCE_SECURITY_TOKEN)"
                )
        adapter = cls(sf, FieldMap.from_settings(settings), renew)
        adapter.bulk_threshold = settings.salesforce_bulk_threshold
        adapter.bulk_wait_s = settings.salesforce_bulk_poll_s
        return adapter

    def pull(
        self, object_type: str, since: datetime | None, after_id: str | None = None
    ) -> Iterator[MirrorRow]:
        """Keyset order (SystemModstamp, Id): a resumed pull starts right after the last record
        it stored, even when thousands share one timestamp (a data load)."""
        fields = self.fields.read_fields(object_type, SELECT[object_type])
        merges = object_type in MERGEABLE
        columns = list(
            dict.fromkeys(
                [
                    "Id",
                    "SystemModstamp",
                    "IsDeleted",
                    *fields.values(),
                    *(self._opportunity_extra() if object_type == "opportunity" else ()),
                    *(("MasterRecordId",) if merges else ()),
                ]
            )
        )
        # SOQL datetime literals have whole seconds: read from the cursor's second, and skip
        # what the previous pull already stored (at or before its (stamp, id) position).
        where = f" WHERE SystemModstamp >= {soql_datetime(since)}" if since else ""
        soql = (
            f"SELECT {', '.join(columns)} FROM {OBJECTS[object_type]}{where} "
            "ORDER BY SystemModstamp, Id"
        )
        result = self._request(lambda: self.sf.query(soql, include_deleted=True))
        while True:
            if object_type == "opportunity":
                self._add_contact_roles(result["records"])
            for rec in result["records"]:
                stamp = parse_sf_datetime(rec.get("SystemModstamp"))
                if since and after_id and stamp and (stamp, rec["Id"]) <= (since, after_id):
                    continue
                yield MirrorRow(
                    object_type=object_type,
                    crm_id=rec["Id"],
                    modified_at=parse_sf_datetime(rec.get("SystemModstamp")),
                    deleted=bool(rec.get("IsDeleted")),
                    merged_into=rec.get("MasterRecordId") if merges else None,
                    raw={k: v for k, v in rec.items() if k != "attributes"},
                    **{name: rec.get(f) for name, f in fields.items()},
                )
            if result.get("done", True) or not result.get("nextRecordsUrl"):
                break
            url = result["nextRecordsUrl"]

            def next_page(url: str = url) -> Any:  # reads self.sf when sent (see _request)
                return self.sf.query_more(url, identifier_is_url=True, include_deleted=True)

            result = self._request(next_page)

    def _opportunity_extra(self) -> tuple[str, ...]:
        """Amount, stage facts and creation time; the currency where the org has several
        (one describe call per adapter tells)."""
        if self._currency is None:
            described = self._request(lambda: self.sf.restful("sobjects/Opportunity/describe"))
            fields = (described or {}).get("fields") or []
            self._currency = any(f.get("name") == CURRENCY_FIELD for f in fields)
        return (*OPPORTUNITY_EXTRA, *((CURRENCY_FIELD,) if self._currency else ()))

    def _add_contact_roles(self, records: list[dict[str, Any]]) -> None:
        """Each opportunity's contact roles as `contact_ids` (one query per 200 of them).
        A role added later without touching its opportunity is seen on a full pull."""
        by_id = {rec["Id"]: rec for rec in records}
        for rec in records:
            rec["contact_ids"] = []
        ids = sorted(by_id)
        for start in range(0, len(ids), ROLES_PER_QUERY):
            quoted = ", ".join(f"'{i}'" for i in ids[start : start + ROLES_PER_QUERY])
            soql = (
                "SELECT OpportunityId, ContactId FROM OpportunityContactRole "
                f"WHERE OpportunityId IN ({quoted}) ORDER BY OpportunityId, ContactId"
            )
            answer = self._request(partial(self._query_all, soql))
            for role in answer["records"]:
                opportunity = by_id.get(role.get("OpportunityId"))
                if opportunity is not None and role.get("ContactId"):
                    opportunity["contact_ids"].append(role["ContactId"])

    def _query_all(self, soql: str) -> Any:
        return self.sf.query_all(soql)  # reads self.sf when sent (see _request)

    def write_fields(
        self, object_type: str, updates: list[tuple[str, dict[str, Any]]]
    ) -> list[WriteResult]:
        sobject = OBJECTS[object_type]
        if self.bulk_threshold and len(updates) > self.bulk_threshold:
            return self._bulk_update(sobject, updates)

        def send(chunk: list[tuple[str, dict[str, Any]]]) -> list[WriteResult]:
            records = [
                {"attributes": {"type": sobject}, "id": crm_id, **values}
                for crm_id, values in chunk
            ]
            answer = self._collection("composite/sobjects", records)
            return [
                _save_result(crm_id, item) for (crm_id, _), item in zip(chunk, answer, strict=False)
            ]

        return in_chunks(updates, self.batch_size, send, key=lambda u: u[0])

    def _bulk_update(
        self, sobject: str, updates: list[tuple[str, dict[str, Any]]]
    ) -> list[WriteResult]:
        """One Bulk API 2.0 update job (simple-salesforce `sf.bulk2`): create, upload CSV,
        close, poll, then read the failed rows. Costs a handful of calls whatever the size,
        where collections cost one per 200. In Bulk CSV an empty cell leaves a field alone
        and `#N/A` clears it."""
        rows = [
            {"Id": crm_id, **{k: "#N/A" if v is None else str(v) for k, v in values.items()}}
            for crm_id, values in updates
        ]
        sent = 0

        def count(response: Any, *args: Any, **kwargs: Any) -> None:
            nonlocal sent
            sent += 1

        def job() -> tuple[list[dict[str, Any]], str]:
            bulk = getattr(self.sf.bulk2, sobject)
            self.sf.session.hooks["response"].append(count)
            try:
                jobs = bulk.update(records=rows, wait=self.bulk_wait_s)
                failed = "".join(
                    bulk.get_failed_records(j["job_id"])
                    for j in jobs
                    if int(j["numberRecordsFailed"])
                )
            finally:
                self.sf.session.hooks["response"].remove(count)
            return jobs, failed

        _, failed_csv = self._request(job)
        self.calls += max(0, sent - 1)  # `_request` counted one; the job made `sent` calls
        errors: dict[str, str] = {}
        for row in csv.DictReader(io.StringIO(failed_csv)):
            if row.get("sf__Id") or row.get("Id"):
                errors[row.get("Id") or row["sf__Id"]] = row.get("sf__Error") or "failed"
        results = []
        for crm_id, _ in updates:
            error = errors.get(crm_id)
            code = (error or "").split(":", 1)[0]
            results.append(
                WriteResult(crm_id, error is None, error, retryable=code in RETRYABLE_CODES)
            )
        return results

    def write_activities(self, activities: list[Activity]) -> list[WriteResult]:
        """Tasks upserted on their external id, so a retried batch never makes a second Task."""

        def send(chunk: list[Activity]) -> list[WriteResult]:
            records = [_task(a) for a in chunk]
            answer = self._collection(f"composite/sobjects/Task/{TASK_KEY_FIELD}", records)
            return [
                _save_result(item.get("id") or a.key, item)
                for a, item in zip(chunk, answer, strict=False)
            ]

        return in_chunks(activities, self.batch_size, send, key=lambda a: a.key)

    def upsert_leads(self, leads: list[NewLead]) -> list[WriteResult]:
        """Leads upserted on `Enrich_Lead_Key__c` (sObject Collections): a retry after a lost
        201 updates the Lead that landed, and Unique rules out two (docs/LEAD_FORMS.md §3)."""

        def send(chunk: list[NewLead]) -> list[WriteResult]:
            answer = self._collection(
                f"composite/sobjects/Lead/{LEAD_KEY_FIELD}", [_lead(n) for n in chunk]
            )
            return [
                _save_result(item.get("id") or n.key, item)
                for n, item in zip(chunk, answer, strict=False)
            ]

        return in_chunks(leads, self.batch_size, send, key=lambda n: n.key)

    def _collection(self, path: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answer = self._request(
            lambda: self.sf.restful(
                path, method="PATCH", json={"allOrNone": False, "records": records}
            )
        )
        return list(answer or [])

    def delete_activities(self, activity_ids: list[str]) -> list[WriteResult]:
        """Delete Tasks enrich created (erasure, undo of a wrong link)."""
        results: list[WriteResult] = []
        for start in range(0, len(activity_ids), self.batch_size):
            chunk = activity_ids[start : start + self.batch_size]

            def delete(chunk: list[str] = chunk) -> Any:  # reads self.sf when sent
                return self.sf.restful(
                    "composite/sobjects",
                    method="DELETE",
                    params={"ids": ",".join(chunk), "allOrNone": "false"},
                )

            answer = self._request(delete)
            for task_id, item in zip(chunk, answer or [], strict=False):
                errors = item.get("errors") or []
                gone = item.get("success") or any(
                    e.get("statusCode") == "ENTITY_IS_DELETED" for e in errors
                )
                results.append(WriteResult(task_id, bool(gone), None if gone else str(errors)))
        return results


def _task(a: Activity) -> dict[str, Any]:
    task = {
        "attributes": {"type": "Task"},
        TASK_KEY_FIELD: a.key,
        "WhoId": a.record_crm_id,
        "Subject": a.subject[:255],
        "Description": a.body[:32000],
        "ActivityDate": a.occurred_at.date().isoformat(),
    }
    if a.handoff:  # an open task on the owner's list, due tomorrow
        task.update(
            Status="Not Started",
            Priority="High",
            ActivityDate=(a.occurred_at + timedelta(days=1)).date().isoformat(),
        )
        if a.owner_id:
            task["OwnerId"] = a.owner_id
    else:
        task.update(Status="Completed", Priority="Normal")
    return task


def _lead(n: NewLead) -> dict[str, Any]:
    lead: dict[str, Any] = {
        "attributes": {"type": "Lead"},
        LEAD_KEY_FIELD: n.key,
        "LastName": (n.last_name or NOT_PROVIDED)[:80],
        "Company": (n.company or NOT_PROVIDED)[:255],
        "Description": n.description[:32000],
    }
    for name, value, limit in (
        ("FirstName", n.first_name, 40),
        ("Email", n.email, 80),
        ("Title", n.title, 128),
        ("Phone", n.phone, 40),
        ("OwnerId", n.owner_id, 18),
    ):
        if value:
            lead[name] = value[:limit]
    return lead


RETRYABLE_CODES = {"UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE"}


def _save_result(crm_id: str, item: dict[str, Any]) -> WriteResult:
    """One SaveResult of a collection call (200 even when some records failed)."""
    if item.get("success"):
        return WriteResult(crm_id, True)
    errors = item.get("errors") or []
    codes = {e.get("statusCode") for e in errors}
    return WriteResult(
        crm_id,
        False,
        "; ".join(f"{e.get('statusCode')}: {e.get('message')}" for e in errors),
        retryable=bool(codes & RETRYABLE_CODES),
    )
