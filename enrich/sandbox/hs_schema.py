"""Declared schemas: HubSpot object types, associations and properties.

A real portal rejects writes to properties it does not know and to properties it computes
itself; the sandbox must do the same so that a missing enrich property fails in tests as it
would in production. This module holds the object type aliases, the directional association
type ids, the standard properties and groups, and the enrich properties (pre-declared by the
seed flag ``enrich_fields``). The Salesforce side is in schema.py.
"""

from __future__ import annotations

from typing import Any

HS_OBJECT_TYPES: dict[str, str] = {
    # aliases accepted in paths -> canonical plural name
    "contacts": "contacts",
    "contact": "contacts",
    "0-1": "contacts",
    "companies": "companies",
    "company": "companies",
    "0-2": "companies",
    "deals": "deals",
    "deal": "deals",
    "0-3": "deals",
    "notes": "notes",
    "note": "notes",
    "0-46": "notes",
    "tasks": "tasks",
    "task": "tasks",
    "0-27": "tasks",
}
HS_SINGULAR = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "notes": "note",
    "tasks": "task",
}
# The property each object keeps its last-modified time in (contacts differ from the rest).
HS_LASTMODIFIED = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
    "notes": "hs_lastmodifieddate",
    "tasks": "hs_lastmodifieddate",
}
HS_READ_ONLY = (
    "hs_merged_object_ids",
    "hs_object_id",
    "createdate",
    "lastmodifieddate",
    "hs_lastmodifieddate",
    "hs_createdate",
)

# HUBSPOT_DEFINED association type ids are directional: (from, to) -> (typeId, name).
HS_ASSOCIATION_TYPES: dict[tuple[str, str], list[tuple[int, str]]] = {
    ("contacts", "companies"): [(279, "contact_to_company_unlabeled"), (1, "contact_to_company")],
    ("companies", "contacts"): [(280, "company_to_contact_unlabeled"), (2, "company_to_contact")],
    ("deals", "contacts"): [(3, "deal_to_contact")],
    ("contacts", "deals"): [(4, "contact_to_deal")],
    ("deals", "companies"): [(341, "deal_to_company_unlabeled"), (5, "deal_to_company")],
    ("companies", "deals"): [(342, "company_to_deal_unlabeled"), (6, "company_to_deal")],
    ("contacts", "notes"): [(201, "contact_to_note")],
    ("notes", "contacts"): [(202, "note_to_contact")],
    ("companies", "notes"): [(189, "company_to_note")],
    ("notes", "companies"): [(190, "note_to_company")],
    ("deals", "notes"): [(213, "deal_to_note")],
    ("notes", "deals"): [(214, "note_to_deal")],
    ("contacts", "tasks"): [(203, "contact_to_task")],
    ("tasks", "contacts"): [(204, "task_to_contact")],
    ("companies", "tasks"): [(191, "company_to_task")],
    ("tasks", "companies"): [(192, "task_to_company")],
    ("deals", "tasks"): [(215, "deal_to_task")],
    ("tasks", "deals"): [(216, "task_to_deal")],
}


def association_target(from_type: str, type_id: int) -> str | None:
    """The object type a HUBSPOT_DEFINED type id points to from `from_type`, if any."""
    for (source, target), types in HS_ASSOCIATION_TYPES.items():
        if source == from_type and any(t == type_id for t, _ in types):
            return target
    return None


def inverse_association(from_type: str, to_type: str, type_id: int) -> int:
    """The type id of the reverse edge (HubSpot stores both directions)."""
    forward = [t for t, _ in HS_ASSOCIATION_TYPES[(from_type, to_type)]]
    backward = [t for t, _ in HS_ASSOCIATION_TYPES[(to_type, from_type)]]
    index = forward.index(type_id) if type_id in forward else 0
    return backward[min(index, len(backward) - 1)]


def association_name(from_type: str, to_type: str, type_id: int) -> str:
    for t, name in HS_ASSOCIATION_TYPES.get((from_type, to_type), []):
        if t == type_id:
            return name.replace("_unlabeled", "")
    return f"{HS_SINGULAR[from_type]}_to_{HS_SINGULAR[to_type]}"


