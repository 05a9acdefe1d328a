"""The HubSpot side (CRM v3 objects/properties/owners, v4 associations), as
hubspot-api-client 12 calls it.

Bearer token, rate limits (rolling 10 s, daily, search per second) with HubSpot's
headers and 429 bodies, property validation against declared properties (unknown and
read-only properties refused, unique values enforced), batch endpoints with their
100-input limit and 207 multi-status, search with its filter limits, and directional
association type ids.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.wrappers import Response

from enrich.sync.sandbox.faults import FaultInjector, Limits, Window
from enrich.sync.sandbox.routing import (
    BadJson,
    Call,
    Route,
    Router,
    empty,
    json_response,
    read_json,
)
from enrich.sync.sandbox.schema import (
    HS_ASSOCIATION_TYPES,
    HS_FIELD_TYPES,
    HS_LASTMODIFIED,
    HS_OBJECT_TYPES,
    HS_READ_ONLY,
    HS_SINGULAR,
    HS_TYPES,
    association_name,
    association_target,
    hs_property,
)
from enrich.sync.sandbox.state import SandboxState, hs_format, parse_datetime

MAX_BATCH = 100
MAX_PAGE = 100
MAX_SEARCH_LIMIT = 200
MAX_SEARCH_RESULTS = 10_000
_DEFAULT_PROPS = {
    "contacts": ["firstname", "lastname", "email"],
    "companies": ["name", "domain"],
    "deals": ["dealname", "amount", "dealstage", "pipeline", "closedate"],
    "notes": [],
}
_QUERY_PROPS = ["firstname", "lastname", "email", "company", "phone", "name", "domain",
                "dealname"]
_OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "notes": "0-46"}


class HsError(Exception):
    """An error answered with HubSpot's JSON error body."""

    def __init__(self, status: int, category: str, message: str,
                 errors: list[dict[str, Any]] | None = None,
                 context: dict[str, Any] | None = None, sub_category: str | None = None):
        super().__init__(message)
        self.status, self.category, self.message = status, category, message
        self.errors, self.context, self.sub_category = errors, context, sub_category

    def response(self) -> Response:
        body: dict[str, Any] = {"status": "error", "message": self.message,
                                "correlationId": str(uuid.uuid4()), "category": self.category}
        if self.sub_category:
            body["subCategory"] = self.sub_category
        if self.errors:
            body["errors"] = self.errors
        if self.context:
            body["context"] = self.context
        return json_response(body, self.status)


def _now_iso() -> str:
    return hs_format(datetime.now(tz=UTC))


