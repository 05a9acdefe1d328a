"""The Salesforce REST side (API v59.0): what simple-salesforce sends, answered faithfully.

Covers the session check, SOQL query/queryAll with cursor paging, sObject CRUD, upsert by
external id, sObject Collections (create/update/delete/upsert, allOrNone), describe,
limits, Tooling API custom fields and (in `bulk.py`) Bulk API 2.0 ingest. Every answer
carries `Sforce-Limit-Info`; errors are the JSON-array bodies Salesforce sends.
"""

from __future__ import annotations

from enrich.sandbox import bulk
from enrich.sandbox.faults import FaultInjector, Limits
from enrich.sandbox.schema import (
    SF_DATA,
)
from enrich.sandbox.sf_base import OAUTH_TOKEN, new_session_id
from enrich.sandbox.sf_errors import SfError, sf_error
from enrich.sandbox.sf_query import QueryRoutes
from enrich.sandbox.sf_records import RecordRoutes
from enrich.sandbox.state import SandboxState

__all__ = ["SalesforceApi", "SfError", "new_session_id", "sf_error"]


class SalesforceApi(RecordRoutes, QueryRoutes):
    def __init__(
        self,
        state: SandboxState,
        faults: FaultInjector,
        limits: Limits,
        session_id: str,
        refresh_token: str = "",
        client_id: str = "",
    ) -> None:
        super().__init__(state, faults, limits, session_id, refresh_token, client_id)
        self._routes()

    def _routes(self) -> None:
        d = SF_DATA
        add = self.router.add
        add("POST", OAUTH_TOKEN, self.oauth_token)
        add("GET", f"{d}/limits", self.limits_)
        add("GET", f"{d}/sobjects", self.describe_global)
        add("GET", f"{d}/query", lambda c: self.query(c, include_deleted=False))
        add("GET", f"{d}/queryAll", lambda c: self.query(c, include_deleted=True))
        add("GET", f"{d}/query/{{locator}}", self.query_more)
        add("GET", f"{d}/queryAll/{{locator}}", self.query_more)
        add("POST", f"{d}/composite/sobjects", self.collection_create)
        add("PATCH", f"{d}/composite/sobjects", self.collection_update)
        add("DELETE", f"{d}/composite/sobjects", self.collection_delete)
        add("GET", f"{d}/composite/sobjects/{{sobject}}", self.collection_retrieve)
        add("POST", f"{d}/composite/sobjects/{{sobject}}", self.collection_retrieve)
        add(
            "PATCH",
            f"{d}/composite/sobjects/{{sobject}}/{{external_id_field}}",
            self.collection_upsert,
        )
        add("POST", f"{d}/tooling/sobjects/CustomField", self.tooling_create_field)
        add("GET", f"{d}/sobjects/{{sobject}}/describe", self.describe)
        add("GET", f"{d}/sobjects/{{sobject}}", self.sobject_info)
        add("POST", f"{d}/sobjects/{{sobject}}", self.create)
        add("GET", f"{d}/sobjects/{{sobject}}/{{id}}", self.get)
        add("PATCH", f"{d}/sobjects/{{sobject}}/{{id}}", self.update)
        add("DELETE", f"{d}/sobjects/{{sobject}}/{{id}}", self.delete)
        add("GET", f"{d}/sobjects/{{sobject}}/{{field}}/{{value}}", self.get_by_external_id)
        add("PATCH", f"{d}/sobjects/{{sobject}}/{{field}}/{{value}}", self.upsert)
        bulk.add_routes(self)