HS_TYPES = {"string", "number", "date", "datetime", "enumeration", "bool"}
HS_FIELD_TYPES = {
    "textarea",
    "text",
    "date",
    "file",
    "number",
    "select",
    "radio",
    "checkbox",
    "booleancheckbox",
    "calculation_equation",
    "html",
    "phonenumber",
}


def hs_property(
    name: str,
    label: str,
    type_: str = "string",
    field_type: str = "text",
    group: str = "contactinformation",
    *,
    unique: bool = False,
    read_only: bool = False,
    hubspot_defined: bool = True,
    description: str = "",
    options: list[dict[str, Any]] | None = None,
    created_at: str = "2020-01-01T00:00:00Z",
) -> dict[str, Any]:
    """A property definition in the shape `GET /crm/v3/properties/{object}` returns."""
    return {
        "name": name,
        "label": label,
        "type": type_,
        "fieldType": field_type,
        "groupName": group,
        "description": description,
        "options": options or [],
        "displayOrder": -1,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": unique,
        "hidden": False,
        "hubspotDefined": hubspot_defined,
        "formField": not read_only,
        "archived": False,
        "createdAt": created_at,
        "updatedAt": created_at,
        "modificationMetadata": {
            "archivable": not hubspot_defined,
            "readOnlyDefinition": hubspot_defined,
            "readOnlyValue": read_only,
        },
    }


def standard_hs_properties() -> dict[str, dict[str, dict[str, Any]]]:
    """Default properties per object type (HubSpot-defined plus the portal's social fields)."""

    def options(*values: str) -> list[dict[str, Any]]:
        return [
            {"label": v.replace("_", " ").title(), "value": v, "displayOrder": i, "hidden": False}
            for i, v in enumerate(values)
        ]

    def common(group: str, lastmod: str) -> list[dict[str, Any]]:
        return [
            hs_property("hs_object_id", "Record ID", "number", "number", group, read_only=True),
            hs_property("createdate", "Create Date", "datetime", "date", group, read_only=True),
            hs_property(lastmod, "Last Modified Date", "datetime", "date", group, read_only=True),
            hs_property(
                "hs_merged_object_ids",
                "Merged record IDs",
                "enumeration",
                "checkbox",
                group,
                read_only=True,
            ),
            hs_property("hubspot_owner_id", "Owner", "enumeration", "select", group),
        ]

    contacts = [
        *common("contactinformation", "lastmodifieddate"),
        hs_property("firstname", "First Name"),
        hs_property("lastname", "Last Name"),
        hs_property("email", "Email", unique=True),
        hs_property("phone", "Phone Number", field_type="phonenumber"),
        hs_property("company", "Company Name"),
        hs_property("jobtitle", "Job Title"),
        hs_property("city", "City"),
        hs_property("country", "Country/Region"),
        hs_property("website", "Website URL"),
        hs_property("lifecyclestage", "Lifecycle Stage", "enumeration", "radio"),
        hs_property("twitterhandle", "Twitter Username"),
        hs_property("linkedin_url", "LinkedIn URL", hubspot_defined=False),
        # HubSpot keeps the primary company's id on the contact itself.
        hs_property(
            "associatedcompanyid",
            "Primary Associated Company ID",
            "number",
            "number",
            read_only=True,
        ),
    ]
    companies = [
        *common("companyinformation", "hs_lastmodifieddate"),
        hs_property("name", "Company name", group="companyinformation"),
        hs_property("domain", "Company Domain Name", group="companyinformation"),
        hs_property("industry", "Industry", "enumeration", "select", "companyinformation"),
        hs_property("city", "City", group="companyinformation"),
        hs_property("country", "Country/Region", group="companyinformation"),
        hs_property(
            "numberofemployees", "Number of Employees", "number", "number", "companyinformation"
        ),
    ]
    deals = [
        *common("dealinformation", "hs_lastmodifieddate"),
        hs_property("dealname", "Deal Name", group="dealinformation"),
        hs_property("amount", "Amount", "number", "number", "dealinformation"),
        hs_property("dealstage", "Deal Stage", "enumeration", "radio", "dealinformation"),
        hs_property("pipeline", "Pipeline", "enumeration", "select", "dealinformation"),
        hs_property("closedate", "Close Date", "datetime", "date", "dealinformation"),
        hs_property(
            "deal_currency_code",
            "Currency",
            "enumeration",
            "select",
            "dealinformation",
            options=options("USD", "EUR", "GBP"),
        ),
        hs_property(
            "hs_is_closed",
            "Is Deal Closed?",
            "bool",
            "booleancheckbox",
            "dealinformation",
            read_only=True,
        ),
        hs_property(
            "hs_is_closed_won",
            "Is Closed Won",
            "bool",
            "booleancheckbox",
            "dealinformation",
            read_only=True,
        ),
    ]
    notes = [
        *common("engagement", "hs_lastmodifieddate"),
        hs_property("hs_timestamp", "Activity date", "datetime", "date", "engagement"),
        hs_property("hs_note_body", "Note body", field_type="html", group="engagement"),
    ]

    tasks = [
        *common("task", "hs_lastmodifieddate"),
        hs_property("hs_timestamp", "Due date", "datetime", "date", "task"),
        hs_property("hs_task_subject", "Task Title", group="task"),
        hs_property("hs_task_body", "Notes", field_type="html", group="task"),
        hs_property(
            "hs_task_status",
            "Task Status",
            "enumeration",
            "select",
            "task",
            options=options("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"),
        ),
        hs_property(
            "hs_task_priority",
            "Priority",
            "enumeration",
            "select",
            "task",
            options=options("NONE", "LOW", "MEDIUM", "HIGH"),
        ),
        hs_property(
            "hs_task_type",
            "Task Type",
            "enumeration",
            "select",
            "task",
            options=options("CALL", "EMAIL", "TODO", "LINKED_IN"),
        ),
    ]
    return {
        "contacts": {p["name"]: p for p in contacts},
        "companies": {p["name"]: p for p in companies},
        "deals": {p["name"]: p for p in deals},
        "notes": {p["name"]: p for p in notes},
        "tasks": {p["name"]: p for p in tasks},
    }


