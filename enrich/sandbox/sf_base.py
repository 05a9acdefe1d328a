"""The Salesforce sandbox's base: plumbing (session, faults, daily allocation), helpers and
metadata (describe, limits, Tooling custom fields); the error bodies are in sf_errors.py, field
validation and writes in sf_values.py."""

from __future__ import annotations

import secrets
import time
from typing import Any

from werkzeug.wrappers import Request, Response

from enrich.sandbox import soql
from enrich.sandbox.faults import FaultInjector, Limits
from enrich.sandbox.routing import (
    BadJson,
    Call,
    Route,
    Router,
    json_response,
    read_json,
)
from enrich.sandbox.schema import (
    SF_DATA,
    SF_PREFIXES,
    TOOLING_TYPES,
    SFField,
)
from enrich.sandbox.seed import declare_sf_field
from enrich.sandbox.sf_errors import SfError, sf_error
from enrich.sandbox.sf_values import FieldValues
from enrich.sandbox.state import SandboxState

MAX_COLLECTION = 200
ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header",
    "fields": [],
}


OAUTH_TOKEN = "/services/oauth2/token"


def new_session_id() -> str:
    """A session id shaped like Salesforce's (org id prefix, '!', opaque part)."""
    return f"00DDn0000{secrets.token_hex(3).upper()}!AQ" + secrets.token_urlsafe(48)


