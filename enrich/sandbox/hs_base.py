"""The HubSpot sandbox's base: plumbing (token, faults, the 10 s, daily and search limits with
HubSpot's headers and 429 bodies) and helpers; the error body is in hs_errors.py, property
validation and writes in hs_values.py."""

from __future__ import annotations

import math
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Response

from enrich.sandbox.faults import FaultInjector, Limits, Window
from enrich.sandbox.hs_errors import HsError
from enrich.sandbox.hs_schema import (
    HS_LASTMODIFIED,
    HS_OBJECT_TYPES,
    HS_SINGULAR,
    association_name,
)
from enrich.sandbox.hs_values import PropertyValues
from enrich.sandbox.routing import (
    BadJson,
    Call,
    Route,
    Router,
    json_response,
    read_json,
)
from enrich.sandbox.state import SandboxState, hs_format

MAX_BATCH = 100
MAX_PAGE = 100
MAX_SEARCH_LIMIT = 200
MAX_SEARCH_RESULTS = 10_000
_DEFAULT_PROPS = {
    "contacts": ["firstname", "lastname", "email"],
    "companies": ["name", "domain"],
    "deals": ["dealname", "amount", "dealstage", "pipeline", "closedate"],
    "notes": [],
    "tasks": ["hs_task_subject", "hs_task_status"],
}
_QUERY_PROPS = ["firstname", "lastname", "email", "company", "phone", "name", "domain", "dealname"]
_OBJECT_TYPE_IDS = {
    "contacts": "0-1",
    "companies": "0-2",
    "deals": "0-3",
    "notes": "0-46",
    "tasks": "0-27",
}


def _now_iso() -> str:
    return hs_format(datetime.now(tz=UTC))


