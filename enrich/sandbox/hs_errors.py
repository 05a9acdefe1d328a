"""HubSpot's JSON error body, raised anywhere in the HubSpot sandbox and answered by
HubSpotBase.handle."""

from __future__ import annotations

import uuid
from typing import Any

from werkzeug.wrappers import Response

from enrich.sandbox.routing import json_response


class HsError(Exception):
    """An error answered with HubSpot's JSON error body."""

    def __init__(
        self,
        status: int,
        category: str,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        context: dict[str, Any] | None = None,
        sub_category: str | None = None,
    ):
        super().__init__(message)
        self.status, self.category, self.message = status, category, message
        self.errors, self.context, self.sub_category = errors, context, sub_category

    def response(self) -> Response:
        body: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": str(uuid.uuid4()),
            "category": self.category,
        }
        if self.sub_category:
            body["subCategory"] = self.sub_category
        if self.errors:
            body["errors"] = self.errors
        if self.context:
            body["context"] = self.context
        return json_response(body, self.status)