class HubSpotApi:
    side = "hubspot"

    def __init__(self, state: SandboxState, faults: FaultInjector, limits: Limits,
                 token: str) -> None:
        self.state, self.faults, self.limits, self.token = state, faults, limits, token
        self.burst = Window(10.0)
        self.search_window = Window(1.0)
        self.router = Router()
        self._routes()

    def _routes(self) -> None:
        add = self.router.add
        o = "/crm/v3/objects/{object_type}"
        for action in ("read", "create", "update", "upsert", "archive"):
            add("POST", f"{o}/batch/{action}", getattr(self, f"batch_{action}"))
        add("POST", f"{o}/search", self.search)
        add("POST", f"{o}/merge", self.merge)
        add("GET", o, self.get_page)
        add("POST", o, self.create)
        add("GET", f"{o}/{{object_id}}", self.get_by_id)
        add("PATCH", f"{o}/{{object_id}}", self.update)
        add("DELETE", f"{o}/{{object_id}}", self.archive)
        add("POST", "/crm/v4/associations/{object_type}/{to_object_type}/batch/create",
            self.associate_batch)
        a = "/crm/v4/objects/{object_type}/{object_id}/associations"
        add("GET", f"{a}/{{to_object_type}}", self.associations_page)
        add("PUT", f"{a}/default/{{to_object_type}}/{{to_object_id}}", self.associate_default)
        add("PUT", f"{a}/{{to_object_type}}/{{to_object_id}}", self.associate)
        add("DELETE", f"{a}/{{to_object_type}}/{{to_object_id}}", self.dissociate)
        p = "/crm/v3/properties/{object_type}"
        add("GET", f"{p}/groups", self.groups_list)
        add("POST", f"{p}/groups", self.groups_create)
        add("GET", f"{p}/groups/{{group_name}}", self.groups_get)
        add("GET", p, self.properties_list)
        add("POST", p, self.properties_create)
        add("GET", f"{p}/{{property_name}}", self.properties_get)
        add("PATCH", f"{p}/{{property_name}}", self.properties_update)
        add("DELETE", f"{p}/{{property_name}}", self.properties_archive)
        add("GET", "/crm/v3/owners", self.owners_list)
        add("GET", "/crm/v3/owners/{owner_id}", self.owners_get)

    # ------------------------------------------------------------------ plumbing
    def authorized(self, call: Call) -> bool:
        scheme, _, token = call.request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(
            token.strip().encode(), self.token.encode())

    @staticmethod
    def rate_limited(policy: str, retry_after: float) -> Response:
        window = {"TEN_SECONDLY_ROLLING": "ten_secondly_rolling", "DAILY": "daily",
                  "SECONDLY": "secondly"}[policy]
        response = json_response({
            "status": "error", "message": f"You have reached your {window} limit.",
            "errorType": "RATE_LIMIT", "correlationId": str(uuid.uuid4()),
            "policyName": policy, "requestId": uuid.uuid4().hex,
        }, 429)
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
        return response

    def fault_response(self, kind: str) -> Response:
        if kind == "429":
            return self.rate_limited("TEN_SECONDLY_ROLLING", self.faults.faults.retry_after_s)
        if kind == "401":
            return HsError(401, "EXPIRED_AUTHENTICATION", "The OAuth token used to make this "
                           "call expired 0 second(s) ago.").response()
        return HsError(503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable; "
                       "please retry.").response()

    def handle(self, route: Route | None, call: Call, path_known: bool) -> Response:
        """Faults, then the token, then the rate limits, then the endpoint."""
        is_search = route is not None and route.template.endswith("/search")
        kind, delay = self.faults.draw()
        if delay:
            time.sleep(delay)
        if kind == "lost":
            self.faults.answer_late()
        if kind and kind not in ("late", "lost"):
            response = self.fault_response(kind)
        elif not self.authorized(call):
            response = HsError(401, "INVALID_AUTHENTICATION", "Authentication credentials not "
                               "found. This API supports OAuth 2.0 authentication and you can "
                               "find more details at https://developers.hubspot.com/docs/"
                               "methods/auth/oauth-overview").response()
        else:
            with self.state.lock:
                response = self._limited(route, call, path_known, is_search)
        if not is_search:  # search answers carry no rate-limit headers, as in production
            with self.state.lock:
                used = self.burst.count()
                response.headers.update({
                    "X-HubSpot-RateLimit-Max": str(self.limits.hs_ten_secondly),
                    "X-HubSpot-RateLimit-Remaining": str(max(0, self.limits.hs_ten_secondly
                                                             - used)),
                    "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
                    "X-HubSpot-RateLimit-Daily": str(self.limits.hs_daily),
                    "X-HubSpot-RateLimit-Daily-Remaining": str(max(
                        0, self.limits.hs_daily - self.state.hs_daily_used)),
                })
        if kind == "late":
            self.faults.answer_late()
        return response

    def _limited(self, route: Route | None, call: Call, path_known: bool,
                 is_search: bool) -> Response:
        if self.state.hs_daily_used >= self.limits.hs_daily:
            return self.rate_limited("DAILY", 3600)
        if is_search:
            if self.search_window.count() >= self.limits.hs_search_per_second:
                return self.rate_limited("SECONDLY", self.search_window.retry_after())
            self.search_window.hit()
        else:
            if self.burst.count() >= self.limits.hs_ten_secondly:
                return self.rate_limited("TEN_SECONDLY_ROLLING", self.burst.retry_after())
            self.burst.hit()
        self.state.hs_daily_used += 1
        if route is None:
            return HsError(405 if path_known else 404, "OBJECT_NOT_FOUND" if not path_known
                           else "VALIDATION_ERROR", "Not found." if not path_known
                           else f"Method {call.request.method} is not allowed here.").response()
        try:
            return route.handler(call)
        except HsError as exc:
            return exc.response()
        except BadJson as exc:
            return HsError(400, "VALIDATION_ERROR", f"Invalid input JSON: {exc}").response()
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            # JSON of the wrong shape (a number where an object belongs...): the client's fault.
            return HsError(400, "VALIDATION_ERROR", f"Invalid input: {exc!r} does not match the "
                           "expected request shape").response()

    # ------------------------------------------------------------------ helpers
    def object_type(self, call: Call) -> str:
        name = call.params["object_type"]
        found = HS_OBJECT_TYPES.get(name.lower())
        if not found:
            raise HsError(400, "VALIDATION_ERROR", f"Unable to infer object type from: {name}")
        return found

    def body(self, call: Call) -> dict[str, Any]:
        data = read_json(call.request)
        if not isinstance(data, dict):
            raise BadJson("expected a JSON object")
        return data

    def find(self, object_type: str, object_id: str, id_property: str | None = None
             ) -> dict[str, Any] | None:
        objects = self.state.hs_objects[object_type]
        if id_property and id_property != "hs_object_id":
            wanted = object_id.casefold()
            for record in objects.values():
                value = record["properties"].get(id_property)
                if not record["archived"] and value is not None and value.casefold() == wanted:
                    return record
            return None
        found = objects.get(object_id)
        return None if found is None or found["archived"] else found

    def not_found(self, object_id: str) -> HsError:
        return HsError(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually "
                       "numeric.", context={"id": [object_id]})

    def out(self, object_type: str, record: dict[str, Any], properties: list[str] | None,
            associations: list[str] | None = None) -> dict[str, Any]:
        known = self.state.hs_properties[object_type]
        names = [p for p in (properties or _DEFAULT_PROPS[object_type]) if p in known]
        names += ["createdate", HS_LASTMODIFIED[object_type], "hs_object_id"]
        props = {n: record["properties"].get(n) for n in dict.fromkeys(names)}
        data: dict[str, Any] = {"id": record["id"], "properties": props,
                                "createdAt": record["createdAt"],
                                "updatedAt": record["updatedAt"],
                                "archived": record["archived"]}
        if record["archived"]:
            data["archivedAt"] = record.get("archivedAt")
        if associations:
            assoc: dict[str, Any] = {}
            for to_name in associations:
                to_type = HS_OBJECT_TYPES.get(to_name.lower())
                if not to_type:
                    continue
                results = [{"id": to_id, "type": association_name(object_type, to_type, tid)}
                           for (f, fid, t, to_id, tid) in sorted(self.state.hs_associations)
                           if f == object_type and fid == record["id"] and t == to_type
                           and self.find(to_type, to_id)]
                if results:
                    assoc[to_type] = {"results": results}
            if assoc:
                data["associations"] = assoc
        return data

    def list_arg(self, call: Call, name: str) -> list[str]:
        # hubspot-api-client repeats list params; other clients send comma-separated lists.
        return [v for raw in call.request.args.getlist(name) for v in raw.split(",") if v]

    def check_properties(self, object_type: str, values: Any,
                         record: dict[str, Any] | None) -> dict[str, str | None]:
        """Validate property values; raises 400 VALIDATION_ERROR listing every bad one."""
        if not isinstance(values, dict):
            raise HsError(400, "VALIDATION_ERROR", "properties must be an object of strings")
        defs = self.state.hs_properties[object_type]
        clean: dict[str, str | None] = {}
        problems: list[dict[str, Any]] = []
        for name, value in values.items():
            definition = defs.get(name)
            if definition is None or definition.get("archived"):
                problems.append({"isValid": False, "message": f'Property "{name}" does not '
                                 "exist", "error": "PROPERTY_DOESNT_EXIST", "name": name})
                continue
            if definition["modificationMetadata"]["readOnlyValue"]:
                problems.append({"isValid": False, "message": f'"{name}" is a read only '
                                 "property; its value cannot be set.", "error": "READ_ONLY_VALUE",
                                 "name": name})
                continue
            try:
                clean[name] = self.coerce(definition, value)
            except ValueError as exc:
                code = {"number": "INVALID_DECIMAL", "datetime": "INVALID_DATE",
                        "date": "INVALID_DATE", "bool": "INVALID_BOOLEAN",
                        "enumeration": "INVALID_OPTION"}.get(definition["type"], "INVALID_VALUE")
                problems.append({"isValid": False, "message": str(exc), "error": code,
                                 "name": name})
        if problems:
            raise HsError(
                400, "VALIDATION_ERROR", f"Property values were not valid: {json.dumps(problems)}",
                errors=[{"message": p["message"], "code": p["error"],
                         "context": {"propertyName": [p["name"]]}} for p in problems])
        self.check_unique(object_type, clean, record)
        return clean

    def coerce(self, definition: dict[str, Any], value: Any) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, dict | list):
            raise ValueError(f"{value!r} is not a valid value for property "
                             f"\"{definition['name']}\"")
        text = str(value).lower() if isinstance(value, bool) else str(value)
        kind, name = definition["type"], definition["name"]
        if kind == "number":
            try:
                number = float(text)
            except ValueError:
                raise ValueError(f'"{text}" is not a valid number value for property '
                                 f'"{name}"') from None
            if not math.isfinite(number):
                raise ValueError(f'"{text}" is not a valid number value for property "{name}"')
            return text
        if kind in ("datetime", "date"):
            try:
                moment = (datetime.fromtimestamp(int(text) / 1000, tz=UTC) if text.isdigit()
                          else parse_datetime(text))
            except (ValueError, OverflowError):
                raise ValueError(f'"{text}" is not a valid datetime for property "{name}"; '
                                 "send epoch milliseconds or ISO 8601") from None
            if kind == "date":
                if moment.time() != datetime.min.time():
                    raise ValueError(f'"{text}" is not at midnight UTC, required for date '
                                     f'property "{name}"')
                return moment.date().isoformat()
            return hs_format(moment)
        if kind == "bool":
            if text.lower() not in ("true", "false"):
                raise ValueError(f'"{text}" is not a valid boolean for property "{name}"')
            return text.lower()
        if name == "hubspot_owner_id":
            if not any(o["id"] == text for o in self.state.hs_owners):
                raise ValueError(f'"{text}" is not a valid owner id')
            return text
        if kind == "enumeration" and definition["options"]:
            allowed = {o["value"] for o in definition["options"]}
            for part in text.split(";"):
                if part not in allowed:
                    raise ValueError(f'"{part}" was not one of the allowed options: '
                                     f"{sorted(allowed)}")
        if len(text) > 65536:
            raise ValueError(f'value of property "{name}" is longer than 65536 characters')
        return text

    def check_unique(self, object_type: str, clean: dict[str, str | None],
                     record: dict[str, Any] | None) -> None:
        defs = self.state.hs_properties[object_type]
        for name, value in clean.items():
            if value is None or not defs[name].get("hasUniqueValue"):
                continue
            holder = self.find(object_type, value, name)
            if holder is not None and holder is not record:
                message = (f"{HS_SINGULAR[object_type].capitalize()} already exists. Existing "
                           f"ID: {holder['id']}" if name == "email" else
                           f'A {HS_SINGULAR[object_type]} with the same value "{value}" for '
                           f'unique property "{name}" already exists. Existing ID: '
                           f"{holder['id']}")
                raise HsError(409, "CONFLICT", message,
                              context={"propertyName": [name], "id": [holder["id"]]})

    def write(self, object_type: str, record: dict[str, Any] | None,
              clean: dict[str, str | None]) -> dict[str, Any]:
        if record is None:
            return self.state.hs_insert(object_type, clean)
        stamp = hs_format(self.state.now())
        for name, value in clean.items():
            if value is None:
                record["properties"].pop(name, None)
            else:
                record["properties"][name] = value
        record["properties"][HS_LASTMODIFIED[object_type]] = record["updatedAt"] = stamp
        self.state.dirty = True
        return record

    def check_associations(self, object_type: str, specs: Any) -> list[tuple[str, str, int]]:
        """Validate `associations` of a create input: [(to_type, to_id, type_id)]."""
        if specs is None:
            return []
        if not isinstance(specs, list):
            raise HsError(400, "VALIDATION_ERROR", "associations must be a list")
        edges = []
        for spec in specs:
            to_id = str(((spec or {}).get("to") or {}).get("id") or "")
            types = (spec or {}).get("types") or []
            if not to_id or not types:
                raise HsError(400, "VALIDATION_ERROR", "each association needs to.id and types")
            for kind in types:
                type_id = int(kind.get("associationTypeId") or 0)
                category = kind.get("associationCategory")
                to_type = association_target(object_type, type_id)
                if category != "HUBSPOT_DEFINED" or to_type is None:
                    raise HsError(400, "VALIDATION_ERROR", f"{category} association type id "
                                  f"{type_id} is not valid from {object_type}; association "
                                  "type ids are directional",
                                  errors=[{"message": "invalid association type",
                                           "code": "INVALID_ASSOCIATION_TYPE",
                                           "context": {"typeId": [str(type_id)]}}])
                if self.find(to_type, to_id) is None:
                    raise HsError(400, "VALIDATION_ERROR", f"{HS_SINGULAR[to_type]} {to_id} "
                                  "does not exist; cannot associate", context={"id": [to_id]})
                edges.append((to_type, to_id, type_id))
        return edges

    def create_one(self, object_type: str, item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise HsError(400, "VALIDATION_ERROR", "each input must be an object")
        clean = self.check_properties(object_type, item.get("properties") or {}, None)
        if object_type == "notes" and not clean.get("hs_timestamp"):
            raise HsError(400, "VALIDATION_ERROR", "hs_timestamp is required to create a note",
                          errors=[{"message": "hs_timestamp is required", "code":
                                   "REQUIRED_PROPERTY", "context": {"propertyName":
                                                                    ["hs_timestamp"]}}])
        edges = self.check_associations(object_type, item.get("associations"))
        record = self.write(object_type, None, clean)
        for to_type, to_id, type_id in edges:
            self.state.hs_associate(object_type, record["id"], to_type, to_id, type_id)
        return record

    def inputs(self, body: dict[str, Any]) -> list[Any]:
        items = body.get("inputs")
        if not isinstance(items, list):
            raise HsError(400, "VALIDATION_ERROR", "inputs must be a list")
        if not all(isinstance(item, dict) for item in items):
            raise HsError(400, "VALIDATION_ERROR", "every input must be a JSON object")
        if len(items) > MAX_BATCH:
            raise HsError(400, "VALIDATION_ERROR", f"Batch input has {len(items)} inputs; the "
                          f"limit is {MAX_BATCH}", context={"inputs": [str(len(items))]})
        return items

    @staticmethod
    def batch_response(results: list[dict[str, Any]], missing: list[str], object_type: str,
                       status: int = 200) -> Response:
        stamp = _now_iso()
        body: dict[str, Any] = {"status": "COMPLETE", "results": results, "requestedAt": stamp,
                                "startedAt": stamp, "completedAt": stamp}
        if missing:
            body["numErrors"] = 1
            body["errors"] = [{
                "status": "error", "category": "OBJECT_NOT_FOUND",
                "message": f"Could not get some {HS_SINGULAR[object_type].upper()} objects, "
                "they may be deleted or not exist. Check that ids are valid.",
                "context": {"ids": missing}, "links": {}, "errors": [],
            }]
            status = 207
        return json_response(body, status)

    # ------------------------------------------------------------------ basic
    def get_by_id(self, call: Call) -> Response:
        object_type = self.object_type(call)
        id_property = call.request.args.get("idProperty")
        record = self.find(object_type, call.params["object_id"], id_property)
        if record is None and _bool_arg(call, "archived"):
            found = self.state.hs_objects[object_type].get(call.params["object_id"])
            record = found if found and found["archived"] else None
        if record is None:
            raise self.not_found(call.params["object_id"])
        return json_response(self.out(object_type, record, self.list_arg(call, "properties"),
                                      self.list_arg(call, "associations")))

    def get_page(self, call: Call) -> Response:
        object_type = self.object_type(call)
        limit = _int_arg(call, "limit", 10)
        if not 1 <= limit <= MAX_PAGE:
            raise HsError(400, "VALIDATION_ERROR", f"limit must be between 1 and {MAX_PAGE}")
        after = call.request.args.get("after")
        archived = _bool_arg(call, "archived")
        records = sorted((r for r in self.state.hs_objects[object_type].values()
                          if r["archived"] == archived), key=lambda r: int(r["id"]))
        if after:
            if not after.isdigit():
                raise HsError(400, "VALIDATION_ERROR", f"after must be a paging cursor, got "
                              f"{after!r}")
            records = [r for r in records if int(r["id"]) > int(after)]
        page = records[:limit]
        body: dict[str, Any] = {"results": [
            self.out(object_type, r, self.list_arg(call, "properties"),
                     self.list_arg(call, "associations")) for r in page]}
        if len(records) > limit:
            cursor = page[-1]["id"]
            base = call.request.host_url.rstrip("/")
            link = f"{base}/crm/v3/objects/{object_type}?after={cursor}&limit={limit}"
            if archived:
                link += "&archived=true"
            body["paging"] = {"next": {"after": cursor, "link": link}}
        return json_response(body)

    def create(self, call: Call) -> Response:
        object_type = self.object_type(call)
        record = self.create_one(object_type, self.body(call))
        return json_response(self.out(object_type, record, list(record["properties"])), 201)

    def update(self, call: Call) -> Response:
        object_type = self.object_type(call)
        record = self.find(object_type, call.params["object_id"],
                           call.request.args.get("idProperty"))
        if record is None:
            raise self.not_found(call.params["object_id"])
        clean = self.check_properties(object_type, self.body(call).get("properties") or {},
                                      record)
        self.write(object_type, record, clean)
        return json_response(self.out(object_type, record, list(record["properties"])))

    def archive(self, call: Call) -> Response:
        object_type = self.object_type(call)
        record = self.find(object_type, call.params["object_id"])
        if record is not None:
            self._archive(record)
        return empty(204)

    def merge(self, call: Call) -> Response:
        """POST /crm/v3/objects/{type}/merge {primaryObjectId, objectIdToMerge}: the primary
        keeps its values (the other fills its blanks), lists the merged id in
        `hs_merged_object_ids`, takes over the associations; the other is gone (archived)."""
        object_type = self.object_type(call)
        body = self.body(call)
        primary = self.find(object_type, str(body.get("primaryObjectId") or ""))
        other = self.find(object_type, str(body.get("objectIdToMerge") or ""))
        if primary is None or other is None or primary is other:
            raise HsError(400, "VALIDATION_ERROR", "primaryObjectId and objectIdToMerge must be "
                          "two different existing objects")
        props, extra = primary["properties"], other["properties"]
        merged = [i for i in (props.get("hs_merged_object_ids") or "").split(";") if i]
        merged += [other["id"], *[i for i in (extra.get("hs_merged_object_ids") or "").split(";")
                                  if i]]
        for name, value in extra.items():
            if name not in HS_READ_ONLY and value not in (None, "") and not props.get(name):
                props[name] = value
        props["hs_merged_object_ids"] = ";".join(dict.fromkeys(merged))
        self.state.hs_associations = {
            (f, primary["id"] if (f == object_type and fid == other["id"]) else fid, t,
             primary["id"] if (t == object_type and tid == other["id"]) else tid, type_id)
            for f, fid, t, tid, type_id in self.state.hs_associations}
        self._archive(other)
        self.write(object_type, primary, {})
        return json_response(self.out(object_type, primary, list(props)))

    def _archive(self, record: dict[str, Any]) -> None:
        record["archived"] = True
        record["archivedAt"] = record["updatedAt"] = hs_format(self.state.now())
        self.state.dirty = True

    # ------------------------------------------------------------------ batch
    def batch_read(self, call: Call) -> Response:
        object_type = self.object_type(call)
        body = self.body(call)
        items = self.inputs(body)
        if body.get("propertiesWithHistory") and len(items) > 50:
            raise HsError(400, "VALIDATION_ERROR", "Batch read with propertiesWithHistory is "
                          "limited to 50 inputs")
        id_property = body.get("idProperty")
        results, missing = [], []
        for item in items:
            object_id = str((item or {}).get("id") or "")
            record = self.find(object_type, object_id, id_property)
            if record is None:
                missing.append(object_id)
            else:
                results.append(self.out(object_type, record, body.get("properties") or None))
        return self.batch_response(results, missing, object_type)

    def batch_create(self, call: Call) -> Response:
        object_type = self.object_type(call)
        items = self.inputs(self.body(call))
        # Validate every input before writing any: HubSpot fails a bad batch as a whole.
        for item in items:
            self.check_properties(object_type, (item or {}).get("properties") or {}, None)
        self._no_unique_clash_within(object_type, [(i or {}).get("properties") or {}
                                                   for i in items])
        records = [self.create_one(object_type, item) for item in items]
        return self.batch_response([self.out(object_type, r, list(r["properties"]))
                                    for r in records], [], object_type, 201)

    def _no_unique_clash_within(self, object_type: str, props: list[dict[str, Any]]) -> None:
        defs = self.state.hs_properties[object_type]
        for name, definition in defs.items():
            if not definition.get("hasUniqueValue"):
                continue
            values = [str(p[name]).casefold() for p in props if p.get(name)]
            if len(values) != len(set(values)):
                raise HsError(409, "CONFLICT", f"Duplicate values for unique property {name} "
                              "within the batch", context={"propertyName": [name]})

    def batch_update(self, call: Call) -> Response:
        object_type = self.object_type(call)
        items = self.inputs(self.body(call))
        ids = [str((i or {}).get("id") or "") for i in items]
        if len(set(ids)) != len(ids):
            raise HsError(400, "VALIDATION_ERROR", "Duplicate IDs found in batch input: "
                          f"{sorted({i for i in ids if ids.count(i) > 1})}")
        plan, missing = [], []
        for item in items:
            item = item or {}
            record = self.find(object_type, str(item.get("id") or ""), item.get("idProperty"))
            clean = self.check_properties(object_type, item.get("properties") or {}, record)
            if record is None:
                missing.append(str(item.get("id") or ""))
            else:
                plan.append((record, clean))
        self._no_unique_clash_within(object_type, [c for _, c in plan])
        for record, clean in plan:
            self.write(object_type, record, clean)
        return self.batch_response([self.out(object_type, r, list(r["properties"]))
                                    for r, _ in plan], missing, object_type)

    def batch_upsert(self, call: Call) -> Response:
        object_type = self.object_type(call)
        items = self.inputs(self.body(call))
        defs = self.state.hs_properties[object_type]
        plan = []
        for item in items:
            item = item or {}
            id_property, value = item.get("idProperty"), str(item.get("id") or "")
            if not id_property or not defs.get(id_property, {}).get("hasUniqueValue"):
                raise HsError(400, "VALIDATION_ERROR", f"idProperty {id_property!r} is not a "
                              "unique-value property; upsert needs email or a property created "
                              "with hasUniqueValue")
            if not value:
                raise HsError(400, "VALIDATION_ERROR", "each upsert input needs an id value")
            record = self.find(object_type, value, id_property)
            props = {k: v for k, v in (item.get("properties") or {}).items() if k != id_property}
            clean = self.check_properties(object_type, {**props, id_property: value}, record)
            plan.append((record, clean))
        self._no_unique_clash_within(object_type, [c for _, c in plan])
        results = []
        for record, clean in plan:
            saved = self.write(object_type, record, clean)
            results.append({**self.out(object_type, saved, list(saved["properties"])),
                            "new": record is None})
        return self.batch_response(results, [], object_type)

    def batch_archive(self, call: Call) -> Response:
        object_type = self.object_type(call)
        for item in self.inputs(self.body(call)):
            record = self.find(object_type, str((item or {}).get("id") or ""))
            if record is not None:
                self._archive(record)
        return empty(204)

    # ------------------------------------------------------------------ search
    def search(self, call: Call) -> Response:
        object_type = self.object_type(call)
        body = self.body(call)
        limit = int(body.get("limit") or 10)
        after = int(body.get("after") or 0)
        if not 0 < limit <= MAX_SEARCH_LIMIT:
            raise HsError(400, "VALIDATION_ERROR", f"limit must be between 1 and "
                          f"{MAX_SEARCH_LIMIT}")
        if after + limit > MAX_SEARCH_RESULTS:
            raise HsError(400, "VALIDATION_ERROR", f"Search can page through at most "
                          f"{MAX_SEARCH_RESULTS} results")
        groups = body.get("filterGroups") or []
        if body.get("filters"):
            groups = [*groups, {"filters": body["filters"]}]
        if not isinstance(groups, list) or not all(
                isinstance(g, dict) and isinstance(g.get("filters") or [], list)
                and all(isinstance(f, dict) for f in g.get("filters") or []) for g in groups):
            raise HsError(400, "VALIDATION_ERROR", "filterGroups must be a list of "
                          '{"filters": [{"propertyName", "operator", "value"}]}')
        if len(groups) > 5 or any(len(g.get("filters") or []) > 6 for g in groups) or sum(
                len(g.get("filters") or []) for g in groups) > 18:
            raise HsError(400, "VALIDATION_ERROR", "Search is limited to 5 filterGroups, 6 "
                          "filters per group and 18 filters in all")
        defs = self.state.hs_properties[object_type]
        for group in groups:
            for flt in group.get("filters") or []:
                if flt.get("propertyName") not in defs:
                    raise HsError(400, "VALIDATION_ERROR", f"There is no property named "
                                  f"{flt.get('propertyName')!r} on {object_type}")
        rows = [r for r in self.state.hs_objects[object_type].values() if not r["archived"]]
        if self.limits.hs_search_lag_ms:
            indexed = hs_format(datetime.now(tz=UTC) - timedelta(
                milliseconds=self.limits.hs_search_lag_ms))
            rows = [r for r in rows if r["createdAt"] <= indexed]  # one format: text order works
        if groups:
            rows = [r for r in rows if any(all(self._filter(defs, r, f) for f in
                                               g.get("filters") or []) for g in groups)]
        query = str(body.get("query") or "").casefold().strip()
        if query:
            rows = [r for r in rows if any(query in str(r["properties"].get(p) or "").casefold()
                                           for p in _QUERY_PROPS)]
        rows.sort(key=lambda r: int(r["id"]))
        for sort in reversed(body.get("sorts") or []):
            if isinstance(sort, str):
                name, desc = sort.lstrip("-"), sort.startswith("-")
            else:
                name = sort.get("propertyName")
                desc = str(sort.get("direction", "ASCENDING")).upper() == "DESCENDING"
            definition = defs.get(name)
            if definition is None:
                raise HsError(400, "VALIDATION_ERROR", f"Cannot sort by unknown property {name}")
            present = [r for r in rows if r["properties"].get(name) is not None]
            absent = [r for r in rows if r["properties"].get(name) is None]
            def sort_key(r: dict[str, Any], d: dict[str, Any] = definition) -> Any:
                return _comparable(d, r["properties"][d["name"]])

            present.sort(key=sort_key, reverse=desc)
            rows = present + absent
        page = rows[after:after + limit]
        result: dict[str, Any] = {"total": len(rows), "results": [
            self.out(object_type, r, body.get("properties") or None) for r in page]}
        if after + limit < len(rows):
            result["paging"] = {"next": {"after": str(after + limit)}}
        return json_response(result)

    def _filter(self, defs: dict[str, Any], record: dict[str, Any], flt: dict[str, Any]) -> bool:
        name, op = str(flt.get("propertyName")), str(flt.get("operator") or "EQ").upper()
        definition = defs[name]
        stored = record["properties"].get(name)
        if op == "HAS_PROPERTY":
            return stored is not None
        if op == "NOT_HAS_PROPERTY":
            return stored is None
        if op in ("IN", "NOT_IN"):
            values = flt.get("values")
            if not isinstance(values, list):
                raise HsError(400, "VALIDATION_ERROR", f"{op} needs a values list")
            wanted = {_comparable(definition, str(v)) for v in values}
            found = stored is not None and _comparable(definition, stored) in wanted
            return found if op == "IN" else not found
        value = flt.get("value")
        if value is None:
            raise HsError(400, "VALIDATION_ERROR", f"filter on {name} with {op} needs a value")
        if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            found = stored is not None and _token_match(str(value), stored)
            return found if op == "CONTAINS_TOKEN" else not found
        if op == "NEQ":
            return stored is None or _comparable(definition, stored) != _comparable(
                definition, str(value))
        if stored is None:
            return False
        try:
            left, right = _comparable(definition, stored), _comparable(definition, str(value))
            if op == "EQ":
                return bool(left == right)
            if op == "GT":
                return bool(left > right)
            if op == "GTE":
                return bool(left >= right)
            if op == "LT":
                return bool(left < right)
            if op == "LTE":
                return bool(left <= right)
            if op == "BETWEEN":
                high = _comparable(definition, str(flt.get("highValue")))
                return bool(right <= left <= high)
        except TypeError:
            return False
        raise HsError(400, "VALIDATION_ERROR", f"Unknown filter operator {op}")

    # ------------------------------------------------------------------ associations v4
    def _assoc_source(self, call: Call) -> tuple[str, str, str]:
        object_type = self.object_type(call)
        to_type = HS_OBJECT_TYPES.get(call.params["to_object_type"].lower())
        if not to_type or (object_type, to_type) not in HS_ASSOCIATION_TYPES:
            raise HsError(400, "VALIDATION_ERROR", f"No associations between {object_type} "
                          f"and {call.params['to_object_type']}")
        if self.find(object_type, call.params["object_id"]) is None:
            raise self.not_found(call.params["object_id"])
        return object_type, call.params["object_id"], to_type

    def associations_page(self, call: Call) -> Response:
        object_type, object_id, to_type = self._assoc_source(call)
        grouped: dict[str, list[int]] = {}
        for f, fid, t, to_id, type_id in sorted(self.state.hs_associations):
            if f == object_type and fid == object_id and t == to_type and self.find(t, to_id):
                grouped.setdefault(to_id, []).append(type_id)
        ordered = sorted(grouped, key=int)
        after = call.request.args.get("after")
        if after:
            ordered = [i for i in ordered if int(i) > int(after)]
        limit = _int_arg(call, "limit", 500)
        body: dict[str, Any] = {"results": [
            {"toObjectId": int(to_id), "associationTypes": [
                {"category": "HUBSPOT_DEFINED", "typeId": t, "label": None}
                for t in grouped[to_id]]} for to_id in ordered[:limit]]}
        if len(ordered) > limit:
            body["paging"] = {"next": {"after": ordered[limit - 1]}}
        return json_response(body)

    def associate(self, call: Call) -> Response:
        object_type, object_id, to_type = self._assoc_source(call)
        to_id = call.params["to_object_id"]
        specs = read_json(call.request)
        if not isinstance(specs, list) or not specs:
            raise HsError(400, "VALIDATION_ERROR", "body must be a list of association types")
        edges = self.check_associations(object_type, [{"to": {"id": to_id}, "types": specs}])
        for edge_type, edge_id, type_id in edges:
            if edge_type != to_type:
                raise HsError(400, "VALIDATION_ERROR", f"association type id {type_id} does not "
                              f"lead from {object_type} to {to_type}")
            self.state.hs_associate(object_type, object_id, edge_type, edge_id, type_id)
        return json_response({"fromObjectTypeId": _OBJECT_TYPE_IDS[object_type],
                              "fromObjectId": int(object_id),
                              "toObjectTypeId": _OBJECT_TYPE_IDS[to_type],
                              "toObjectId": int(to_id), "labels": []}, 201)

    def associate_batch(self, call: Call) -> Response:
        """v4 batch create: labelled associations between pairs; creating one twice is a
        no-op, so a retried call changes nothing."""
        object_type = self.object_type(call)
        to_type = HS_OBJECT_TYPES.get(call.params["to_object_type"].lower())
        if to_type is None:
            raise HsError(400, "VALIDATION_ERROR", "Unable to infer object type from: "
                          f"{call.params['to_object_type']}")
        items = self.inputs(self.body(call))
        plan = []
        for item in items:
            from_id = str((item.get("from") or {}).get("id") or "")
            if self.find(object_type, from_id) is None:
                raise self.not_found(from_id)
            edges = self.check_associations(object_type, [
                {"to": item.get("to"), "types": item.get("types")}])
            if any(edge_type != to_type for edge_type, _, _ in edges):
                raise HsError(400, "VALIDATION_ERROR", "an association type id does not lead "
                              f"from {object_type} to {to_type}")
            plan += [(from_id, edge_id, type_id) for _, edge_id, type_id in edges]
        for from_id, to_id, type_id in plan:
            self.state.hs_associate(object_type, from_id, to_type, to_id, type_id)
        stamp = _now_iso()
        return json_response({"status": "COMPLETE", "results": [{
            "fromObjectTypeId": _OBJECT_TYPE_IDS[object_type], "fromObjectId": int(from_id),
            "toObjectTypeId": _OBJECT_TYPE_IDS[to_type], "toObjectId": int(to_id),
            "labels": []} for from_id, to_id, _ in plan],
            "startedAt": stamp, "completedAt": stamp}, 201)

    def associate_default(self, call: Call) -> Response:
        object_type, object_id, to_type = self._assoc_source(call)
        to_id = call.params["to_object_id"]
        if self.find(to_type, to_id) is None:
            raise self.not_found(to_id)
        type_id = HS_ASSOCIATION_TYPES[(object_type, to_type)][0][0]
        self.state.hs_associate(object_type, object_id, to_type, to_id, type_id)
        stamp = _now_iso()
        return json_response({"status": "COMPLETE", "results": [{
            "from": {"id": object_id}, "to": {"id": to_id},
            "associationSpec": {"associationCategory": "HUBSPOT_DEFINED",
                                "associationTypeId": type_id}}],
            "startedAt": stamp, "completedAt": stamp})

    def dissociate(self, call: Call) -> Response:
        object_type, object_id, to_type = self._assoc_source(call)
        to_id = call.params["to_object_id"]
        self.state.hs_associations = {
            a for a in self.state.hs_associations
            if not ({(a[0], a[1], a[2], a[3])} & {(object_type, object_id, to_type, to_id),
                                                  (to_type, to_id, object_type, object_id)})}
        self.state.dirty = True
        return empty(204)

    # ------------------------------------------------------------------ properties
    def _groups(self, call: Call) -> dict[str, dict[str, Any]]:
        return self.state.hs_groups[self.object_type(call)]

    def groups_list(self, call: Call) -> Response:
        return json_response({"results": list(self._groups(call).values())})

    def groups_get(self, call: Call) -> Response:
        group = self._groups(call).get(call.params["group_name"])
        if group is None:
            raise HsError(404, "OBJECT_NOT_FOUND", f"Unable to find property group "
                          f"{call.params['group_name']}")
        return json_response(group)

    def groups_create(self, call: Call) -> Response:
        groups = self._groups(call)
        body = self.body(call)
        name, label = body.get("name"), body.get("label")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name) or not label:
            raise HsError(400, "VALIDATION_ERROR", "a property group needs a lowercase name "
                          "(letters, digits, underscores) and a label")
        if name in groups:
            raise HsError(409, "OBJECT_ALREADY_EXISTS", f"A property group named '{name}' "
                          "already exists.", sub_category="PropertyGroupError.GROUP_EXISTS")
        group = {"name": name, "label": str(label), "displayOrder": int(body.get(
            "displayOrder", -1)), "archived": False}
        groups[name] = group
        self.state.dirty = True
        return json_response(group, 201)

    def _properties(self, call: Call) -> dict[str, dict[str, Any]]:
        return self.state.hs_properties[self.object_type(call)]

    def properties_list(self, call: Call) -> Response:
        archived = _bool_arg(call, "archived")
        return json_response({"results": [p for p in self._properties(call).values()
                                          if p["archived"] == archived]})

    def properties_get(self, call: Call) -> Response:
        prop = self._properties(call).get(call.params["property_name"])
        if prop is None or prop["archived"]:
            raise HsError(404, "OBJECT_NOT_FOUND", f"Unable to find property "
                          f"{call.params['property_name']}")
        return json_response(prop)

    def properties_create(self, call: Call) -> Response:
        object_type = self.object_type(call)
        props = self.state.hs_properties[object_type]
        body = self.body(call)
        name = body.get("name")
        problems = []
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            problems.append("name must start with a letter and use lowercase letters, digits "
                            "and underscores")
        if body.get("type") not in HS_TYPES:
            problems.append(f"type must be one of {sorted(HS_TYPES)}")
        if body.get("fieldType") not in HS_FIELD_TYPES:
            problems.append(f"fieldType must be one of {sorted(HS_FIELD_TYPES)}")
        if not body.get("label"):
            problems.append("label is required")
        if body.get("groupName") not in self.state.hs_groups[object_type]:
            problems.append(f"groupName {body.get('groupName')!r} does not exist; create the "
                            "group first")
        if body.get("type") == "enumeration" and not body.get("options") and not body.get(
                "externalOptions"):
            problems.append("enumeration properties need options")
        if problems:
            raise HsError(400, "VALIDATION_ERROR", "; ".join(problems))
        assert isinstance(name, str)
        if name in props:
            raise HsError(409, "OBJECT_ALREADY_EXISTS", f"Property named '{name}' already "
                          "exists.", sub_category="PropertyValidationError.PROPERTY_EXISTS")
        prop = hs_property(
            name, str(body["label"]), str(body["type"]), str(body["fieldType"]),
            str(body["groupName"]), unique=bool(body.get("hasUniqueValue", False)),
            hubspot_defined=False, description=str(body.get("description") or ""),
            options=[{"label": o.get("label"), "value": o.get("value"),
                      "displayOrder": o.get("displayOrder", -1),
                      "hidden": bool(o.get("hidden", False))}
                     for o in body.get("options") or []],
            created_at=_now_iso(),
        )
        prop["hidden"] = bool(body.get("hidden", False))
        prop["formField"] = bool(body.get("formField", False))
        props[name] = prop
        self.state.dirty = True
        return json_response(prop, 201)

    def properties_update(self, call: Call) -> Response:
        props = self._properties(call)
        prop = props.get(call.params["property_name"])
        if prop is None or prop["archived"]:
            raise HsError(404, "OBJECT_NOT_FOUND", f"Unable to find property "
                          f"{call.params['property_name']}")
        body = self.body(call)
        for key in ("label", "description", "groupName", "hidden", "displayOrder", "formField",
                    "options"):
            if key in body:
                prop[key] = body[key]
        prop["updatedAt"] = _now_iso()
        self.state.dirty = True
        return json_response(prop)

    def properties_archive(self, call: Call) -> Response:
        prop = self._properties(call).get(call.params["property_name"])
        if prop is None:
            raise HsError(404, "OBJECT_NOT_FOUND", "Unable to find property "
                          f"{call.params['property_name']}")
        if prop["hubspotDefined"]:
            raise HsError(400, "VALIDATION_ERROR", "HubSpot-defined properties cannot be "
                          "archived")
        prop["archived"] = True
        self.state.dirty = True
        return empty(204)

    # ------------------------------------------------------------------ owners
    def owners_list(self, call: Call) -> Response:
        email = call.request.args.get("email")
        owners = [o for o in self.state.hs_owners if not email or o["email"].lower() ==
                  email.lower()]
        limit = _int_arg(call, "limit", 100)
        after = call.request.args.get("after")
        if after:
            owners = [o for o in owners if int(o["id"]) > int(after)]
        body: dict[str, Any] = {"results": owners[:limit]}
        if len(owners) > limit:
            body["paging"] = {"next": {"after": owners[limit - 1]["id"]}}
        return json_response(body)

    def owners_get(self, call: Call) -> Response:
        key = "userId" if call.request.args.get("idProperty") == "userId" else "id"
        for owner in self.state.hs_owners:
            if str(owner[key]) == call.params["owner_id"]:
                return json_response(owner)
        raise HsError(404, "OBJECT_NOT_FOUND", f"Owner {call.params['owner_id']} not found")


