"""HubSpot CRM search: filter groups, operators, sorts, paging, its limits and index lag."""

from __future__ import annotations

import fnmatch
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.wrappers import Response

from enrich.sandbox.hs_base import _QUERY_PROPS, MAX_SEARCH_LIMIT, MAX_SEARCH_RESULTS, HubSpotBase
from enrich.sandbox.hs_errors import HsError
from enrich.sandbox.routing import (
    Call,
    json_response,
)
from enrich.sandbox.state import hs_format, parse_datetime


class SearchRoutes(HubSpotBase):
    # ------------------------------------------------------------------ search
    def search(self, call: Call) -> Response:
        object_type = self.object_type(call)
        body = self.body(call)
        limit = int(body.get("limit") or 10)
        after = int(body.get("after") or 0)
        if not 0 < limit <= MAX_SEARCH_LIMIT:
            raise HsError(
                400, "VALIDATION_ERROR", f"limit must be between 1 and {MAX_SEARCH_LIMIT}"
            )
        if after + limit > MAX_SEARCH_RESULTS:
            raise HsError(
                400,
                "VALIDATION_ERROR",
                f"Search can page through at most {MAX_SEARCH_RESULTS} results",
            )
        groups = body.get("filterGroups") or []
        if body.get("filters"):
            groups = [*groups, {"filters": body["filters"]}]
        if not isinstance(groups, list) or not all(
            isinstance(g, dict)
            and isinstance(g.get("filters") or [], list)
            and all(isinstance(f, dict) for f in g.get("filters") or [])
            for g in groups
        ):
            raise HsError(
                400,
                "VALIDATION_ERROR",
                "filterGroups must be a list of "
                '{"filters": [{"propertyName", "operator", "value"}]}',
            )
        if (
            len(groups) > 5
            or any(len(g.get("filters") or []) > 6 for g in groups)
            or sum(len(g.get("filters") or []) for g in groups) > 18
        ):
            raise HsError(
                400,
                "VALIDATION_ERROR",
                "Search is limited to 5 filterGroups, 6 filters per group and 18 filters in all",
            )
        defs = self.state.hs_properties[object_type]
        for group in groups:
            for flt in group.get("filters") or []:
                if flt.get("propertyName") not in defs:
                    raise HsError(
                        400,
                        "VALIDATION_ERROR",
                        f"There is no property named {flt.get('propertyName')!r} on {object_type}",
                    )
        rows = [r for r in self.state.hs_objects[object_type].values() if not r["archived"]]
        if self.limits.hs_search_lag_ms:
            indexed = hs_format(
                datetime.now(tz=UTC) - timedelta(milliseconds=self.limits.hs_search_lag_ms)
            )
            rows = [r for r in rows if r["createdAt"] <= indexed]  # one format: text order works
        if groups:
            rows = [
                r
                for r in rows
                if any(
                    all(self._filter(defs, r, f) for f in g.get("filters") or []) for g in groups
                )
            ]
        query = str(body.get("query") or "").casefold().strip()
        if query:
            rows = [
                r
                for r in rows
                if any(query in str(r["properties"].get(p) or "").casefold() for p in _QUERY_PROPS)
            ]
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
        page = rows[after : after + limit]
        result: dict[str, Any] = {
            "total": len(rows),
            "results": [self.out(object_type, r, body.get("properties") or None) for r in page],
        }
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
                definition, str(value)
            )
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
        raise HsError(
            400, "VALIDATION_ERROR", f"{value!r} is not a valid {kind} for {definition['name']}"
        ) from None
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
