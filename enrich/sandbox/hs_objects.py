"""HubSpot CRM objects: basic CRUD, merge, and the batch endpoints (read, create, update,
upsert by a unique-value property, archive; 100 inputs, 207 multi-status)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from enrich.sandbox.hs_base import MAX_PAGE, HubSpotBase, _bool_arg, _int_arg
from enrich.sandbox.hs_errors import HsError
from enrich.sandbox.hs_schema import (
    HS_READ_ONLY,
)
from enrich.sandbox.routing import (
    Call,
    empty,
    json_response,
)
from enrich.sandbox.state import hs_format


class ObjectRoutes(HubSpotBase):
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
        return json_response(
            self.out(
                object_type,
                record,
                self.list_arg(call, "properties"),
                self.list_arg(call, "associations"),
            )
        )

    def get_page(self, call: Call) -> Response:
        object_type = self.object_type(call)
        limit = _int_arg(call, "limit", 10)
        if not 1 <= limit <= MAX_PAGE:
            raise HsError(400, "VALIDATION_ERROR", f"limit must be between 1 and {MAX_PAGE}")
        after = call.request.args.get("after")
        archived = _bool_arg(call, "archived")
        records = sorted(
            (r for r in self.state.hs_objects[object_type].values() if r["archived"] == archived),
            key=lambda r: int(r["id"]),
        )
        if after:
            if not after.isdigit():
                raise HsError(
                    400, "VALIDATION_ERROR", f"after must be a paging cursor, got {after!r}"
                )
            records = [r for r in records if int(r["id"]) > int(after)]
        page = records[:limit]
        body: dict[str, Any] = {
            "results": [
                self.out(
                    object_type,
                    r,
                    self.list_arg(call, "properties"),
                    self.list_arg(call, "associations"),
                )
                for r in page
            ]
        }
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
        record = self.find(
            object_type, call.params["object_id"], call.request.args.get("idProperty")
        )
        if record is None:
            raise self.not_found(call.params["object_id"])
        clean = self.check_properties(object_type, self.body(call).get("properties") or {}, record)
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
            raise HsError(
                400,
                "VALIDATION_ERROR",
                "primaryObjectId and objectIdToMerge must be two different existing objects",
            )
        props, extra = primary["properties"], other["properties"]
        merged = [i for i in (props.get("hs_merged_object_ids") or "").split(";") if i]
        merged += [
            other["id"],
            *[i for i in (extra.get("hs_merged_object_ids") or "").split(";") if i],
        ]
        for name, value in extra.items():
            if name not in HS_READ_ONLY and value not in (None, "") and not props.get(name):
                props[name] = value
        props["hs_merged_object_ids"] = ";".join(dict.fromkeys(merged))
        self.state.hs_associations = {
            (
                f,
                primary["id"] if (f == object_type and fid == other["id"]) else fid,
                t,
                primary["id"] if (t == object_type and tid == other["id"]) else tid,
                type_id,
            )
            for f, fid, t, tid, type_id in self.state.hs_associations
        }
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
            raise HsError(
                400,
                "VALIDATION_ERROR",
                "Batch read with propertiesWithHistory is limited to 50 inputs",
            )
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
        self._no_unique_clash_within(
            object_type, [(i or {}).get("properties") or {} for i in items]
        )
        records = [self.create_one(object_type, item) for item in items]
        return self.batch_response(
            [self.out(object_type, r, list(r["properties"])) for r in records], [], object_type, 201
        )

    def _no_unique_clash_within(self, object_type: str, props: list[dict[str, Any]]) -> None:
        defs = self.state.hs_properties[object_type]
        for name, definition in defs.items():
            if not definition.get("hasUniqueValue"):
                continue
            values = [str(p[name]).casefold() for p in props if p.get(name)]
            if len(values) != len(set(values)):
                raise HsError(
                    409,
                    "CONFLICT",
                    f"Duplicate values for unique property {name} within the batch",
                    context={"propertyName": [name]},
                )

    def batch_update(self, call: Call) -> Response:
        object_type = self.object_type(call)
        items = self.inputs(self.body(call))
        ids = [str((i or {}).get("id") or "") for i in items]
        if len(set(ids)) != len(ids):
            raise HsError(
                400,
                "VALIDATION_ERROR",
                "Duplicate IDs found in batch input: "
                f"{sorted({i for i in ids if ids.count(i) > 1})}",
            )
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
        return self.batch_response(
            [self.out(object_type, r, list(r["properties"])) for r, _ in plan], missing, object_type
        )

    def batch_upsert(self, call: Call) -> Response:
        object_type = self.object_type(call)
        items = self.inputs(self.body(call))
        defs = self.state.hs_properties[object_type]
        plan = []
        for item in items:
            item = item or {}
            id_property, value = item.get("idProperty"), str(item.get("id") or "")
            if not id_property or not defs.get(id_property, {}).get("hasUniqueValue"):
                raise HsError(
                    400,
                    "VALIDATION_ERROR",
                    f"idProperty {id_property!r} is not a "
                    "unique-value property; upsert needs email or a property created "
                    "with hasUniqueValue",
                )
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
            results.append(
                {**self.out(object_type, saved, list(saved["properties"])), "new": record is None}
            )
        return self.batch_response(results, [], object_type)

    def batch_archive(self, call: Call) -> Response:
        object_type = self.object_type(call)
        for item in self.inputs(self.body(call)):
            record = self.find(object_type, str((item or {}).get("id") or ""))
            if record is not None:
                self._archive(record)
        return empty(204)
