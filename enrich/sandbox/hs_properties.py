"""HubSpot properties and property groups (create, read, update, archive) and owners."""

from __future__ import annotations

import re
from typing import Any

from werkzeug.wrappers import Response

from enrich.sandbox.hs_base import HubSpotBase, _bool_arg, _int_arg, _now_iso
from enrich.sandbox.hs_errors import HsError
from enrich.sandbox.hs_schema import (
    HS_FIELD_TYPES,
    HS_TYPES,
    hs_property,
)
from enrich.sandbox.routing import (
    Call,
    empty,
    json_response,
)


class PropertyRoutes(HubSpotBase):
    # ------------------------------------------------------------------ properties
    def _groups(self, call: Call) -> dict[str, dict[str, Any]]:
        return self.state.hs_groups[self.object_type(call)]

    def groups_list(self, call: Call) -> Response:
        return json_response({"results": list(self._groups(call).values())})

    def groups_get(self, call: Call) -> Response:
        group = self._groups(call).get(call.params["group_name"])
        if group is None:
            raise HsError(
                404,
                "OBJECT_NOT_FOUND",
                f"Unable to find property group {call.params['group_name']}",
            )
        return json_response(group)

    def groups_create(self, call: Call) -> Response:
        groups = self._groups(call)
        body = self.body(call)
        name, label = body.get("name"), body.get("label")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name) or not label:
            raise HsError(
                400,
                "VALIDATION_ERROR",
                "a property group needs a lowercase name "
                "(letters, digits, underscores) and a label",
            )
        if name in groups:
            raise HsError(
                409,
                "OBJECT_ALREADY_EXISTS",
                f"A property group named '{name}' already exists.",
                sub_category="PropertyGroupError.GROUP_EXISTS",
            )
        group = {
            "name": name,
            "label": str(label),
            "displayOrder": int(body.get("displayOrder", -1)),
            "archived": False,
        }
        groups[name] = group
        self.state.dirty = True
        return json_response(group, 201)

    def _properties(self, call: Call) -> dict[str, dict[str, Any]]:
        return self.state.hs_properties[self.object_type(call)]

    def properties_list(self, call: Call) -> Response:
        archived = _bool_arg(call, "archived")
        return json_response(
            {"results": [p for p in self._properties(call).values() if p["archived"] == archived]}
        )

    def properties_get(self, call: Call) -> Response:
        prop = self._properties(call).get(call.params["property_name"])
        if prop is None or prop["archived"]:
            raise HsError(
                404, "OBJECT_NOT_FOUND", f"Unable to find property {call.params['property_name']}"
            )
        return json_response(prop)

    def properties_create(self, call: Call) -> Response:
        object_type = self.object_type(call)
        props = self.state.hs_properties[object_type]
        body = self.body(call)
        name = body.get("name")
        problems = []
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            problems.append(
                "name must start with a letter and use lowercase letters, digits and underscores"
            )
        if body.get("type") not in HS_TYPES:
            problems.append(f"type must be one of {sorted(HS_TYPES)}")
        if body.get("fieldType") not in HS_FIELD_TYPES:
            problems.append(f"fieldType must be one of {sorted(HS_FIELD_TYPES)}")
        if not body.get("label"):
            problems.append("label is required")
        if body.get("groupName") not in self.state.hs_groups[object_type]:
            problems.append(
                f"groupName {body.get('groupName')!r} does not exist; create the group first"
            )
        if (
            body.get("type") == "enumeration"
            and not body.get("options")
            and not body.get("externalOptions")
        ):
            problems.append("enumeration properties need options")
        if problems:
            raise HsError(400, "VALIDATION_ERROR", "; ".join(problems))
        assert isinstance(name, str)
        if name in props:
            raise HsError(
                409,
                "OBJECT_ALREADY_EXISTS",
                f"Property named '{name}' already exists.",
                sub_category="PropertyValidationError.PROPERTY_EXISTS",
            )
        prop = hs_property(
            name,
            str(body["label"]),
            str(body["type"]),
            str(body["fieldType"]),
            str(body["groupName"]),
            unique=bool(body.get("hasUniqueValue", False)),
            hubspot_defined=False,
            description=str(body.get("description") or ""),
            options=[
                {
                    "label": o.get("label"),
                    "value": o.get("value"),
                    "displayOrder": o.get("displayOrder", -1),
                    "hidden": bool(o.get("hidden", False)),
                }
                for o in body.get("options") or []
            ],
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
            raise HsError(
                404, "OBJECT_NOT_FOUND", f"Unable to find property {call.params['property_name']}"
            )
        body = self.body(call)
        for key in (
            "label",
            "description",
            "groupName",
            "hidden",
            "displayOrder",
            "formField",
            "options",
        ):
            if key in body:
                prop[key] = body[key]
        prop["updatedAt"] = _now_iso()
        self.state.dirty = True
        return json_response(prop)

    def properties_archive(self, call: Call) -> Response:
        prop = self._properties(call).get(call.params["property_name"])
        if prop is None:
            raise HsError(
                404, "OBJECT_NOT_FOUND", f"Unable to find property {call.params['property_name']}"
            )
        if prop["hubspotDefined"]:
            raise HsError(400, "VALIDATION_ERROR", "HubSpot-defined properties cannot be archived")
        prop["archived"] = True
        self.state.dirty = True
        return empty(204)

    # ------------------------------------------------------------------ owners
    def owners_list(self, call: Call) -> Response:
        email = call.request.args.get("email")
        owners = [
            o for o in self.state.hs_owners if not email or o["email"].lower() == email.lower()
        ]
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
