"""`enrich crm setup`: create the fields enrich writes (Salesforce custom fields through the
Tooling API, HubSpot properties in group `enrich`), or print an exact checklist when the
connected user may not create them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hubspot.crm.properties import OptionInput

from enrich.errors import CRMError
from enrich.sync.errors import hubspot_errors, salesforce_errors
from enrich.sync.fields import FieldMap
from enrich.sync.hs_activities import MIGRATED_NOTE_KEY
from enrich.sync.hs_leads import LEAD_KEY_PROPERTY


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
OPPORTUNITY_SPECS = [
    FieldSpec("social_influenced", "Social influenced", "checkbox"),
    FieldSpec("first_social_touch", "First social touch", "text", 255),
    FieldSpec("touches_before_create", "Social touches before create", "number"),
    FieldSpec("touches_before_close", "Social touches before close", "number"),
]
SF_TYPES: dict[str, dict[str, Any]] = {
    # Salesforce requires a default on a checkbox field.
    "checkbox": {"type": "Checkbox", "defaultValue": "false"},
    "number": {"type": "Number", "precision": 18, "scale": 0},
    "text": {"type": "Text"},
    "longtext": {"type": "LongTextArea", "visibleLines": 5},
    "datetime": {"type": "DateTime"},
    "url": {"type": "Url"},
}
HS_TYPES = {
    "checkbox": ("bool", "booleancheckbox"),
    "number": ("number", "number"),
    "text": ("string", "text"),
    "longtext": ("string", "textarea"),
    "datetime": ("datetime", "date"),
    "url": ("string", "text"),
}


BOOL_OPTIONS = [
    OptionInput(label="Yes", value="true", display_order=0, hidden=False),
    OptionInput(label="No", value="false", display_order=1, hidden=False),
]


@dataclass
class SetupReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    checklist: list[str] = field(default_factory=list)  # what a human must create by hand
    notices: list[str] = field(default_factory=list)  # done, but a setting must follow

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
            plan += [
                (obj, name, _sf_metadata(s)) for name, s in _named(PERSON_SPECS, fields.person)
            ]
    plan += [
        ("Account", name, _sf_metadata(s)) for name, s in _named(ACCOUNT_SPECS, fields.account)
    ]
    plan += [
        ("Opportunity", name, _sf_metadata(s))
        for name, s in _named(OPPORTUNITY_SPECS, fields.opportunity)
    ]
    # Leads made from lead-form responses are upserted on it (docs/LEAD_FORMS.md §4).
    plan.append(
        (
            "Lead",
            "Enrich_Lead_Key__c",
            {
                "label": "enrich lead-form key",
                "type": "Text",
                "length": 120,
                "externalId": True,
                "unique": True,
                "caseSensitive": True,
            },
        )
    )
    plan.append(
        (
            "Task",
            "Enrich_Touchpoint_Id__c",
            {
                "label": "enrich touchpoint id",
                "type": "Text",
                "length": 80,
                "externalId": True,
                "unique": True,
                "caseSensitive": True,
            },
        )
    )
    return plan


def setup_salesforce(adapter: Any) -> SetupReport:
    report = SetupReport()
    existing: dict[str, set[str]] = {}
    for obj, name, meta in salesforce_plan(adapter.fields):
        full = f"{obj}.{name}"
        try:
            if obj not in existing:
                with salesforce_errors():
                    adapter.calls += 1
                    existing[obj] = {
                        f["name"] for f in getattr(adapter.sf, obj).describe()["fields"]
                    }
            if name in existing[obj]:
                report.existing.append(full)
                continue
            with salesforce_errors():
                adapter.calls += 1
                adapter.sf.toolingexecute(
                    "sobjects/CustomField/",
                    method="POST",
                    data={"FullName": full, "Metadata": meta},
                )
            report.created.append(full)
        except CRMError as exc:
            extra = ", External ID, Unique" if meta.get("externalId") else ""
            length = f"({meta['length']})" if "length" in meta else ""
            report.checklist.append(
                f"Setup → Object Manager → {obj} → Fields & Relationships → New: "
                f"{meta['type']}{length}{extra}, label '{meta['label']}', API name {name} "
                f"[{exc}]"
            )
    return report


def setup_hubspot(adapter: Any) -> SetupReport:
    from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate

    report = SetupReport()
    fields = adapter.fields
    plan: list[tuple[str, str, FieldSpec]] = [
        ("contacts", name, s) for name, s in _named(PERSON_SPECS, fields.person)
    ]
    plan += [("companies", name, s) for name, s in _named(ACCOUNT_SPECS, fields.account)]
    plan += [("deals", name, s) for name, s in _named(OPPORTUNITY_SPECS, fields.opportunity)]
    api = adapter.client.crm.properties
    for object_type in ("contacts", "companies", "deals", "notes", "tasks"):
        try:
            with hubspot_errors():
                adapter.calls += 1
                api.groups_api.create(
                    object_type, PropertyGroupCreate(name="enrich", label="enrich")
                )
        except CRMError as exc:
            if exc.status != 409:
                report.checklist.append(
                    f"HubSpot → Settings → Properties → {object_type}: "
                    f"create group 'enrich' [{exc}]"
                )
    for object_type, name, spec in plan:
        kind, field_type = HS_TYPES[spec.kind]
        try:
            with hubspot_errors():
                adapter.calls += 1
                api.core_api.create(
                    object_type,
                    PropertyCreate(
                        name=name,
                        label=spec.label,
                        type=kind,
                        field_type=field_type,
                        group_name="enrich",
                        # A checkbox property is an enumeration of two options.
                        options=BOOL_OPTIONS if kind == "bool" else None,
                    ),
                )
            report.created.append(f"{object_type}.{name}")
        except CRMError as exc:
            if exc.status == 409:
                report.existing.append(f"{object_type}.{name}")
            else:
                report.checklist.append(
                    f"HubSpot → Settings → Properties → {object_type} → Create property: "
                    f"group 'enrich', label '{spec.label}', internal name {name}, "
                    f"type {kind}/{field_type} [{exc}]"
                )
    _note_key(adapter, report)
    _task_key(adapter, report)
    _lead_key(adapter, report)
    return report


def _lead_key(adapter: Any, report: SetupReport) -> None:
    """The unique contact property that keys contacts made from lead forms without an email
    (docs/LEAD_FORMS.md §4); with an email, the email keys them."""
    unique = _unique_property(adapter, LEAD_KEY_PROPERTY, "contacts")
    if unique:
        report.existing.append(f"contacts.{LEAD_KEY_PROPERTY}")
        return
    problem = "it exists without unique values: archive it first"
    if unique is None:
        try:
            _create_unique(adapter, LEAD_KEY_PROPERTY, "enrich lead-form key", "contacts")
            report.created.append(f"contacts.{LEAD_KEY_PROPERTY}")
            return
        except CRMError as exc:
            problem = str(exc)
    report.checklist.append(
        "HubSpot → Settings → Properties → contacts → Create property: group 'enrich', label "
        f"'enrich lead-form key', internal name {LEAD_KEY_PROPERTY}, single-line text, "
        f"'Require unique values for this property' on [{problem}]"
    )


def _task_key(adapter: Any, report: SetupReport) -> None:
    """The unique-value property that keys hand-off tasks. New with tasks, so never there
    without unique values unless made by hand; until it exists hand-offs go out as notes."""
    key = adapter.tasks.key
    unique = _unique_property(adapter, key, "tasks")
    if unique:
        report.existing.append(f"tasks.{key}")
        adapter.tasks_ready()
        return
    if unique is None:
        try:
            _create_unique(adapter, key, "enrich hand-off id", "tasks")
            report.created.append(f"tasks.{key}")
            adapter.tasks_ready()
            return
        except CRMError as exc:
            problem = str(exc)
    else:
        problem = "it exists without unique values: archive it first"
    report.checklist.append(
        "HubSpot → Settings → Properties → tasks → Create property: group 'enrich', label "
        f"'enrich hand-off id', internal name {key}, single-line text, 'Require unique values "
        f"for this property' on [{problem}] (until then hand-offs are written as notes)"
    )


def _note_key(adapter: Any, report: SetupReport) -> None:
    """The unique-value property that keys enrich's notes (they are upserted on it).

    HubSpot cannot make an existing property unique. A portal set up before the key was
    unique gets a second, unique property (`MIGRATED_NOTE_KEY`); the notes written so far are
    copied over to it, so upserts find them, and HUBSPOT_NOTE_KEY_PROPERTY must name it."""
    key = adapter.note_key
    unique = _unique_property(adapter, key)
    if unique:
        report.existing.append(f"notes.{key}")
        return
    if unique is None:
        try:
            _create_unique(adapter, key, "enrich touchpoint id")
            report.created.append(f"notes.{key}")
        except CRMError as exc:
            report.checklist.append(
                "HubSpot → Settings → Properties → notes → Create property: group 'enrich', "
                f"label 'enrich touchpoint id', internal name {key}, single-line text, "
                f"'Require unique values for this property' on [{exc}]"
            )
        return
    target = _unique_property(adapter, MIGRATED_NOTE_KEY) if key != MIGRATED_NOTE_KEY else False
    if target is False:
        report.checklist.append(
            f"notes.{key} exists without unique values: create a single-line text property "
            "on notes with 'Require unique values' on and set HUBSPOT_NOTE_KEY_PROPERTY to its "
            "internal name"
        )
        return
    if target is None:
        _create_unique(adapter, MIGRATED_NOTE_KEY, "enrich touchpoint key")
        report.created.append(f"notes.{MIGRATED_NOTE_KEY}")
    copied, twins = _copy_note_keys(adapter, key, MIGRATED_NOTE_KEY)
    report.notices.append(
        f"notes.{key} is not unique (set up by an older enrich) and HubSpot cannot make it "
        f"so: notes are keyed by notes.{MIGRATED_NOTE_KEY} (unique) from now on; {copied} "
        f"notes were copied over. Set HUBSPOT_NOTE_KEY_PROPERTY={MIGRATED_NOTE_KEY} before "
        "the next sync."
        + (
            f" {twins} notes repeat the key of an earlier note (written twice by an older "
            "enrich) and were left without the new key: archive them in HubSpot if you want "
            "them gone."
            if twins
            else ""
        )
    )


def _create_unique(adapter: Any, name: str, label: str, object_type: str = "notes") -> None:
    from hubspot.crm.properties import PropertyCreate

    with hubspot_errors():
        adapter.calls += 1
        adapter.client.crm.properties.core_api.create(
            object_type,
            PropertyCreate(
                name=name,
                label=label,
                type="string",
                field_type="text",
                group_name="enrich",
                has_unique_value=True,
            ),
        )


def _unique_property(adapter: Any, name: str, object_type: str = "notes") -> bool | None:
    """Whether the property `name` has unique values; None when it does not exist."""
    try:
        with hubspot_errors():
            adapter.calls += 1
            prop = adapter.client.crm.properties.core_api.get_by_name(object_type, name)
    except CRMError as exc:
        if exc.status == 404:
            return None
        raise
    return bool(prop.has_unique_value)


def _copy_note_keys(adapter: Any, old: str, new: str) -> tuple[int, int]:
    """Give every note keyed by `old` the same key in `new`, 100 per call; a key already
    taken (a note written twice) is given to the earliest note only. (copied, twins)"""
    from hubspot.crm.objects.notes import (
        BatchInputSimplePublicObjectBatchInput,
        SimplePublicObjectBatchInput,
    )

    notes = adapter.client.crm.objects.notes
    seen: set[str] = set()
    todo: list[tuple[str, str]] = []
    for note in sorted(adapter._list(notes, properties=[old, new]), key=lambda n: int(n.id)):
        props = note.properties or {}
        key = props.get(old)
        if key and props.get(new) is None:
            todo.append((str(note.id), str(key)))
        if props.get(new):
            seen.add(str(props[new]))
    copied = twins = 0
    batch: list[tuple[str, str]] = []
    for note_id, key in todo:
        if key in seen:
            twins += 1
            continue
        seen.add(key)
        batch.append((note_id, key))
    for start in range(0, len(batch), adapter.batch_size):
        chunk = batch[start : start + adapter.batch_size]
        with hubspot_errors():
            adapter.calls += 1
            notes.batch_api.update(
                BatchInputSimplePublicObjectBatchInput(
                    inputs=[
                        SimplePublicObjectBatchInput(id=i, properties={new: k}) for i, k in chunk
                    ]
                )
            )
        copied += len(chunk)
    return copied, twins
