"""The OpenAPI 3.1 description of /api/v1, written by hand as data and served at
/api/v1/openapi.json: the paths are in openapi_paths.py, the shared schemas here. A test checks
that every registered /api/v1 route appears in it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from enrich.api.openapi_leads import LEAD_PATHS
from enrich.api.openapi_paths import ID, OBJ, PATHS
from enrich.api.openapi_reports import REPORT_PATHS

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "enrich API",
        "version": "1",
        "description": "Every RevOps console action, for automation. Authenticate with "
        "`Authorization: Bearer <token>` (admins create tokens in the "
        "console or via POST /api/v1/tokens). Roles: viewer < revops < admin.",
    },
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "paths": {**PATHS, **REPORT_PATHS, **LEAD_PATHS},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["status", "code", "message"],
                        "properties": {
                            "status": {"type": "integer"},
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    }
                },
            },
            "Page": {
                "type": "object",
                "required": ["items", "next_cursor"],
                "properties": {
                    "items": {"type": "array", "items": OBJ},
                    "next_cursor": {"type": ["string", "null"]},
                },
            },
            "Link": {
                "type": "object",
                "required": ["id", "status", "decided_by"],
                "properties": {
                    "id": {"type": "integer"},
                    "profile_id": {"type": "integer"},
                    "record_id": {"type": "integer"},
                    "status": {
                        "type": "string",
                        "enum": ["auto", "confirmed", "rejected", "pending"],
                    },
                    "score": {"type": "number"},
                    "explanation": {"type": "array", "items": OBJ},
                    "decided_by": {"type": "string"},
                    "decided_at": {"type": "string"},
                },
            },
            "PersonRef": {
                "type": "object",
                "properties": {
                    "record_id": {"oneOf": [ID, {"type": "null"}]},
                    "profile_ids": {"type": "array", "items": ID, "maxItems": 100},
                },
            },
        },
    },
}


def register(bp: Blueprint) -> None:
    @bp.get("/openapi.json")
    def openapi() -> ResponseReturnValue:
        return jsonify(DOCUMENT)
