"""The paths of the OpenAPI 3.1 description of /api/v1 (one operation per route), and the
small builders they are written with; openapi.py puts them in the served document."""

from __future__ import annotations

from typing import Any

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: dict[str, Any], status: str = "200", text: str = "OK") -> dict[str, Any]:
    return {status: {"description": text, "content": {JSON: {"schema": schema}}}}


def _errors(*statuses: int) -> dict[str, Any]:
    texts = {
        400: "Malformed request",
        401: "No token, or an unknown or revoked token",
        403: "The role or the token's scopes do not allow this",
        404: "Not found",
        409: "Already decided (or undone) by someone else",
        422: "Valid JSON, refused content",
        502: "The CRM could not be reached",
    }
    return {
        str(s): {"description": texts[s], "content": {JSON: {"schema": _ref("Error")}}}
        for s in (401, 403, *statuses)
    }


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


def _q(name: str, schema: dict[str, Any], text: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": text}


def _p(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


ID = {"type": "integer", "minimum": 1, "maximum": 2**53}
LIMIT = _q("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "page size")
CURSOR = _q(
    "cursor", {"type": "string", "pattern": "^[0-9]{1,18}$"}, "next_cursor of the previous page"
)
KIND = _p("kind", {"type": "string", "enum": ["match", "topics", "scoring"]})
OBJ = {"type": "object", "additionalProperties": True}
RULES_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["body"],
    "properties": {"body": {"type": "string", "description": "the YAML document"}},
}


def _op(
    op_id: str,
    summary: str,
    tag: str,
    responses: dict[str, Any],
    *errors: int,
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": op_id,
        "summary": summary,
        "tags": [tag],
        "responses": {**responses, **_errors(*errors)},
    }
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = _body(body)
    return op


PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/dashboard": {
        "get": _op(
            "dashboard",
            "Ingest per day, match outcomes, sync health, engaged accounts",
            "dashboard",
            _ok(OBJ),
            400,
            params=[
                _q(
                    "days",
                    {"type": "integer", "minimum": 1, "maximum": 90},
                    "days of touchpoint history",
                )
            ],
        )
    },
    "/api/v1/people": {
        "get": _op(
            "people_search",
            "Search contacts and leads by name, email, company or social handle",
            "people",
            _ok(_ref("Page")),
            400,
            params=[
                _q("q", {"type": "string", "maxLength": 200}, "search words"),
                _q("object_type", {"type": "string", "enum": ["contact", "lead"]}, "filter"),
                LIMIT,
                CURSOR,
            ],
        )
    },
    "/api/v1/people/duplicates": {
        "get": _op(
            "people_duplicates",
            "Likely duplicate contacts and leads (the match rules' duplicates rule): each pair "
            "with its evidence, the record the survivor rule keeps, the CRM record pages and "
            "how the CRM joins them (merge, or convert the lead)",
            "people",
            _ok(OBJ),
            400,
            params=[
                LIMIT,
                _q(
                    "cursor",
                    {"type": "string", "pattern": "^[0-9]{1,18}-[0-9]{1,18}$"},
                    "next_cursor of the previous page",
                ),
            ],
        )
    },
    "/api/v1/people/{record_id}": {
        "get": _op(
            "person",
            "One person: linked profiles, touchpoints, interests, score, CRM writes",
            "people",
            _ok(OBJ),
            404,
            params=[_p("record_id", ID)],
        )
    },
    "/api/v1/review": {
        "get": _op(
            "review_queue",
            "Profiles waiting for review, each with its candidate records, "
            "their explanations and hints (job_change: name and title or city agree, the profile "
            "names another employer)",
            "review",
            _ok(_ref("Page")),
            400,
            params=[_q("platform", {"type": "string", "maxLength": 20}, "filter"), LIMIT, CURSOR],
        )
    },
    "/api/v1/review/{link_id}/confirm": {
        "post": _op(
            "review_confirm",
            "Confirm a pending link (the profile's other candidates are rejected)",
            "review",
            _ok(_ref("Link")),
            404,
            409,
            params=[_p("link_id", ID)],
        )
    },
    "/api/v1/review/{link_id}/reject": {
        "post": _op(
            "review_reject",
            "Reject a pending link",
            "review",
            _ok(_ref("Link")),
            404,
            409,
            params=[_p("link_id", ID)],
        )
    },
    "/api/v1/review/{link_id}/relink": {
        "post": _op(
            "review_relink",
            "Link the profile to another record instead",
            "review",
            _ok(_ref("Link")),
            400,
            404,
            409,
            params=[_p("link_id", ID)],
            body={"type": "object", "required": ["record_id"], "properties": {"record_id": ID}},
        )
    },
    "/api/v1/links/{link_id}/unlink": {
        "post": _op(
            "link_unlink",
            "Undo a link in effect (auto or confirmed): the record is not this "
            "person; what enrich wrote on it is retracted and the pair is never proposed again",
            "review",
            _ok(_ref("Link")),
            404,
            409,
            params=[_p("link_id", ID)],
        )
    },
    "/api/v1/links/{link_id}/relink": {
        "post": _op(
            "link_relink",
            "Undo a link in effect by moving the profile (and what enrich wrote) to another record",
            "review",
            _ok(_ref("Link")),
            400,
            404,
            409,
            422,
            params=[_p("link_id", ID)],
            body={"type": "object", "required": ["record_id"], "properties": {"record_id": ID}},
        )
    },
    "/api/v1/audit": {
        "get": _op(
            "audit_log",
            "Who did what, newest first (admins)",
            "audit",
            _ok(_ref("Page")),
            400,
            params=[
                _q(
                    "action",
                    {"type": "string", "maxLength": 100},
                    "action prefix, e.g. link_ for every link decision",
                ),
                _q("profile_id", ID, "decisions on this social profile's links"),
                _q("record_id", ID, "decisions on this CRM record's links"),
                LIMIT,
                CURSOR,
            ],
        )
    },
    "/api/v1/rules/{kind}": {
        "get": _op(
            "rules_get",
            "The active document, stored versions and who changed what",
            "rules",
            _ok(OBJ),
            params=[KIND],
        )
    },
    "/api/v1/rules/{kind}/versions/{version}": {
        "get": _op(
            "rules_version",
            "One stored version",
            "rules",
            _ok(OBJ),
            404,
            params=[KIND, _p("version", {"type": "string", "maxLength": 64})],
        )
    },
    "/api/v1/rules/match/calibration": {
        "get": _op(
            "rules_calibration",
            "What reviewers say about the scores: the pairs people decided "
            "(confirmed or rejected), per 1-bit score bin between the thresholds, with the share "
            "confirmed and its 95 % Wilson interval, and per candidate link threshold the share "
            "confirmed at or above it and how many pending links would be linked automatically. "
            "The share confirmed is over the pairs people decided, a biased sample (only what "
            "reached review, or an auto link someone undid), not a precision guarantee. Links a "
            "reviewer made by hand (relink to a record the matcher never proposed) are left out",
            "rules",
            _ok(OBJ),
            400,
            404,
            422,
            params=[
                _q(
                    "version",
                    {"type": "string", "minLength": 1, "maxLength": 64},
                    'a stored version number ("3"), "default", a rules version name (the '
                    '`version:` line links record), or "all"; default: the active rules',
                )
            ],
        )
    },
    "/api/v1/rules/{kind}/validate": {
        "post": _op(
            "rules_validate",
            "Check a document; 422 with the loader's message if invalid",
            "rules",
            _ok(OBJ),
            400,
            422,
            params=[KIND],
            body=RULES_BODY,
        )
    },
    "/api/v1/rules/{kind}/preview": {
        "post": _op(
            "rules_preview",
            "What the document would change on stored data",
            "rules",
            _ok(OBJ),
            400,
            422,
            params=[KIND],
            body=RULES_BODY,
        )
    },
    "/api/v1/rules/{kind}/versions": {
        "post": _op(
            "rules_save",
            "Store a new version (and activate it unless activate is false)",
            "rules",
            _ok(OBJ, "201", "Stored"),
            400,
            409,
            422,
            params=[KIND],
            body={
                **RULES_BODY,
                "properties": {
                    **RULES_BODY["properties"],
                    "comment": {"type": "string", "maxLength": 500},
                    "activate": {"type": "boolean"},
                },
            },
        )
    },
    "/api/v1/rules/{kind}/activate": {
        "post": _op(
            "rules_activate",
            "Activate a stored version (roll back)",
            "rules",
            _ok(OBJ),
            400,
            404,
            422,
            params=[KIND],
            body={
                "type": "object",
                "required": ["version"],
                "properties": {"version": {"type": "string", "minLength": 1, "maxLength": 64}},
            },
        )
    },
    "/api/v1/sync": {
        "get": _op(
            "sync_status", "Pending writes, failures, last sync, API budget", "sync", _ok(OBJ)
        )
    },
    "/api/v1/deadletters": {
        "get": _op(
            "deadletters_list",
            "Dead letters, newest first",
            "sync",
            _ok(_ref("Page")),
            400,
            params=[
                _q("kind", {"type": "string", "maxLength": 40}, "raw_event, sync, activity"),
                _q("replayed", {"type": "string", "enum": ["true", "false"]}, "filter"),
                LIMIT,
                CURSOR,
            ],
        )
    },
    "/api/v1/deadletters/replay": {
        "post": _op(
            "deadletters_replay",
            "Replay dead letters by id, or all open ones",
            "sync",
            _ok({"type": "object", "properties": {"replayed": {"type": "integer"}}}),
            400,
            404,
            body={
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["ids"],
                        "properties": {
                            "ids": {"type": "array", "items": ID, "minItems": 1, "maxItems": 1000}
                        },
                    },
                    {"type": "object", "required": ["all"], "properties": {"all": {"const": True}}},
                ]
            },
        )
    },
    "/api/v1/tokens": {
        "get": _op("tokens_list", "API tokens (never their secrets)", "tokens", _ok(_ref("Page"))),
        "post": _op(
            "tokens_create",
            "Create a token; its secret is in this answer only",
            "tokens",
            _ok(OBJ, "201", "Created"),
            400,
            body={
                "type": "object",
                "required": ["name", "role"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "role": {"type": "string", "enum": ["admin", "revops", "viewer"]},
                    "scopes": {
                        "type": "array",
                        "items": {
                            "type": "string",
                            "enum": [
                                "dashboard",
                                "people",
                                "review",
                                "rules",
                                "sync",
                                "privacy",
                                "tokens",
                            ],
                        },
                    },
                },
            },
        ),
    },
    "/api/v1/tokens/{token_id}": {
        "delete": _op(
            "tokens_revoke", "Revoke a token", "tokens", _ok(OBJ), 404, params=[_p("token_id", ID)]
        )
    },
    "/api/v1/privacy/export": {
        "post": _op(
            "privacy_export",
            "Everything enrich holds about a person",
            "privacy",
            _ok(OBJ),
            400,
            404,
            body=_ref("PersonRef"),
        )
    },
    "/api/v1/privacy/erase": {
        "post": _op(
            "privacy_erase",
            "Erase a person; confirm = their email (or 'erase <record id>')",
            "privacy",
            _ok(OBJ),
            400,
            404,
            422,
            502,
            body={
                "allOf": [
                    _ref("PersonRef"),
                    {
                        "type": "object",
                        "required": ["confirm"],
                        "properties": {"confirm": {"type": "string"}},
                    },
                ]
            },
        )
    },
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "tags": ["meta"],
            "security": [],
            "responses": _ok(OBJ),
        }
    },
}
