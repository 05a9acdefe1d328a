"""Salesforce sObject records: CRUD, upsert by external id, sObject Collections."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import unquote_plus

from werkzeug.wrappers import Response

from enrich.sandbox.routing import (
    BadJson,
    Call,
    empty,
    json_response,
)
from enrich.sandbox.schema import (
    SF_PREFIX_TO_OBJECT,
    SFField,
)
from enrich.sandbox.sf_base import MAX_COLLECTION, ROLLED_BACK, SalesforceBase
from enrich.sandbox.sf_errors import SfError, _err
from enrich.sandbox.state import sf_format


class RecordRoutes(SalesforceBase):
    # ------------------------------------------------------------------ records
    def get(self, call: Call) -> Response:
        sobject = self.sobject(call.params["sobject"])
        record = self.find_live(sobject, call.params["id"])
        fields = [f.strip() for f in call.request.args.get("fields", "").split(",") if f.strip()]
        return json_response(self.project(sobject, record, fields or None))

    def create(self, call: Call) -> Response:
        sobject = self.sobject(call.params["sobject"])
        clean, errors = self.validate(sobject, self.body(call), None)
        if errors:
            return self._errors_response(errors)
        record = self.apply(sobject, None, clean)
        return json_response({"id": record["Id"], "success": True, "errors": []}, 201)

    def update(self, call: Call) -> Response:
        sobject = self.sobject(call.params["sobject"])
        record = self.find_live(sobject, call.params["id"])
        clean, errors = self.validate(sobject, self.body(call), record)
        if errors:
            return self._errors_response(errors)
        self.apply(sobject, record, clean)
        return empty(204)

    def delete(self, call: Call) -> Response:
        sobject = self.sobject(call.params["sobject"])
        record = self.find_live(sobject, call.params["id"])
        self._delete(record)
        return empty(204)

    def _delete(self, record: dict[str, Any]) -> None:
        record["IsDeleted"] = True
        record["LastModifiedDate"] = record["SystemModstamp"] = sf_format(self.state.now())
        self.state.dirty = True

    @staticmethod
    def _errors_response(errors: list[dict[str, Any]]) -> Response:
        return json_response(
            [
                {"message": e["message"], "errorCode": e["statusCode"], "fields": e["fields"]}
                for e in errors
            ],
            400,
        )

    def _external_field(self, sobject: str, name: str) -> SFField:
        fld = self.state.sf_field(sobject, name)
        if fld is None:
            raise SfError(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {name}",
            )
        if not (fld.externalId or fld.idLookup):
            raise SfError(
                400,
                "INVALID_FIELD",
                f"Field {fld.name} is not an External ID or idLookup field",
                [fld.name],
            )
        return fld

    def _by_external(self, sobject: str, fld: SFField, value: str) -> list[dict[str, Any]]:
        wanted = value.lower()
        return [
            r
            for r in self.live(sobject)
            if r.get(fld.name) is not None and str(r[fld.name]).lower() == wanted
        ]

    def get_by_external_id(self, call: Call) -> Response:
        sobject = self.sobject(call.params["sobject"])
        fld = self._external_field(sobject, call.params["field"])
        # simple-salesforce quote_plus-es the value on GET, so "+" means a space here.
        value = unquote_plus(call.raw_params["value"])
        found = self._by_external(sobject, fld, value)
        if not found:
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        if len(found) > 1:
            return json_response([self.url(sobject, r["Id"]) for r in found], 300)
        return json_response(self.project(sobject, found[0]))

    def upsert(self, call: Call) -> Response:
        sobject = self.sobject(call.params["sobject"])
        fld = self._external_field(sobject, call.params["field"])
        body = self.body(call)
        result, status = self._upsert_one(sobject, fld, call.params["value"], body)
        if status == 300:
            return json_response(result, 300)
        if not result["success"]:
            return self._errors_response(result["errors"])
        return json_response(result, status)

    def _upsert_one(
        self, sobject: str, fld: SFField, value: str, body: dict[str, Any]
    ) -> tuple[Any, int]:
        found = self._by_external(sobject, fld, value)
        if len(found) > 1:
            return [self.url(sobject, r["Id"]) for r in found], 300
        extra = {k: v for k, v in body.items() if k.lower() != fld.name.lower()}
        record = found[0] if found else None
        if record is None:
            clean, errors = self.validate(sobject, {**extra, fld.name: value}, None)
        else:
            clean, errors = self.validate(sobject, extra, record)
        if errors:
            return {"id": None, "success": False, "errors": errors, "created": record is None}, 400
        saved = self.apply(sobject, record, clean)
        return (
            {"id": saved["Id"], "success": True, "errors": [], "created": record is None},
            200 if record else 201,
        )

    # ------------------------------------------------------------------ collections
    def _collection_body(self, call: Call) -> tuple[list[Any], bool]:
        body = self.body(call)
        records = body.get("records")
        if not isinstance(records, list):
            raise BadJson("Expected a JSON object with a 'records' array")
        if len(records) > MAX_COLLECTION:
            raise SfError(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more "
                f"than {MAX_COLLECTION} records into this call",
            )
        return records, bool(body.get("allOrNone", False))

    def _record_type(self, item: Any) -> str:
        if not isinstance(item, dict):
            raise SfError(400, "JSON_PARSER_ERROR", "Each record must be a JSON object")
        attributes = item.get("attributes")
        type_name = attributes.get("type") if isinstance(attributes, dict) else None
        if not type_name:
            raise SfError(400, "INVALID_TYPE", "Must send a concrete entity type.")
        sobject = self.state.sf_object_name(str(type_name))
        if sobject is None:
            raise SfError(400, "INVALID_TYPE", f"sObject type '{type_name}' is not supported.")
        return sobject

    def _run_collection(self, items: list[Any], all_or_none: bool, one: Any) -> Response:
        """Run `one(item)` per record; with allOrNone, undo everything if any failed."""
        for item in items:
            self._record_type(item)  # a malformed request fails whole, before any write
        snapshot = copy.deepcopy(self.state.sf_records) if all_or_none else None
        results = [one(item) for item in items]
        if snapshot is not None and any(not r["success"] for r in results):
            self.state.sf_records = snapshot
            results = [
                r
                if not r["success"]
                else {
                    **r,
                    "success": False,
                    "errors": [ROLLED_BACK],
                    "id": None if r.get("_new") or r.get("created") else r["id"],
                }
                for r in results
            ]
        for result in results:
            result.pop("_new", None)
        return json_response(results, 200)

    def collection_create(self, call: Call) -> Response:
        items, all_or_none = self._collection_body(call)

        def one(item: dict[str, Any]) -> dict[str, Any]:
            sobject = self._record_type(item)
            if item.get("id") or item.get("Id"):
                return {
                    "id": None,
                    "success": False,
                    "errors": [
                        _err("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
                    ],
                }
            clean, errors = self.validate(sobject, item, None)
            if errors:
                return {"id": None, "success": False, "errors": errors}
            return {
                "id": self.apply(sobject, None, clean)["Id"],
                "success": True,
                "errors": [],
                "_new": True,
            }

        return self._run_collection(items, all_or_none, one)

    def collection_update(self, call: Call) -> Response:
        items, all_or_none = self._collection_body(call)
        seen: set[str] = set()

        def one(item: dict[str, Any]) -> dict[str, Any]:
            sobject = self._record_type(item)
            record_id = str(item.get("id") or item.get("Id") or "")
            try:
                if not record_id:
                    raise SfError(400, "MISSING_ARGUMENT", "Id not specified in an update call")
                record = self.state.sf_find(sobject, record_id)
                if (
                    len(record_id) not in (15, 18)
                    or SF_PREFIX_TO_OBJECT.get(record_id[:3]) != sobject
                ):
                    raise SfError(
                        400,
                        "MALFORMED_ID",
                        f"{sobject} ID: id value of incorrect type: {record_id}",
                        ["Id"],
                    )
                if record is None:
                    raise SfError(
                        400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["Id"]
                    )
                if record["IsDeleted"]:
                    raise SfError(400, "ENTITY_IS_DELETED", "entity is deleted", ["Id"])
                if record["Id"] in seen:
                    raise SfError(
                        400, "INVALID_FIELD", "Duplicate id in list: " + record_id, ["Id"]
                    )
            except SfError as exc:
                return {
                    "id": record_id or None,
                    "success": False,
                    "errors": [_err(exc.code, exc.message, exc.fields)],
                }
            seen.add(record["Id"])
            clean, errors = self.validate(sobject, item, record, allow=("id", "Id"))
            if errors:
                return {"id": record["Id"], "success": False, "errors": errors}
            self.apply(sobject, record, clean)
            return {"id": record["Id"], "success": True, "errors": []}

        return self._run_collection(items, all_or_none, one)

    def collection_delete(self, call: Call) -> Response:
        ids = [i for i in call.request.args.get("ids", "").split(",") if i]
        if not ids:
            raise SfError(400, "MISSING_ARGUMENT", "ids parameter is required")
        if len(ids) > MAX_COLLECTION:
            raise SfError(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more "
                f"than {MAX_COLLECTION} records into this call",
            )
        all_or_none = call.request.args.get("allOrNone", "false").lower() == "true"
        snapshot = copy.deepcopy(self.state.sf_records) if all_or_none else None
        results = []
        for record_id in ids:
            sobject = SF_PREFIX_TO_OBJECT.get(record_id[:3])
            record = self.state.sf_find(sobject, record_id) if sobject else None
            if record is None:
                results.append(
                    {
                        "id": record_id,
                        "success": False,
                        "errors": [
                            _err(
                                "MALFORMED_ID"
                                if sobject is None
                                else "INVALID_CROSS_REFERENCE_KEY",
                                f"invalid record id: {record_id}",
                            )
                        ],
                    }
                )
            elif record["IsDeleted"]:
                results.append(
                    {
                        "id": record["Id"],
                        "success": False,
                        "errors": [_err("ENTITY_IS_DELETED", "entity is deleted")],
                    }
                )
            else:
                self._delete(record)
                results.append({"id": record["Id"], "success": True, "errors": []})
        if snapshot is not None and any(not r["success"] for r in results):
            self.state.sf_records = snapshot
            results = [
                r if not r["success"] else {**r, "success": False, "errors": [ROLLED_BACK]}
                for r in results
            ]
        return json_response(results)

    def collection_retrieve(self, call: Call) -> Response:
        sobject = self.sobject(call.params["sobject"])
        if call.request.method == "POST":
            body = self.body(call)
            ids, fields = body.get("ids") or [], body.get("fields") or []
        else:
            ids = [i for i in call.request.args.get("ids", "").split(",") if i]
            fields = [f for f in call.request.args.get("fields", "").split(",") if f]
        if not fields:
            raise SfError(400, "MISSING_ARGUMENT", "fields parameter is required")
        if len(ids) > 2000:
            raise SfError(400, "EXCEEDED_ID_LIMIT", "cannot retrieve more than 2000 records")
        out = []
        for record_id in ids:
            record = self.state.sf_find(sobject, str(record_id))
            out.append(
                None
                if record is None or record["IsDeleted"]
                else self.project(sobject, record, list(fields))
            )
        return json_response(out)

    def collection_upsert(self, call: Call) -> Response:
        sobject = self.sobject(call.params["sobject"])
        fld = self._external_field(sobject, call.params["external_id_field"])
        if not fld.externalId:
            raise SfError(
                400, "INVALID_FIELD", f"Field {fld.name} is not an External ID field", [fld.name]
            )
        items, all_or_none = self._collection_body(call)
        values = [str(i.get(fld.name) or "") if isinstance(i, dict) else "" for i in items]
        repeated = {
            v.lower() for v in values if v and sum(1 for w in values if w.lower() == v.lower()) > 1
        }

        def one(item: dict[str, Any]) -> dict[str, Any]:
            if self._record_type(item) != sobject:
                return {
                    "id": None,
                    "success": False,
                    "created": False,
                    "errors": [_err("INVALID_TYPE", f"records must all be of type {sobject}")],
                }
            value = str(item.get(fld.name) or "")
            if not value:
                return {
                    "id": None,
                    "success": False,
                    "created": False,
                    "errors": [_err("MISSING_ARGUMENT", f"{fld.name} not specified", [fld.name])],
                }
            if value.lower() in repeated:
                return {
                    "id": None,
                    "success": False,
                    "created": False,
                    "errors": [
                        _err(
                            "DUPLICATE_EXTERNAL_ID",
                            f"Duplicate external id specified: {value}",
                            [fld.name],
                        )
                    ],
                }
            result, status = self._upsert_one(sobject, fld, value, item)
            if status == 300:
                return {
                    "id": None,
                    "success": False,
                    "created": False,
                    "errors": [
                        _err(
                            "DUPLICATE_EXTERNAL_ID",
                            f"{fld.name}: more than one record found for "
                            f"external id field: {[u.rsplit('/', 1)[1] for u in result]}",
                            [fld.name],
                        )
                    ],
                }
            return dict(result)

        return self._run_collection(items, all_or_none, one)
