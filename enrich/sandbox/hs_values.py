"""The HubSpot sandbox's property values: validation against the declared properties (unknown
and read-only properties refused, types coerced as HubSpot stores them, unique values
enforced), association specs of a create input, and the write itself."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from enrich.sandbox.hs_errors import HsError
from enrich.sandbox.hs_schema import HS_LASTMODIFIED, HS_SINGULAR, association_target
from enrich.sandbox.state import SandboxState, hs_format, parse_datetime


class PropertyValues:
    """Mixed into HubSpotBase: everything here reads or writes `state` only."""

    state: SandboxState

    def find(
        self, object_type: str, object_id: str, id_property: str | None = None
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

    def check_properties(
        self, object_type: str, values: Any, record: dict[str, Any] | None
    ) -> dict[str, str | None]:
        """Validate property values; raises 400 VALIDATION_ERROR listing every bad one."""
        if not isinstance(values, dict):
            raise HsError(400, "VALIDATION_ERROR", "properties must be an object of strings")
        defs = self.state.hs_properties[object_type]
        clean: dict[str, str | None] = {}
        problems: list[dict[str, Any]] = []
        for name, value in values.items():
            definition = defs.get(name)
            if definition is None or definition.get("archived"):
                problems.append(
                    {
                        "isValid": False,
                        "message": f'Property "{name}" does not exist',
                        "error": "PROPERTY_DOESNT_EXIST",
                        "name": name,
                    }
                )
                continue
            if definition["modificationMetadata"]["readOnlyValue"]:
                problems.append(
                    {
                        "isValid": False,
                        "message": f'"{name}" is a read only property; its value cannot be set.',
                        "error": "READ_ONLY_VALUE",
                        "name": name,
                    }
                )
                continue
            try:
                clean[name] = self.coerce(definition, value)
            except ValueError as exc:
                code = {
                    "number": "INVALID_DECIMAL",
                    "datetime": "INVALID_DATE",
                    "date": "INVALID_DATE",
                    "bool": "INVALID_BOOLEAN",
                    "enumeration": "INVALID_OPTION",
                }.get(definition["type"], "INVALID_VALUE")
                problems.append(
                    {"isValid": False, "message": str(exc), "error": code, "name": name}
                )
        if problems:
            raise HsError(
                400,
                "VALIDATION_ERROR",
                f"Property values were not valid: {json.dumps(problems)}",
                errors=[
                    {
                        "message": p["message"],
                        "code": p["error"],
                        "context": {"propertyName": [p["name"]]},
                    }
                    for p in problems
                ],
            )
        self.check_unique(object_type, clean, record)
        return clean

    def coerce(self, definition: dict[str, Any], value: Any) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, dict | list):
            raise ValueError(f'{value!r} is not a valid value for property "{definition["name"]}"')
        text = str(value).lower() if isinstance(value, bool) else str(value)
        kind, name = definition["type"], definition["name"]
        if kind == "number":
            try:
                number = float(text)
            except ValueError:
                raise ValueError(
                    f'"{text}" is not a valid number value for property "{name}"'
                ) from None
            if not math.isfinite(number):
                raise ValueError(f'"{text}" is not a valid number value for property "{name}"')
            return text
        if kind in ("datetime", "date"):
            try:
                moment = (
                    datetime.fromtimestamp(int(text) / 1000, tz=UTC)
                    if text.isdigit()
                    else parse_datetime(text)
                )
            except (ValueError, OverflowError):
                raise ValueError(
                    f'"{text}" is not a valid datetime for property "{name}"; '
                    "send epoch milliseconds or ISO 8601"
                ) from None
            if kind == "date":
                if moment.time() != datetime.min.time():
                    raise ValueError(
                        f'"{text}" is not at midnight UTC, required for date property "{name}"'
                    )
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
                    raise ValueError(
                        f'"{part}" was not one of the allowed options: {sorted(allowed)}'
                    )
        if len(text) > 65536:
            raise ValueError(f'value of property "{name}" is longer than 65536 characters')
        return text

    def check_unique(
        self, object_type: str, clean: dict[str, str | None], record: dict[str, Any] | None
    ) -> None:
        defs = self.state.hs_properties[object_type]
        for name, value in clean.items():
            if value is None or not defs[name].get("hasUniqueValue"):
                continue
            holder = self.find(object_type, value, name)
            if holder is not None and holder is not record:
                message = (
                    f"{HS_SINGULAR[object_type].capitalize()} already exists. Existing "
                    f"ID: {holder['id']}"
                    if name == "email"
                    else f'A {HS_SINGULAR[object_type]} with the same value "{value}" for '
                    f'unique property "{name}" already exists. Existing ID: '
                    f"{holder['id']}"
                )
                raise HsError(
                    409, "CONFLICT", message, context={"propertyName": [name], "id": [holder["id"]]}
                )

    def write(
        self, object_type: str, record: dict[str, Any] | None, clean: dict[str, str | None]
    ) -> dict[str, Any]:
        if record is None:
            return self.state.hs_insert(object_type, clean)
        stamp = hs_format(self.state.now())
        for name, value in clean.items():
            if value is None:
                record["properties"].pop(name, None)
            else:
                record["properties"][name] = value
        record["properties"][HS_LASTMODIFIED[object_type]] = record["updatedAt"] = stamp
        self.state.hs_refresh_computed(object_type, record["properties"])
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
                    raise HsError(
                        400,
                        "VALIDATION_ERROR",
                        f"{category} association type id "
                        f"{type_id} is not valid from {object_type}; association "
                        "type ids are directional",
                        errors=[
                            {
                                "message": "invalid association type",
                                "code": "INVALID_ASSOCIATION_TYPE",
                                "context": {"typeId": [str(type_id)]},
                            }
                        ],
                    )
                if self.find(to_type, to_id) is None:
                    raise HsError(
                        400,
                        "VALIDATION_ERROR",
                        f"{HS_SINGULAR[to_type]} {to_id} does not exist; cannot associate",
                        context={"id": [to_id]},
                    )
                edges.append((to_type, to_id, type_id))
        return edges

    def create_one(self, object_type: str, item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise HsError(400, "VALIDATION_ERROR", "each input must be an object")
        clean = self.check_properties(object_type, item.get("properties") or {}, None)
        if object_type in ("notes", "tasks") and not clean.get("hs_timestamp"):
            raise HsError(
                400,
                "VALIDATION_ERROR",
                f"hs_timestamp is required to create a {HS_SINGULAR[object_type]}",
                errors=[
                    {
                        "message": "hs_timestamp is required",
                        "code": "REQUIRED_PROPERTY",
                        "context": {"propertyName": ["hs_timestamp"]},
                    }
                ],
            )
        edges = self.check_associations(object_type, item.get("associations"))
        record = self.write(object_type, None, clean)
        for to_type, to_id, type_id in edges:
            self.state.hs_associate(object_type, record["id"], to_type, to_id, type_id)
        return record
