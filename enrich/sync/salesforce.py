"""Salesforce adapter over simple-salesforce: SOQL pulls and sObject Collections writes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce

from enrich import defaults
from enrich.config import Settings
from enrich.errors import ConfigError
from enrich.sync.adapter import Activity, MirrorRow, WriteResult, in_chunks
from enrich.sync.budget import WindowLimiter
from enrich.sync.errors import salesforce_errors

OBJECTS = {"contact": "Contact", "lead": "Lead", "account": "Account",
           "opportunity": "Opportunity"}
TASK_KEY_FIELD = "Enrich_Touchpoint_Id__c"  # External ID + unique on Task: upserts are idempotent
# neutral name -> SOQL field, per object (None: the object has no such field)
SELECT = {
    "contact": {"first_name": "FirstName", "last_name": "LastName", "email": "Email",
                "account_crm_id": "AccountId", "title": "Title", "city": "MailingCity",
                "country": "MailingCountry", "owner_id": "OwnerId",
                "linkedin_url": "LinkedIn_Url__c", "twitter_handle": "X_Handle__c"},
    "lead": {"first_name": "FirstName", "last_name": "LastName", "email": "Email",
             "company": "Company", "title": "Title", "city": "City", "country": "Country",
             "owner_id": "OwnerId"},
    "account": {"company": "Name", "city": "BillingCity", "country": "BillingCountry",
                "owner_id": "OwnerId"},
    # The pipeline social engagement touches: amount, stage and close date stay in `raw`.
    "opportunity": {"company": "Name", "account_crm_id": "AccountId", "owner_id": "OwnerId",
                    "title": "StageName"},
}
OPPORTUNITY_EXTRA = ("Amount", "CloseDate", "IsClosed")


class _TimeoutAdapter(HTTPAdapter):
    """simple-salesforce's SFType calls take no timeout argument, so the session supplies one."""

    def __init__(self, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def soql_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_sf_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00").replace("+0000", "+00:00"))


class SalesforceAdapter:
    name = "salesforce"
    batch_size = defaults.SALESFORCE_BATCH

    def __init__(self, sf: Salesforce) -> None:
        self.sf = sf
        self.calls = 0
        self.limiter: WindowLimiter | None = None

    def _call(self) -> None:
        """Count one HTTP call, after waiting for a slot under the shared rate limit."""
        if self.limiter is not None:
            self.limiter.acquire()
        self.calls += 1

    @classmethod
    def from_settings(cls, settings: Settings) -> SalesforceAdapter:
        session = requests.Session()
        session.mount("https://", _TimeoutAdapter(settings.crm_timeout_s))
        session.mount("http://", _TimeoutAdapter(settings.crm_timeout_s))
        if settings.salesforce_ca_bundle:
            session.verify = settings.salesforce_ca_bundle
            # Otherwise REQUESTS_CA_BUNDLE from the environment overrides session.verify.
            session.trust_env = False
        common: dict[str, Any] = {"session": session, "version": settings.salesforce_api_version}
        with salesforce_errors():
            if settings.salesforce_session_id and settings.salesforce_instance_url:
                sf = Salesforce(instance_url=settings.salesforce_instance_url,
                                session_id=settings.salesforce_session_id, **common)
            elif settings.salesforce_username and settings.salesforce_password:
                sf = Salesforce(username=settings.salesforce_username,
                                password=settings.salesforce_password,
                                security_token=settings.salesforce_security_token or "",
                                domain=settings.salesforce_domain, **common)
            else:
                raise ConfigError(
                    "CRM=salesforce needs SALESFORCE_INSTANCE_URL + SALESFORCE_SESSION_ID, "
                    "or SALESFORCE_USERNAME + SALESFORCE_PASSWORD (+ SALESFORCE_SECURITY_TOKEN)"
                )
        return cls(sf)

    def pull(self, object_type: str, since: datetime | None,
             after_id: str | None = None) -> Iterator[MirrorRow]:
        """Keyset order (SystemModstamp, Id): a resumed pull starts right after the last record
        it stored, even when thousands share one timestamp (a data load)."""
        fields = SELECT[object_type]
        columns = ["Id", "SystemModstamp", "IsDeleted", *fields.values(),
                   *(OPPORTUNITY_EXTRA if object_type == "opportunity" else ())]
        # SOQL datetime literals have whole seconds: read from the cursor's second, and skip
        # what the previous pull already stored (at or before its (stamp, id) position).
        where = f" WHERE SystemModstamp >= {soql_datetime(since)}" if since else ""
        soql = (f"SELECT {', '.join(columns)} FROM {OBJECTS[object_type]}{where} "
                "ORDER BY SystemModstamp, Id")
        with salesforce_errors():
            self._call()
            result = self.sf.query(soql, include_deleted=True)
            while True:
                for rec in result["records"]:
                    stamp = parse_sf_datetime(rec.get("SystemModstamp"))
                    if since and after_id and stamp and (stamp, rec["Id"]) <= (since, after_id):
                        continue
                    yield MirrorRow(
                        object_type=object_type, crm_id=rec["Id"],
                        modified_at=parse_sf_datetime(rec.get("SystemModstamp")),
                        deleted=bool(rec.get("IsDeleted")),
                        raw={k: v for k, v in rec.items() if k != "attributes"},
                        **{name: rec.get(f) for name, f in fields.items()},
                    )
                if result.get("done", True) or not result.get("nextRecordsUrl"):
                    break
                self._call()
                result = self.sf.query_more(result["nextRecordsUrl"], identifier_is_url=True,
                                            include_deleted=True)

    def write_fields(
        self, object_type: str, updates: list[tuple[str, dict[str, Any]]]
    ) -> list[WriteResult]:
        sobject = OBJECTS[object_type]

        def send(chunk: list[tuple[str, dict[str, Any]]]) -> list[WriteResult]:
            records = [{"attributes": {"type": sobject}, "id": crm_id, **values}
                       for crm_id, values in chunk]
            answer = self._collection("composite/sobjects", records)
            return [_save_result(crm_id, item) for (crm_id, _), item in zip(chunk, answer, strict=False)]

        return in_chunks(updates, self.batch_size, send, key=lambda u: u[0])

    def write_activities(self, activities: list[Activity]) -> list[WriteResult]:
        """Tasks upserted on their external id, so a retried batch never makes a second Task."""

        def send(chunk: list[Activity]) -> list[WriteResult]:
            records = [_task(a) for a in chunk]
            answer = self._collection(f"composite/sobjects/Task/{TASK_KEY_FIELD}", records)
            return [_save_result(item.get("id") or a.key, item)
                    for a, item in zip(chunk, answer, strict=False)]

        return in_chunks(activities, self.batch_size, send, key=lambda a: a.key)

    def _collection(self, path: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        with salesforce_errors():
            self._call()
            answer = self.sf.restful(path, method="PATCH",
                                     json={"allOrNone": False, "records": records})
        return list(answer or [])

    def delete_activities(self, activity_ids: list[str]) -> list[WriteResult]:
        """Delete Tasks enrich created (erasure, undo of a wrong link)."""
        results: list[WriteResult] = []
        for start in range(0, len(activity_ids), self.batch_size):
            chunk = activity_ids[start : start + self.batch_size]
            with salesforce_errors():
                self._call()
                answer = self.sf.restful("composite/sobjects", method="DELETE",
                                         params={"ids": ",".join(chunk), "allOrNone": "false"})
            for task_id, item in zip(chunk, answer or [], strict=False):
                errors = item.get("errors") or []
                gone = item.get("success") or any(
                    e.get("statusCode") == "ENTITY_IS_DELETED" for e in errors)
                results.append(WriteResult(task_id, bool(gone), None if gone else str(errors)))
        return results


def _task(a: Activity) -> dict[str, Any]:
    task = {"attributes": {"type": "Task"}, TASK_KEY_FIELD: a.key, "WhoId": a.record_crm_id,
            "Subject": a.subject[:255], "Description": a.body[:32000],
            "ActivityDate": a.occurred_at.date().isoformat()}
    if a.handoff:  # an open task on the owner's list, due tomorrow
        task.update(Status="Not Started", Priority="High",
                    ActivityDate=(a.occurred_at + timedelta(days=1)).date().isoformat())
        if a.owner_id:
            task["OwnerId"] = a.owner_id
    else:
        task.update(Status="Completed", Priority="Normal")
    return task


RETRYABLE_CODES = {"UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE"}


def _save_result(crm_id: str, item: dict[str, Any]) -> WriteResult:
    """One SaveResult of a collection call (200 even when some records failed)."""
    if item.get("success"):
        return WriteResult(crm_id, True)
    errors = item.get("errors") or []
    codes = {e.get("statusCode") for e in errors}
    return WriteResult(crm_id, False,
                       "; ".join(f"{e.get('statusCode')}: {e.get('message')}" for e in errors),
                       retryable=bool(codes & RETRYABLE_CODES))
