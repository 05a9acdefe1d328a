"""The OpenAPI paths of the lead-form review (enrich/api/leads.py), beside openapi_paths.py."""

from __future__ import annotations

from typing import Any

from enrich.api.openapi_paths import CURSOR, ID, LIMIT, OBJ, _ok, _op, _p, _ref

LEAD_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/leads/review": {
        "get": _op(
            "leads_review",
            "Lead-form responses no CRM person matched, oldest first: the form's answers "
            "(hostile text: escape it), consents and suggested candidate records",
            "review",
            _ok(_ref("Page")),
            400,
            params=[LIMIT, CURSOR],
        )
    },
    "/api/v1/leads/{lead_form_id}/link": {
        "post": _op(
            "leads_link",
            "The person who filled the form in is this CRM contact or lead: the lead_form "
            "activity is written on it",
            "review",
            _ok(OBJ),
            400,
            404,
            409,
            params=[_p("lead_form_id", ID)],
            body={"type": "object", "required": ["record_id"], "properties": {"record_id": ID}},
        )
    },
    "/api/v1/leads/{lead_form_id}/create": {
        "post": _op(
            "leads_create",
            "Create the CRM Lead now (ledgered and idempotent, as LEAD_FORMS_UNMATCHED="
            "create_lead does); never for a platform test lead",
            "review",
            _ok(OBJ),
            404,
            409,
            params=[_p("lead_form_id", ID)],
        )
    },
    "/api/v1/leads/{lead_form_id}/dismiss": {
        "post": _op(
            "leads_dismiss",
            "Dismiss the lead: nothing is written to the CRM",
            "review",
            _ok(OBJ),
            404,
            409,
            params=[_p("lead_form_id", ID)],
        )
    },
}
