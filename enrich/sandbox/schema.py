"""Declared schemas: Salesforce sObject fields and HubSpot properties.

A real org rejects writes to fields it does not know and to fields it computes itself;
the sandbox must do the same so that a missing custom field fails in tests as it would in
production. This module holds the standard schema of the objects enrich touches, the
enrich custom fields (pre-declared by the seed flag ``enrich_fields``) and the mapping from
Tooling API metadata types to describe types.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

API_VERSION = "59.0"
SF_DATA = f"/services/data/v{API_VERSION}"

# Key prefixes of the real platform, so ids look (and are checked) like real ones.
SF_PREFIXES: dict[str, str] = {
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "Task": "00T",
    "User": "005",
}
SF_PREFIX_TO_OBJECT = {prefix: name for name, prefix in SF_PREFIXES.items()}


@dataclass
class SFField:
    """One field of an sObject as `describe` reports it (the subset enrich relies on)."""

    name: str
    type: str = "string"
    length: int = 255
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    required: bool = False  # required on insert (describe: createable and not nillable)
    externalId: bool = False
    unique: bool = False
    idLookup: bool = False
    custom: bool = False
    referenceTo: list[str] = field(default_factory=list)
    relationshipName: str | None = None
    label: str = ""

    def describe(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("required")
        data["label"] = self.label or self.name.replace("__c", "").replace("_", " ")
        data["calculated"] = False
        data["nillable"] = self.nillable and not self.required
        data["defaultedOnCreate"] = self.name in SYSTEM_FIELDS
        return data

    @property
    def read_only(self) -> bool:
        return not (self.createable or self.updateable)


SYSTEM_FIELDS = ("Id", "CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted")


def _system() -> list[SFField]:
    return [
        SFField("Id", "id", 18, False, False, False, idLookup=True),
        SFField("IsDeleted", "boolean", 0, False, False, False),
        SFField("CreatedDate", "datetime", 0, False, False, False),
        SFField("LastModifiedDate", "datetime", 0, False, False, False),
        SFField("SystemModstamp", "datetime", 0, False, False, False),
    ]


def _merge(sobject: str) -> list[SFField]:
    """Objects Salesforce merges carry MasterRecordId: on a record deleted by a merge, the
    record it was merged into (read-only; set by the merge)."""
    if sobject not in ("Account", "Contact", "Lead"):
        return []
    return [
        SFField(
            "MasterRecordId",
            "reference",
            18,
            False,
            False,
            referenceTo=[sobject],
            relationshipName="MasterRecord",
        )
    ]


def _ref(name: str, target: str, relationship: str, required: bool = False) -> SFField:
    return SFField(
        name,
        "reference",
        18,
        required=required,
        referenceTo=[target],
        relationshipName=relationship,
    )


def _name(length: int = 121) -> SFField:
    # Compound name on people objects: computed from FirstName + LastName, never writable.
    return SFField("Name", "string", length, False, False, idLookup=False)


def standard_sf_schema() -> dict[str, dict[str, SFField]]:
    """The standard objects and fields of the sandbox org (before enrich's own fields)."""
    people_social = [
        SFField("LinkedIn_Url__c", "url", 255, custom=True),
        SFField("X_Handle__c", "string", 80, custom=True),
    ]
    objects: dict[str, list[SFField]] = {
        "User": [
            SFField("FirstName", "string", 40),
            SFField("LastName", "string", 80, required=True),
            _name(),
            SFField("Email", "email", 80, required=True),
            SFField("Username", "string", 80, required=True, unique=True, idLookup=True),
            SFField("IsActive", "boolean", 0),
            SFField("Title", "string", 80),
        ],
        "Account": [
            SFField("Name", "string", 255, required=True, idLookup=True),
            SFField("Website", "url", 255),
            SFField("Industry", "picklist", 255),
            SFField("BillingCity", "string", 40),
            SFField("BillingCountry", "string", 80),
            SFField("NumberOfEmployees", "int", 0),
            SFField("Description", "textarea", 32000),
            _ref("OwnerId", "User", "Owner"),
        ],
        "Contact": [
            SFField("FirstName", "string", 40),
            SFField("LastName", "string", 80, required=True),
            _name(),
            SFField("Email", "email", 80, idLookup=True),
            SFField("Phone", "phone", 40),
            _ref("AccountId", "Account", "Account"),
            SFField("Title", "string", 128),
            SFField("MailingCity", "string", 40),
            SFField("MailingCountry", "string", 80),
            SFField("Description", "textarea", 32000),
            _ref("OwnerId", "User", "Owner"),
            *people_social,
        ],
        "Lead": [
            SFField("FirstName", "string", 40),
            SFField("LastName", "string", 80, required=True),
            _name(),
            SFField("Company", "string", 255, required=True),
            SFField("Email", "email", 80, idLookup=True),
            SFField("Phone", "phone", 40),
            SFField("Title", "string", 128),
            SFField("City", "string", 40),
            SFField("Country", "string", 80),
            SFField("Status", "picklist", 255),
            SFField("LeadSource", "picklist", 255),
            SFField("IsConverted", "boolean", 0, False, False, False),
            SFField("Description", "textarea", 32000),
            _ref("OwnerId", "User", "Owner"),
            *[SFField(**asdict(f)) for f in people_social],
        ],
        "Opportunity": [
            SFField("Name", "string", 120, required=True),
            _ref("AccountId", "Account", "Account"),
            SFField("StageName", "picklist", 255, required=True),
            SFField("CloseDate", "date", 0, required=True),
            SFField("Amount", "currency", 0),
            SFField("Probability", "percent", 0),
            SFField("IsClosed", "boolean", 0, False, False, False),
            _ref("OwnerId", "User", "Owner"),
        ],
        "Task": [
            SFField("Subject", "combobox", 255),
            SFField("Description", "textarea", 32000),
            SFField("Status", "picklist", 255),
            SFField("Priority", "picklist", 255),
            SFField("Type", "picklist", 255),
            SFField("TaskSubtype", "picklist", 255, updateable=False),
            SFField("ActivityDate", "date", 0),
            SFField(
                "WhoId", "reference", 18, referenceTo=["Contact", "Lead"], relationshipName="Who"
            ),
            SFField(
                "WhatId",
                "reference",
                18,
                referenceTo=["Account", "Opportunity"],
                relationshipName="What",
            ),
            _ref("OwnerId", "User", "Owner"),
        ],
    }
    return {
        obj: {f.name: f for f in [*_system(), *fields, *_merge(obj)]}
        for obj, fields in objects.items()
    }


# Tooling API `Metadata.type` -> describe type, default length.
TOOLING_TYPES: dict[str, tuple[str, int]] = {
    "Number": ("double", 0),
    "Percent": ("percent", 0),
    "Currency": ("currency", 0),
    "Text": ("string", 255),
    "TextArea": ("textarea", 255),
    "LongTextArea": ("textarea", 32768),
    "DateTime": ("datetime", 0),
    "Date": ("date", 0),
    "Url": ("url", 255),
    "Email": ("email", 80),
    "Checkbox": ("boolean", 0),
    "Phone": ("phone", 40),
}


def custom_field_from_metadata(name: str, metadata: dict[str, Any]) -> SFField:
    """Build a field from a Tooling API CustomField `Metadata` block (already validated)."""
    sf_type, length = TOOLING_TYPES[str(metadata["type"])]
    if metadata.get("length"):
        length = int(metadata["length"])
    return SFField(
        name,
        sf_type,
        length,
        externalId=bool(metadata.get("externalId", False)),
        unique=bool(metadata.get("unique", False)),
        custom=True,
        label=str(metadata.get("label") or ""),
    )


# enrich's own fields (`"enrich_fields": true` in a seed declares them up front).
_PEOPLE_FIELDS: list[tuple[str, dict[str, Any]]] = [
    ("Social_Score__c", {"type": "Number", "precision": 5, "scale": 0}),
    ("Social_Score_Reasons__c", {"type": "LongTextArea", "length": 32768}),
    ("Social_Interests__c", {"type": "Text", "length": 255}),
    ("Last_Social_Touch__c", {"type": "DateTime"}),
    ("Last_Social_Touch_Summary__c", {"type": "Text", "length": 255}),
    ("Social_Profiles__c", {"type": "LongTextArea", "length": 32768}),
    ("Enrich_Url__c", {"type": "Url"}),
]
ENRICH_SF_FIELDS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "Contact": _PEOPLE_FIELDS,
    "Lead": _PEOPLE_FIELDS,
    "Account": [
        ("Social_Account_Score__c", {"type": "Number", "precision": 5, "scale": 0}),
        ("Social_Engaged_People__c", {"type": "Number", "precision": 6, "scale": 0}),
    ],
    "Task": [
        (
            "Enrich_Touchpoint_Id__c",
            {"type": "Text", "length": 255, "externalId": True, "unique": True},
        ),
    ],
}


# ---------------------------------------------------------------------------- HubSpot

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
    ]
    notes = [
        *common("engagement", "hs_lastmodifieddate"),
        hs_property("hs_timestamp", "Activity date", "datetime", "date", "engagement"),
        hs_property("hs_note_body", "Note body", field_type="html", group="engagement"),
    ]

    def options(*values: str) -> list[dict[str, Any]]:
        return [
            {"label": v.replace("_", " ").title(), "value": v, "displayOrder": i, "hidden": False}
            for i, v in enumerate(values)
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
ENRICH_HS_UNIQUE = {"enrich_touchpoint_id", "enrich_handoff_id"}
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