class HubSpotBase(PropertyValues):
    """Plumbing (token, faults, rate limits) and helpers, with property validation mixed in
    from hs_values.py; the routes
    are in hs_objects.py, hs_search.py, hs_associations.py and hs_properties.py, put together
    in hubspot.py."""

    side = "hubspot"

    def __init__(
        self, state: SandboxState, faults: FaultInjector, limits: Limits, token: str
    ) -> None:
        self.state, self.faults, self.limits, self.token = state, faults, limits, token
        self.burst = Window(10.0)
        self.search_window = Window(1.0)
        self.router = Router()

    # ------------------------------------------------------------------ plumbing
    def authorized(self, call: Call) -> bool:
        scheme, _, token = call.request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(
            token.strip().encode(), self.token.encode()
        )

    @staticmethod
    def rate_limited(policy: str, retry_after: float) -> Response:
        window = {
            "TEN_SECONDLY_ROLLING": "ten_secondly_rolling",
            "DAILY": "daily",
            "SECONDLY": "secondly",
        }[policy]
        response = json_response(
            {
                "status": "error",
                "message": f"You have reached your {window} limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()),
                "policyName": policy,
                "requestId": uuid.uuid4().hex,
            },
            429,
        )
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
        return response

    def fault_response(self, kind: str) -> Response:
        if kind == "429":
            return self.rate_limited("TEN_SECONDLY_ROLLING", self.faults.faults.retry_after_s)
        if kind == "401":
            return HsError(
                401,
                "EXPIRED_AUTHENTICATION",
                "The OAuth token used to make this call expired 0 second(s) ago.",
            ).response()
        return HsError(
            503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable; please retry."
        ).response()

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
            response = HsError(
                401,
                "INVALID_AUTHENTICATION",
                "Authentication credentials not "
                "found. This API supports OAuth 2.0 authentication and you can "
                "find more details at https://developers.hubspot.com/docs/"
                "methods/auth/oauth-overview",
            ).response()
        else:
            with self.state.lock:
                response = self._limited(route, call, path_known, is_search)
        if not is_search:  # search answers carry no rate-limit headers, as in production
            with self.state.lock:
                used = self.burst.count()
                response.headers.update(
                    {
                        "X-HubSpot-RateLimit-Max": str(self.limits.hs_ten_secondly),
                        "X-HubSpot-RateLimit-Remaining": str(
                            max(0, self.limits.hs_ten_secondly - used)
                        ),
                        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
                        "X-HubSpot-RateLimit-Daily": str(self.limits.hs_daily),
                        "X-HubSpot-RateLimit-Daily-Remaining": str(
                            max(0, self.limits.hs_daily - self.state.hs_daily_used)
                        ),
                    }
                )
        if kind == "late":
            self.faults.answer_late()
        return response

    def _limited(
        self, route: Route | None, call: Call, path_known: bool, is_search: bool
    ) -> Response:
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
            return HsError(
                405 if path_known else 404,
                "OBJECT_NOT_FOUND" if not path_known else "VALIDATION_ERROR",
                "Not found."
                if not path_known
                else f"Method {call.request.method} is not allowed here.",
            ).response()
        try:
            return route.handler(call)
        except HsError as exc:
            return exc.response()
        except BadJson as exc:
            return HsError(400, "VALIDATION_ERROR", f"Invalid input JSON: {exc}").response()
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            # JSON of the wrong shape (a number where an object belongs...): the client's fault.
            return HsError(
                400,
                "VALIDATION_ERROR",
                f"Invalid input: {exc!r} does not match the expected request shape",
            ).response()

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

    def not_found(self, object_id: str) -> HsError:
        return HsError(
            404,
            "OBJECT_NOT_FOUND",
            "Object not found.  objectId are usually numeric.",
            context={"id": [object_id]},
        )

    def out(
        self,
        object_type: str,
        record: dict[str, Any],
        properties: list[str] | None,
        associations: list[str] | None = None,
    ) -> dict[str, Any]:
        known = self.state.hs_properties[object_type]
        names = [p for p in (properties or _DEFAULT_PROPS[object_type]) if p in known]
        names += ["createdate", HS_LASTMODIFIED[object_type], "hs_object_id"]
        props = {n: record["properties"].get(n) for n in dict.fromkeys(names)}
        data: dict[str, Any] = {
            "id": record["id"],
            "properties": props,
            "createdAt": record["createdAt"],
            "updatedAt": record["updatedAt"],
            "archived": record["archived"],
        }
        if record["archived"]:
            data["archivedAt"] = record.get("archivedAt")
        if associations:
            assoc: dict[str, Any] = {}
            for to_name in associations:
                to_type = HS_OBJECT_TYPES.get(to_name.lower())
                if not to_type:
                    continue
                results = [
                    {"id": to_id, "type": association_name(object_type, to_type, tid)}
                    for (f, fid, t, to_id, tid) in sorted(self.state.hs_associations)
                    if f == object_type
                    and fid == record["id"]
                    and t == to_type
                    and self.find(to_type, to_id)
                ]
                if results:
                    assoc[to_type] = {"results": results}
            if assoc:
                data["associations"] = assoc
        return data

    def list_arg(self, call: Call, name: str) -> list[str]:
        # hubspot-api-client repeats list params; other clients send comma-separated lists.
        return [v for raw in call.request.args.getlist(name) for v in raw.split(",") if v]

    def inputs(self, body: dict[str, Any]) -> list[Any]:
        items = body.get("inputs")
        if not isinstance(items, list):
            raise HsError(400, "VALIDATION_ERROR", "inputs must be a list")
        if not all(isinstance(item, dict) for item in items):
            raise HsError(400, "VALIDATION_ERROR", "every input must be a JSON object")
        if len(items) > MAX_BATCH:
            raise HsError(
                400,
                "VALIDATION_ERROR",
                f"Batch input has {len(items)} inputs; the limit is {MAX_BATCH}",
                context={"inputs": [str(len(items))]},
            )
        return items

    @staticmethod
    def batch_response(
        results: list[dict[str, Any]], missing: list[str], object_type: str, status: int = 200
    ) -> Response:
        stamp = _now_iso()
        body: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "requestedAt": stamp,
            "startedAt": stamp,
            "completedAt": stamp,
        }
        if missing:
            body["numErrors"] = 1
            body["errors"] = [
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": f"Could not get some {HS_SINGULAR[object_type].upper()} objects, "
                    "they may be deleted or not exist. Check that ids are valid.",
                    "context": {"ids": missing},
                    "links": {},
                    "errors": [],
                }
            ]
            status = 207
        return json_response(body, status)


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
