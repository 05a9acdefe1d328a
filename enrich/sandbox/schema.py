"""Declared schemas: Salesforce sObject fields (HubSpot properties are in hs_schema.py).

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
    "OpportunityContactRole": "00K",
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
            SFField("IsWon", "boolean", 0, False, False, False),  # computed from StageName
            _ref("OwnerId", "User", "Owner"),
        ],
        # The people of an opportunity (its buying committee), apart from its account.
        "OpportunityContactRole": [
            _ref("OpportunityId", "Opportunity", "Opportunity", required=True),
            _ref("ContactId", "Contact", "Contact", required=True),
            SFField("Role", "picklist", 255),
            SFField("IsPrimary", "boolean", 0),
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
    "Lead": [
        *_PEOPLE_FIELDS,
        ("Enrich_Lead_Key__c", {"type": "Text", "length": 120, "externalId": True, "unique": True}),
    ],
    "Account": [
        ("Social_Account_Score__c", {"type": "Number", "precision": 5, "scale": 0}),
        ("Social_Engaged_People__c", {"type": "Number", "precision": 6, "scale": 0}),
    ],
    "Opportunity": [
        ("Social_Influenced__c", {"type": "Checkbox", "defaultValue": "false"}),
        ("First_Social_Touch__c", {"type": "Text", "length": 255}),
        ("Social_Touches_Before_Create__c", {"type": "Number", "precision": 18, "scale": 0}),
        ("Social_Touches_Before_Close__c", {"type": "Number", "precision": 18, "scale": 0}),
    ],
    "Task": [
        (
            "Enrich_Touchpoint_Id__c",
            {"type": "Text", "length": 255, "externalId": True, "unique": True},
        ),
    ],
}