def _int_arg(call: Call, name: str, default: int) -> int:
    raw = call.request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise HsError(400, "VALIDATION_ERROR", f"{name} must be an integer, got {raw!r}") from None


def _bool_arg(call: Call, name: str) -> bool:
    """A boolean query parameter, read as HubSpot's API does: case-insensitively
    (hubspot-api-client sends Python's `True`)."""
    return str(call.request.args.get(name, "false")).lower() == "true"


def _comparable(definition: dict[str, Any], value: str) -> Any:
    kind = definition["type"]
    try:
        if kind == "number":
            return float(value)
        if kind in ("datetime", "date"):
            if value.lstrip("-").isdigit():
                return int(value)
            return int(parse_datetime(value).timestamp() * 1000)
    except ValueError:
        raise HsError(400, "VALIDATION_ERROR", f"{value!r} is not a valid {kind} for "
                      f"{definition['name']}") from None
    if kind == "bool":
        return value.lower() == "true"
    return value.casefold()


def _token_match(pattern: str, stored: str) -> bool:
    wanted = pattern.casefold()
    text = stored.casefold()
    tokens = [t for t in re.split(r"[\s,;]+", text) if t]
    candidates = [text, *tokens, *(p for t in tokens for p in re.split(r"[@.\-_]", t) if p)]
    if "*" in wanted:
        return any(fnmatch.fnmatchcase(c, wanted) for c in candidates)
    return wanted in candidates
