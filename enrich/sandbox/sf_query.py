"""Salesforce SOQL: query/queryAll with cursor paging (`nextRecordsUrl`)."""

from __future__ import annotations

import secrets
from typing import Any

from werkzeug.wrappers import Request, Response

from enrich.sandbox import soql
from enrich.sandbox.routing import (
    Call,
    json_response,
)
from enrich.sandbox.schema import (
    SF_DATA,
)
from enrich.sandbox.sf_base import SalesforceBase
from enrich.sandbox.sf_errors import SfError
from enrich.sandbox.state import sf_id18


class QueryRoutes(SalesforceBase):
    # ------------------------------------------------------------------ SOQL
    def query(self, call: Call, include_deleted: bool) -> Response:
        text = call.request.args.get("q")
        if not text:
            raise SfError(400, "MALFORMED_QUERY", "A query string (q=) is required")
        parsed = soql.parse(text)
        sobject = self.state.sf_object_name(parsed.sobject)
        if sobject is None:
            raise SfError(
                400,
                "INVALID_TYPE",
                f"sObject type '{parsed.sobject}' is not "
                "supported. If you are attempting to use a custom object, be sure to "
                "append the '__c' after the entity name.",
            )
        empty_record: dict[str, Any] = {}
        for name in parsed.referenced_fields():
            self.field_value(sobject, empty_record, name)  # unknown fields fail up front
        self._check_literals(sobject, parsed.where)
        pool = self.state.sf_records[sobject].values() if include_deleted else self.live(sobject)

        def getter(record: dict[str, Any]) -> soql.Getter:
            return lambda path: self.field_value(sobject, record, path)

        rows = [r for r in pool if soql.matches(parsed.where, getter(r))]
        for name, desc, nulls_last in reversed(parsed.order):

            def key(r: dict[str, Any], name: str = name) -> Any:
                value, field_type = self.field_value(sobject, r, name)
                return soql.comparable(value, field_type)

            present = sorted((r for r in rows if key(r) is not None), key=key, reverse=desc)
            absent = [r for r in rows if key(r) is None]
            rows = present + absent if nulls_last else absent + present
        rows = rows[parsed.offset :]
        if parsed.limit is not None:
            rows = rows[: parsed.limit]
        if parsed.count:
            return json_response({"totalSize": len(rows), "done": True, "records": []})
        records = [self.project(sobject, r, parsed.fields) for r in rows]
        return self._page(
            records, self._batch_size(call.request), "queryAll" if include_deleted else "query", 0
        )

    def _check_literals(self, sobject: str, node: Any) -> None:
        if isinstance(node, soql.BoolOp):
            for part in node.parts:
                self._check_literals(sobject, part)
        elif isinstance(node, soql.Condition):
            _, field_type = self.field_value(sobject, {}, node.field)
            values = node.value if isinstance(node.value, tuple) else (node.value,)
            for literal in values:
                soql.check_literal(node.field, field_type, literal)

    @staticmethod
    def _batch_size(request: Request) -> int:
        options = request.headers.get("Sforce-Query-Options", "")
        for part in options.split(","):
            name, _, value = part.partition("=")
            if name.strip().lower() == "batchsize" and value.strip().isdigit():
                # Salesforce treats batchSize as a hint between 200 and 2000.
                return min(2000, max(200, int(value)))
        return 2000

    def _page(
        self, records: list[dict[str, Any]], size: int, endpoint: str, start: int
    ) -> Response:
        end = start + size
        body: dict[str, Any] = {
            "totalSize": len(records),
            "done": end >= len(records),
            "records": records[start:end],
        }
        if end < len(records):
            locator = self._locator()
            self.cursors[locator] = (endpoint, records, size)
            while len(self.cursors) > 200:  # old cursors expire, as on the platform
                self.cursors.pop(next(iter(self.cursors)))
            body["nextRecordsUrl"] = f"{SF_DATA}/{endpoint}/{locator}-{end}"
        return json_response(body)

    def _locator(self) -> str:
        return sf_id18("01g" + secrets.token_hex(6)[:12].upper())[:15]

    def query_more(self, call: Call) -> Response:
        locator, _, offset = call.params["locator"].rpartition("-")
        cursor = self.cursors.get(locator)
        if cursor is None or not offset.isdigit():
            raise SfError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        endpoint, records, size = cursor
        return self._page(records, size, endpoint, int(offset))
