"""The HubSpot activity objects enrich writes, as facts: touchpoints as notes, hand-offs as
tasks for the record's owner. Each is keyed by a unique-value property (upserted on it, so
never written twice); the writing itself is `HubSpotAdapter._write_engagements`."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hubspot import HubSpot
from hubspot.crm.objects.notes import (
    BatchInputSimplePublicObjectBatchInputForCreate as NoteCreateBatch,
)
from hubspot.crm.objects.notes import (
    BatchInputSimplePublicObjectBatchInputUpsert as NoteUpsertBatch,
)
from hubspot.crm.objects.notes import SimplePublicObjectBatchInputForCreate as NoteCreate
from hubspot.crm.objects.notes import SimplePublicObjectBatchInputUpsert as NoteUpsert
from hubspot.crm.objects.tasks import (
    BatchInputSimplePublicObjectBatchInputForCreate as TaskCreateBatch,
)
from hubspot.crm.objects.tasks import (
    BatchInputSimplePublicObjectBatchInputUpsert as TaskUpsertBatch,
)
from hubspot.crm.objects.tasks import SimplePublicObjectBatchInputForCreate as TaskCreate
from hubspot.crm.objects.tasks import SimplePublicObjectBatchInputUpsert as TaskUpsert

from enrich.sync.adapter import Activity

# On notes, unique (hasUniqueValue): notes are upserted on it. A portal set up before it was
# unique gets MIGRATED_NOTE_KEY from `enrich crm setup` (HUBSPOT_NOTE_KEY_PROPERTY names it).
NOTE_KEY_PROPERTY = "enrich_touchpoint_id"
MIGRATED_NOTE_KEY = "enrich_touchpoint_key"
# On tasks, unique: hand-off tasks are upserted on it (`enrich crm setup` creates it).
TASK_KEY_PROPERTY = "enrich_handoff_id"
# Association type ids are directional (protocols/crm.md).
NOTE_TO_CONTACT, NOTE_TO_COMPANY = 202, 190
TASK_TO_CONTACT, TASK_TO_COMPANY = 204, 192


@dataclass(frozen=True)
class Engagement:
    """The facts of one HubSpot activity object enrich writes: its path name, the unique-value
    property that keys it, its association type ids to contacts and companies, its API
    package's models (each package has its own) and what it says of an `Activity`."""

    object_type: str
    key: str
    to_contact: int
    to_company: int
    api: Callable[[HubSpot], Any]
    create_batch: type
    create_input: type
    upsert_batch: type
    upsert_input: type
    what: Callable[[Activity], dict[str, str]]

    def properties(self, a: Activity) -> dict[str, str]:
        return {**self.what(a), self.key: a.key}

    def associations(self, a: Activity) -> list[dict[str, Any]]:
        def to(object_id: str, type_id: int) -> dict[str, Any]:
            return {
                "to": {"id": object_id},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
            }

        links = [to(a.record_crm_id, self.to_contact)]
        if a.account_crm_id:
            links.append(to(a.account_crm_id, self.to_company))
        return links


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _note(a: Activity) -> dict[str, str]:
    return {
        "hs_timestamp": _stamp(a.occurred_at),
        "hs_note_body": f"<p><strong>{_escape(a.subject)}</strong></p><p>{_escape(a.body)}</p>",
    }


def _task(a: Activity) -> dict[str, str]:
    """An open, high-priority to-do on the owner's list, due a day after the hand-off (as
    the Salesforce Task)."""
    task = {
        "hs_timestamp": _stamp(a.occurred_at + timedelta(days=1)),
        "hs_task_subject": a.subject[:255],
        "hs_task_body": _escape(a.body),
        "hs_task_status": "NOT_STARTED",
        "hs_task_priority": "HIGH",
        "hs_task_type": "TODO",
    }
    if a.owner_id:
        task["hubspot_owner_id"] = a.owner_id
    return task


def notes(key: str) -> Engagement:
    return Engagement(
        "notes",
        key,
        NOTE_TO_CONTACT,
        NOTE_TO_COMPANY,
        lambda client: client.crm.objects.notes,
        NoteCreateBatch,
        NoteCreate,
        NoteUpsertBatch,
        NoteUpsert,
        _note,
    )


TASKS = Engagement(
    "tasks",
    TASK_KEY_PROPERTY,
    TASK_TO_CONTACT,
    TASK_TO_COMPANY,
    lambda client: client.crm.objects.tasks,
    TaskCreateBatch,
    TaskCreate,
    TaskUpsertBatch,
    TaskUpsert,
    _task,
)


def _escape(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")