class SalesforceBase(FieldValues):
    """Plumbing, helpers and metadata, with field validation mixed in from sf_values.py; the
    routes are in sf_records.py and sf_query.py, put together in salesforce.py."""

    side = "salesforce"

    def __init__(
        self,
        state: SandboxState,
        faults: FaultInjector,
        limits: Limits,
        session_id: str,
        refresh_token: str = "",
        client_id: str = "",
    ) -> None:
        self.state, self.faults, self.limits = state, faults, limits
        self.session_id = session_id
        # OAuth 2.0 refresh token flow (connected app): a refresh token buys a new session id.
        self.refresh_token, self.client_id = refresh_token, client_id
        self.cursors: dict[str, tuple[str, list[dict[str, Any]], int]] = {}
        self.router = Router()

    # ------------------------------------------------------------------ plumbing
    def fault_response(self, kind: str) -> Response:
        if kind == "401":
            return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        if kind == "429":
            faults = self.faults.faults
            response = sf_error(
                faults.sf_throttle_status, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
            )
            if faults.sf_throttle_status == 429:
                response.headers["Retry-After"] = str(faults.retry_after_s)
            return response
        return sf_error(
            503, "SERVER_UNAVAILABLE", "Server temporarily unavailable, please retry your request."
        )

    def authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() in ("bearer", "oauth") and secrets.compare_digest(
            token.strip().encode(), self.session_id.encode()
        )

    def handle(self, route: Route | None, call: Call, path_known: bool) -> Response:
        """Faults, then the session, then the daily allocation, then the endpoint."""
        kind, delay = self.faults.draw()
        if delay:
            time.sleep(delay)
        if kind == "lost":
            self.faults.answer_late()
        if kind and kind not in ("late", "lost"):
            response = self.fault_response(kind)
        elif route is not None and route.template == OAUTH_TOKEN:
            return self.oauth_token(call)  # authenticated by its form, not a session
        elif not self.authorized(call.request):
            response = sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        else:
            response = self._dispatch(route, call, path_known)
        response.headers["Sforce-Limit-Info"] = (
            f"api-usage={self.state.sf_api_used}/{self.limits.sf_daily}"
        )
        if kind == "late":
            self.faults.answer_late()
        return response

    def _dispatch(self, route: Route | None, call: Call, path_known: bool) -> Response:
        with self.state.lock:
            if self.state.sf_api_used >= self.limits.sf_daily:
                return sf_error(
                    403,
                    "REQUEST_LIMIT_EXCEEDED",
                    f"TotalRequests Limit exceeded. ({self.limits.sf_daily} per day)",
                )
            self.state.sf_api_used += 1
            if route is None:
                if path_known:
                    return sf_error(
                        405,
                        "METHOD_NOT_ALLOWED",
                        f"HTTP Method '{call.request.method}' not allowed.",
                    )
                return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
            try:
                return route.handler(call)
            except SfError as exc:
                return exc.response()
            except soql.SoqlError as exc:
                return sf_error(400, exc.code, str(exc))
            except BadJson as exc:
                return sf_error(400, "JSON_PARSER_ERROR", str(exc))
            except (TypeError, ValueError, AttributeError, KeyError) as exc:
                # JSON of the wrong shape (a list where an object belongs...): the client's fault.
                return sf_error(
                    400,
                    "JSON_PARSER_ERROR",
                    f"Invalid request: {exc!r} does not match the expected request shape",
                )

    def oauth_token(self, call: Call) -> Response:
        """POST /services/oauth2/token, grant_type=refresh_token: a fresh session id, or 400
        invalid_grant (as Salesforce answers) when the refresh token or client is wrong."""
        form = call.request.form
        if form.get("grant_type") != "refresh_token":
            return json_response(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant type not supported",
                },
                400,
            )
        if not (
            self.refresh_token
            and secrets.compare_digest(
                form.get("refresh_token", "").encode(), self.refresh_token.encode()
            )
        ):
            return json_response(
                {"error": "invalid_grant", "error_description": "expired access/refresh token"}, 400
            )
        if form.get("client_id") != self.client_id:
            return json_response(
                {"error": "invalid_client_id", "error_description": "client identifier invalid"},
                400,
            )
        with self.state.lock:
            self.session_id = new_session_id()
            self.state.credentials["session_id"] = self.session_id
            self.state.dirty = True
        host = call.request.host
        return json_response(
            {
                "access_token": self.session_id,
                "instance_url": f"https://{host}",
                "id": f"https://{host}/id/00D000000000001AAA/005000000000001AAA",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "signature": secrets.token_urlsafe(32),
                "scope": "api refresh_token",
            }
        )

    # ------------------------------------------------------------------ helpers
    def sobject(self, name: str) -> str:
        found = self.state.sf_object_name(name)
        if not found:
            raise SfError(
                404,
                "NOT_FOUND",
                f"The requested resource does not exist (sObject type '{name}' is not supported)",
            )
        return found

    def url(self, sobject: str, record_id: str) -> str:
        return f"{SF_DATA}/sobjects/{sobject}/{record_id}"

    def find_live(self, sobject: str, record_id: str) -> dict[str, Any]:
        if len(record_id) not in (15, 18) or not record_id.isalnum():
            raise SfError(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {record_id}",
            )
        record = self.state.sf_find(sobject, record_id)
        if record is None:
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        if record["IsDeleted"]:
            raise SfError(404, "ENTITY_IS_DELETED", "entity is deleted")
        return record

    def project(
        self, sobject: str, record: dict[str, Any], fields: list[str] | None = None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attributes": {"type": sobject, "url": self.url(sobject, record["Id"])}
        }
        names = fields or list(self.state.sf_schema[sobject])
        for name in names:
            self._project_path(sobject, record, name, out)
        return out

    def _project_path(
        self, sobject: str, record: dict[str, Any], path: str, out: dict[str, Any]
    ) -> None:
        head, _, rest = path.partition(".")
        if not rest:
            fld = self.state.sf_field(sobject, head)
            if fld is None:
                raise SfError(
                    400, "INVALID_FIELD", f"No such column '{head}' on entity '{sobject}'."
                )
            out[fld.name] = record.get(fld.name)
            return
        ref, parent_type = self._relationship(sobject, head)
        parent_id = record.get(ref.name)
        parent = self.state.sf_find(parent_type, parent_id) if parent_id else None
        if parent is None or parent_type is None:
            out.setdefault(ref.relationshipName or head, None)
            return
        holder = out.get(ref.relationshipName or head)
        if not isinstance(holder, dict):
            holder = {
                "attributes": {"type": parent_type, "url": self.url(parent_type, parent["Id"])}
            }
            out[ref.relationshipName or head] = holder
        self._project_path(parent_type, parent, rest, holder)

    def _relationship(self, sobject: str, name: str) -> tuple[SFField, str]:
        for fld in self.state.sf_schema[sobject].values():
            if fld.relationshipName and fld.relationshipName.lower() == name.lower():
                return fld, fld.referenceTo[0]
        raise SfError(
            400,
            "INVALID_FIELD",
            f"Didn't understand relationship '{name}' in field "
            f"path. If you are attempting to use a custom relationship, be sure to "
            "append the '__r' after the custom relationship name.",
        )

    def field_value(self, sobject: str, record: dict[str, Any], path: str) -> tuple[Any, str]:
        head, _, rest = path.partition(".")
        if not rest:
            fld = self.state.sf_field(sobject, head)
            if fld is None:
                raise SfError(
                    400, "INVALID_FIELD", f"No such column '{head}' on entity '{sobject}'."
                )
            return record.get(fld.name), fld.type
        ref, parent_type = self._relationship(sobject, head)
        parent_id = record.get(ref.name)
        parent = self.state.sf_find(parent_type, parent_id) if parent_id else None
        if parent is None:
            _, field_type = self.field_value(parent_type, {}, rest)
            return None, field_type
        return self.field_value(parent_type, parent, rest)

    def body(self, call: Call) -> dict[str, Any]:
        data = read_json(call.request)
        if not isinstance(data, dict):
            raise BadJson("Expected a JSON object with field values")
        return data

    # ------------------------------------------------------------------ metadata
    def limits_(self, call: Call) -> Response:
        used = self.state.sf_api_used
        return json_response(
            {
                "DailyApiRequests": {
                    "Max": self.limits.sf_daily,
                    "Remaining": max(0, self.limits.sf_daily - used),
                },
                "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
                "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
                "DataStorageMB": {"Max": 1024, "Remaining": 1000},
            }
        )

    def describe_global(self, call: Call) -> Response:
        return json_response(
            {
                "encoding": "UTF-8",
                "maxBatchSize": MAX_COLLECTION,
                "sobjects": [self._object_summary(name) for name in self.state.sf_schema],
            }
        )

    def _object_summary(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "label": name,
            "keyPrefix": SF_PREFIXES[name],
            "custom": False,
            "queryable": True,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "urls": {
                "sobject": f"{SF_DATA}/sobjects/{name}",
                "describe": f"{SF_DATA}/sobjects/{name}/describe",
            },
        }

    def sobject_info(self, call: Call) -> Response:
        sobject = self.sobject(call.params["sobject"])
        return json_response({"objectDescribe": self._object_summary(sobject), "recentItems": []})

    def describe(self, call: Call) -> Response:
        sobject = self.sobject(call.params["sobject"])
        return json_response(
            {
                **self._object_summary(sobject),
                "fields": [f.describe() for f in self.state.sf_schema[sobject].values()],
            }
        )

    def tooling_create_field(self, call: Call) -> Response:
        body = self.body(call)
        full_name = str(body.get("FullName") or "")
        metadata = body.get("Metadata")
        sobject_name, _, field_name = full_name.partition(".")
        sobject = self.state.sf_object_name(sobject_name)
        if not sobject or not field_name:
            raise SfError(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                f"FullName must be Object.Field__c on an existing object, got {full_name!r}",
                ["FullName"],
            )
        if not field_name.endswith("__c") or not field_name[:-3].replace("_", "").isalnum():
            raise SfError(
                400,
                "INVALID_FIELD",
                f"Custom field names must end in __c and use "
                f"letters, digits and underscores: {field_name!r}",
                ["FullName"],
            )
        if not isinstance(metadata, dict) or metadata.get("type") not in TOOLING_TYPES:
            raise SfError(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                f"Metadata.type must be one of {', '.join(TOOLING_TYPES)}",
                ["Metadata"],
            )
        if self.state.sf_field(sobject, field_name):
            raise SfError(
                400,
                "DUPLICATE_DEVELOPER_NAME",
                f"This field name is already in use on {sobject}: {field_name}",
                ["FullName"],
            )
        declare_sf_field(self.state, sobject, field_name, metadata)
        self.state.dirty = True
        field_id = self.state.new_sf_id_with_prefix("00N")
        return json_response(
            {"id": field_id, "success": True, "errors": [], "warnings": [], "infos": []}, 201
        )
