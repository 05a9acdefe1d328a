"""Salesforce's error answers: the JSON array of a failed call and the per-record errors of
SaveResults, raised or built anywhere in the Salesforce sandbox."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from enrich.sandbox.routing import json_response


class SfError(Exception):
    """An error answered as Salesforce's JSON array `[{"message","errorCode","fields"}]`."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []

    def response(self) -> Response:
        return sf_error(self.status, self.code, self.message, self.fields)


def sf_error(status: int, code: str, message: str, fields: list[str] | None = None) -> Response:
    return json_response([{"message": message, "errorCode": code, "fields": fields or []}], status)


def _err(code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    """A per-record error as SaveResults carry it (note: statusCode, not errorCode)."""
    return {"statusCode": code, "message": message, "fields": fields or []}
