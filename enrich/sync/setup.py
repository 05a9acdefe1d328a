"""`enrich crm setup`: create the fields enrich writes (Salesforce custom fields through the
Tooling API, HubSpot properties in group `enrich`), or print an exact checklist when the
connected user may not create them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from enrich.errors import CRMError
from enrich.sync.fields import FieldMap


@dataclass(frozen=True)
class FieldSpec:
    meaning: str
    label: str
    kind: str  # number, text, longtext, datetime, url
    length: int = 255


PERSON_SPECS = [
    FieldSpec("score", "Social engagement score", "number"),
    FieldSpec("score_reasons", "Social score reasons", "text", 255),
    FieldSpec("interests", "Social interests", "text", 255),
    FieldSpec("last_touch", "Last social touch", "datetime"),
    FieldSpec("last_touch_summary", "Last social touch summary", "text", 255),
    FieldSpec("profiles", "Social profiles", "longtext", 32768),
    FieldSpec("enrich_url", "enrich person page", "url"),
]
ACCOUNT_SPECS = [
    FieldSpec("account_score", "Social account score", "number"),
    FieldSpec("engaged_people", "Socially engaged people", "number"),
]
SF_TYPES: dict[str, dict[str, Any]] = {"number": {"type": "Number", "precision": 18, "scale": 0},
            "text": {"type": "Text"}, "longtext": {"type": "LongTextArea", "visibleLines": 5},
            "datetime": {"type": "DateTime"}, "url": {"type": "Url"}}
HS_TYPES = {"number": ("number", "number"), "text": ("string", "text"),
            "longtext": ("string", "textarea"), "datetime": ("datetime", "date"),
            "url": ("string", "text")}


@dataclass
class SetupReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    checklist: list[str] = field(default_factory=list)  # what a human must create by hand

    @property
    def ok(self) -> bool:
        return not self.checklist


def _sf_metadata(spec: FieldSpec) -> dict[str, Any]:
    meta: dict[str, Any] = {"label": spec.label, **SF_TYPES[spec.kind]}
    if spec.kind in ("text", "longtext"):
        meta["length"] = spec.length
    return meta


def _named(specs: list[FieldSpec], names: dict[str, str | None]) -> list[tuple[str, FieldSpec]]:
    """(field name, spec) under the configured names; meanings mapped to None are left out."""
    return [(name, spec) for spec in specs if (name := names.get(spec.meaning))]


def salesforce_plan(fields: FieldMap | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    """(object, field API name, Tooling metadata) for everything enrich writes."""
    fields = fields or FieldMap.default("salesforce")
    plan: list[tuple[str, str, dict[str, Any]]] = []
    for obj in ("Contact", "Lead"):
        if obj.lower() in fields.people:
            plan += [(obj, name, _sf_metadata(s)) for name, s in _named(PERSON_SPECS,
                                                                        fields.person)]
    plan += [("Account", name, _sf_metadata(s)) for name, s in _named(ACCOUNT_SPECS,
                                                                      fields.account)]
    plan.append(("Task", "Enrich_Touchpoint_Id__c", {
        "label": "enrich touchpoint id", "type": "Text", "length": 80, "externalId": True,
        "unique": True, "caseSensitive": True}))
    return plan


def setup_salesforce(adapter: Any) -> SetupReport:
    from enrich.sync.errors import salesforce_errors

    report = SetupReport()
    existing: dict[str, set[str]] = {}
    for obj, name, meta in salesforce_plan(getattr(adapter, "fields", None)):
        full = f"{obj}.{name}"
        try:
            if obj not in existing:
                with salesforce_errors():
                    adapter.calls += 1
                    existing[obj] = {
                        f["name"] for f in getattr(adapter.sf, obj).describe()["fields"]}
            if name in existing[obj]:
                report.existing.append(full)
                continue
            with salesforce_errors():
                adapter.calls += 1
                adapter.sf.toolingexecute("sobjects/CustomField/", method="POST",
                                          data={"FullName": full, "Metadata": meta})
            report.created.append(full)
        except CRMError as exc:
            extra = ", External ID, Unique" if meta.get("externalId") else ""
            length = f"({meta['length']})" if "length" in meta else ""
            report.checklist.append(
                f"Setup → Object Manager → {obj} → Fields & Relationships → New: "
                f"{meta['type']}{length}{extra}, label '{meta['label']}', API name {name} "
                f"[{exc}]")
    return report


def setup_hubspot(adapter: Any) -> SetupReport:
    from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate

    from enrich.sync.errors import hubspot_errors
    from enrich.sync.hubspot import NOTE_KEY_PROPERTY

    report = SetupReport()
    fields = getattr(adapter, "fields", None) or FieldMap.default("hubspot")
    plan: list[tuple[str, str, FieldSpec]] = [
        ("contacts", name, s) for name, s in _named(PERSON_SPECS, fields.person)]
    plan += [("companies", name, s) for name, s in _named(ACCOUNT_SPECS, fields.account)]
    plan.append(("notes", NOTE_KEY_PROPERTY, FieldSpec("key", "enrich touchpoint id", "text")))
    api = adapter.client.crm.properties
    for object_type in ("contacts", "companies", "notes"):
        try:
            with hubspot_errors():
                adapter.calls += 1
                api.groups_api.create(object_type,
                                      PropertyGroupCreate(name="enrich", label="enrich"))
        except CRMError as exc:
            if exc.status != 409:
                report.checklist.append(f"HubSpot → Settings → Properties → {object_type}: "
                                        f"create group 'enrich' [{exc}]")
    for object_type, name, spec in plan:
        kind, field_type = HS_TYPES[spec.kind]
        try:
            with hubspot_errors():
                adapter.calls += 1
                api.core_api.create(object_type, PropertyCreate(
                    name=name, label=spec.label, type=kind, field_type=field_type,
                    group_name="enrich"))
            report.created.append(f"{object_type}.{name}")
        except CRMError as exc:
            if exc.status == 409:
                report.existing.append(f"{object_type}.{name}")
            else:
                report.checklist.append(
                    f"HubSpot → Settings → Properties → {object_type} → Create property: "
                    f"group 'enrich', label '{spec.label}', internal name {name}, "
                    f"type {kind}/{field_type} [{exc}]")
    return report