def standard_hs_groups() -> dict[str, dict[str, dict[str, Any]]]:
    def group(name: str, label: str) -> dict[str, Any]:
        return {"name": name, "label": label, "displayOrder": -1, "archived": False}

    return {
        "contacts": {"contactinformation": group("contactinformation", "Contact information")},
        "companies": {"companyinformation": group("companyinformation", "Company information")},
        "deals": {"dealinformation": group("dealinformation", "Deal information")},
        "notes": {"engagement": group("engagement", "Engagement")},
        "tasks": {"task": group("task", "Task information")},
    }


# Properties whose values HubSpot keeps unique (hasUniqueValue): the keys of enrich's notes and
# hand-off tasks, so that they are upserted on them and never written twice
# (shared/protocols/crm.md §5).
ENRICH_HS_UNIQUE = {"enrich_touchpoint_id", "enrich_handoff_id", "enrich_lead_key"}
ENRICH_HS_PROPERTIES: dict[str, list[tuple[str, str, str, str]]] = {
    # object -> (name, label, type, fieldType)
    "contacts": [
        ("enrich_social_score", "Social engagement score", "number", "number"),
        ("enrich_score_reasons", "Social score reasons", "string", "textarea"),
        ("enrich_social_interests", "Social interests", "string", "text"),
        ("enrich_last_social_touch", "Last social touch", "datetime", "date"),
        ("enrich_last_touch_summary", "Last social touch summary", "string", "text"),
        ("enrich_social_profiles", "Social profiles", "string", "textarea"),
        ("enrich_url", "Open in enrich", "string", "text"),
        ("enrich_lead_key", "enrich lead-form key", "string", "text"),
    ],
    "deals": [
        ("enrich_social_influenced", "Social influenced", "bool", "booleancheckbox"),
        ("enrich_first_social_touch", "First social touch", "string", "text"),
        ("enrich_touches_before_create", "Social touches before create", "number", "number"),
        ("enrich_touches_before_close", "Social touches before close", "number", "number"),
    ],
    "companies": [
        ("enrich_account_score", "Social account score", "number", "number"),
        ("enrich_engaged_people", "Socially engaged people", "number", "number"),
    ],
    "notes": [
        ("enrich_touchpoint_id", "enrich touchpoint id", "string", "text"),
    ],
    "tasks": [
        ("enrich_handoff_id", "enrich hand-off id", "string", "text"),
    ],
}
