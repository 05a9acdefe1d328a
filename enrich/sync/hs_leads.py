"""HubSpot contacts made from lead-form responses, with lifecycle stage `lead`.

A batch create makes them. One that exists already (a retry after a lost answer, or a contact
added since the mirror was pulled) fails the create with 409 on `email` or on the unique
`enrich_lead_key`; it is then found by an upsert on that property which sends nothing but the
key, so a person's existing values (lifecycle stage included) are never overwritten
(docs/LEAD_FORMS.md §3, §4).
"""

from __future__ import annotations

from typing import Any

from hubspot import HubSpot
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
)

from enrich.sync.adapter import NewLead

LEAD_KEY_PROPERTY = "enrich_lead_key"  # on contacts, unique (hasUniqueValue)


def properties(n: NewLead) -> dict[str, str]:
    values = {
        LEAD_KEY_PROPERTY: n.key,
        "lifecyclestage": "lead",
        "email": n.email,
        "firstname": n.first_name,
        "lastname": n.last_name,
        "company": n.company,
        "jobtitle": n.title,
        "phone": n.phone,
        "hubspot_owner_id": n.owner_id,
    }
    return {k: v[:1000] for k, v in values.items() if v}


def _by_key(results: Any, chunk: list[NewLead]) -> dict[str, str]:
    """key → contact id; a contact found by email is matched back by its email."""
    by_email = {n.email.casefold(): n.key for n in chunk if n.email}
    out: dict[str, str] = {}
    for r in results or []:
        props = r.properties or {}
        key = props.get(LEAD_KEY_PROPERTY)
        email = str(props.get("email") or "").casefold()
        if key in {n.key for n in chunk}:
            out[str(key)] = str(r.id)
        elif email in by_email:
            out[by_email[email]] = str(r.id)
    return out


def create(client: HubSpot, chunk: list[NewLead], timeout: float) -> dict[str, str]:
    answer = client.crm.contacts.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[SimplePublicObjectBatchInputForCreate(properties=properties(n)) for n in chunk]
        ),
        _request_timeout=timeout,
    )
    return _by_key(answer.results, chunk)


def claim(client: HubSpot, n: NewLead, timeout: float) -> dict[str, str]:
    """The contact that already holds this lead's email (or key), touched only by the key."""
    on, value = ("email", n.email) if n.email else (LEAD_KEY_PROPERTY, n.key)
    answer = client.crm.contacts.batch_api.upsert(
        BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[SimplePublicObjectBatchInputUpsert(id_property=on, id=value, properties={})]
        ),
        _request_timeout=timeout,
    )
    return _by_key(answer.results, [n])
