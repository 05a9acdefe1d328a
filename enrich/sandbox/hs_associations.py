"""HubSpot v4 associations: list, create (one, default, batch), remove."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from enrich.sandbox.hs_base import _OBJECT_TYPE_IDS, HubSpotBase, _int_arg, _now_iso
from enrich.sandbox.hs_errors import HsError
from enrich.sandbox.hs_schema import (
    HS_ASSOCIATION_TYPES,
    HS_OBJECT_TYPES,
)
from enrich.sandbox.routing import (
    Call,
    empty,
    json_response,
    read_json,
)


class AssociationRoutes(HubSpotBase):
    # ------------------------------------------------------------------ associations v4
    def _assoc_source(self, call: Call) -> tuple[str, str, str]:
        object_type = self.object_type(call)
        to_type = HS_OBJECT_TYPES.get(call.params["to_object_type"].lower())
        if not to_type or (object_type, to_type) not in HS_ASSOCIATION_TYPES:
            raise HsError(
                400,
                "VALIDATION_ERROR",
                f"No associations between {object_type} and {call.params['to_object_type']}",
            )
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
        body: dict[str, Any] = {
            "results": [
                {
                    "toObjectId": int(to_id),
                    "associationTypes": [
                        {"category": "HUBSPOT_DEFINED", "typeId": t, "label": None}
                        for t in grouped[to_id]
                    ],
                }
                for to_id in ordered[:limit]
            ]
        }
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
                raise HsError(
                    400,
                    "VALIDATION_ERROR",
                    f"association type id {type_id} does not lead from {object_type} to {to_type}",
                )
            self.state.hs_associate(object_type, object_id, edge_type, edge_id, type_id)
        return json_response(
            {
                "fromObjectTypeId": _OBJECT_TYPE_IDS[object_type],
                "fromObjectId": int(object_id),
                "toObjectTypeId": _OBJECT_TYPE_IDS[to_type],
                "toObjectId": int(to_id),
                "labels": [],
            },
            201,
        )

    def associate_batch(self, call: Call) -> Response:
        """v4 batch create: labelled associations between pairs; creating one twice is a
        no-op, so a retried call changes nothing."""
        object_type = self.object_type(call)
        to_type = HS_OBJECT_TYPES.get(call.params["to_object_type"].lower())
        if to_type is None:
            raise HsError(
                400,
                "VALIDATION_ERROR",
                f"Unable to infer object type from: {call.params['to_object_type']}",
            )
        items = self.inputs(self.body(call))
        plan = []
        for item in items:
            from_id = str((item.get("from") or {}).get("id") or "")
            if self.find(object_type, from_id) is None:
                raise self.not_found(from_id)
            edges = self.check_associations(
                object_type, [{"to": item.get("to"), "types": item.get("types")}]
            )
            if any(edge_type != to_type for edge_type, _, _ in edges):
                raise HsError(
                    400,
                    "VALIDATION_ERROR",
                    f"an association type id does not lead from {object_type} to {to_type}",
                )
            plan += [(from_id, edge_id, type_id) for _, edge_id, type_id in edges]
        for from_id, to_id, type_id in plan:
            self.state.hs_associate(object_type, from_id, to_type, to_id, type_id)
        stamp = _now_iso()
        return json_response(
            {
                "status": "COMPLETE",
                "results": [
                    {
                        "fromObjectTypeId": _OBJECT_TYPE_IDS[object_type],
                        "fromObjectId": int(from_id),
                        "toObjectTypeId": _OBJECT_TYPE_IDS[to_type],
                        "toObjectId": int(to_id),
                        "labels": [],
                    }
                    for from_id, to_id, _ in plan
                ],
                "startedAt": stamp,
                "completedAt": stamp,
            },
            201,
        )

    def associate_default(self, call: Call) -> Response:
        object_type, object_id, to_type = self._assoc_source(call)
        to_id = call.params["to_object_id"]
        if self.find(to_type, to_id) is None:
            raise self.not_found(to_id)
        type_id = HS_ASSOCIATION_TYPES[(object_type, to_type)][0][0]
        self.state.hs_associate(object_type, object_id, to_type, to_id, type_id)
        stamp = _now_iso()
        return json_response(
            {
                "status": "COMPLETE",
                "results": [
                    {
                        "from": {"id": object_id},
                        "to": {"id": to_id},
                        "associationSpec": {
                            "associationCategory": "HUBSPOT_DEFINED",
                            "associationTypeId": type_id,
                        },
                    }
                ],
                "startedAt": stamp,
                "completedAt": stamp,
            }
        )

    def dissociate(self, call: Call) -> Response:
        object_type, object_id, to_type = self._assoc_source(call)
        to_id = call.params["to_object_id"]
        self.state.hs_associations = {
            a
            for a in self.state.hs_associations
            if not (
                {(a[0], a[1], a[2], a[3])}
                & {
                    (object_type, object_id, to_type, to_id),
                    (to_type, to_id, object_type, object_id),
                }
            )
        }
        self.state.dirty = True
        return empty(204)
