"""Seed data: one neutral description of a CRM, projected onto both fake CRMs.

Seed JSON (every key optional)::

    {
      "enrich_fields": true,           # pre-declare enrich's custom fields/properties
      "owners":   [{"key", "first_name", "last_name", "email"}],
      "accounts": [{"key", "name", "domain", "industry", "city", "country",
                    "employees", "owner"}],
      "contacts": [{"first_name", "last_name", "email", "account" (an account key),
                    "title", "city", "country", "phone", "linkedin_url",
                    "twitter_handle", "owner", "created_at", "modified_at"}],
      "leads":    [{... as contacts, but "company" (a name) instead of "account"}],
      "opportunities": [{"name", "account", "stage", "amount", "close_date", "owner"}]
    }

A CSV file of contacts (header row with the contact keys above, plus "company" for the
account name) is accepted as a shortcut; accounts are derived from the company names.
Salesforce gets Users, Accounts, Contacts, Leads and Opportunities; HubSpot gets owners,
companies, contacts (leads become contacts with lifecyclestage "lead") and deals, with
their associations.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from enrich.sandbox.hs_schema import (
    ENRICH_HS_PROPERTIES,
    ENRICH_HS_UNIQUE,
    hs_property,
)
from enrich.sandbox.schema import (
    ENRICH_SF_FIELDS,
    custom_field_from_metadata,
)
from enrich.sandbox.state import SandboxState, hs_format, parse_datetime, sf_format

SAMPLE_SEED = Path(__file__).with_name("sample_seed.json")

Seed = str | Path | dict[str, Any] | None

_DEAL_STAGES = {
    "prospecting": "appointmentscheduled",
    "qualification": "qualifiedtobuy",
    "needs analysis": "presentationscheduled",
    "proposal/price quote": "decisionmakerboughtin",
    "negotiation/review": "contractsent",
    "closed won": "closedwon",
    "closed lost": "closedlost",
}


def load_seed(seed: Seed) -> dict[str, Any]:
    """Read a seed from a dict, a JSON file or a CSV file of contacts."""
    if seed is None:
        return {}
    if isinstance(seed, dict):
        return seed
    path = Path(seed)
    if path.suffix.lower() == ".csv":
        return _seed_from_csv(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a seed must be a JSON object with lists of records")
    return data


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "account"


def _seed_from_csv(path: Path) -> dict[str, Any]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [
            {k.strip(): (v or "").strip() for k, v in row.items() if k}
            for row in csv.DictReader(handle)
        ]
    accounts: dict[str, dict[str, Any]] = {}
    contacts = []
    for row in rows:
        company = row.pop("company", "") or row.get("account", "")
        if company:
            key = _slug(company)
            accounts.setdefault(key, {"key": key, "name": company})
            row["account"] = key
        contacts.append({k: v for k, v in row.items() if v})
    return {"accounts": list(accounts.values()), "contacts": contacts}


def declare_sf_field(
    state: SandboxState, sobject: str, name: str, metadata: dict[str, Any]
) -> None:
    state.sf_schema[sobject][name] = custom_field_from_metadata(name, metadata)
    for record in state.sf_records[sobject].values():
        record.setdefault(name, None)


def declare_enrich_fields(state: SandboxState) -> None:
    """What an admin does once when installing enrich: its custom fields and properties."""
    with state.lock:
        for sobject, fields in ENRICH_SF_FIELDS.items():
            for name, metadata in fields:
                if name not in state.sf_schema[sobject]:
                    declare_sf_field(state, sobject, name, metadata)
        for object_type, props in ENRICH_HS_PROPERTIES.items():
            state.hs_groups[object_type].setdefault(
                "enrich",
                {"name": "enrich", "label": "enrich", "displayOrder": -1, "archived": False},
            )
            for name, label, type_, field_type in props:
                state.hs_properties[object_type].setdefault(
                    name,
                    hs_property(
                        name,
                        label,
                        type_,
                        field_type,
                        "enrich",
                        unique=name in ENRICH_HS_UNIQUE,
                        hubspot_defined=False,
                    ),
                )


def _when(value: Any) -> datetime | None:
    return parse_datetime(str(value)) if value else None


def apply_seed(state: SandboxState, seed: dict[str, Any]) -> None:
    """Project the neutral seed onto both CRMs."""
    with state.lock:
        if seed.get("enrich_fields"):
            declare_enrich_fields(state)
        owners = seed.get("owners") or [
            {
                "key": "admin",
                "first_name": "Sandbox",
                "last_name": "Admin",
                "email": "admin@sandbox.example",
            }
        ]
        sf_users: dict[str, str] = {}
        hs_owners: dict[str, str] = {}
        for n, owner in enumerate(owners):
            key = str(owner.get("key") or owner["email"])
            user = state.sf_insert(
                "User",
                {
                    "FirstName": owner.get("first_name"),
                    "LastName": owner.get("last_name"),
                    "Email": owner["email"],
                    "Username": owner["email"],
                    "IsActive": True,
                    "Title": owner.get("title"),
                },
            )
            sf_users[key] = user["Id"]
            stamp = hs_format(state.now())
            owner_id = str(75_000_001 + n * 7)
            hs_owners[key] = owner_id
            state.hs_owners.append(
                {
                    "id": owner_id,
                    "email": owner["email"],
                    "firstName": owner.get("first_name"),
                    "lastName": owner.get("last_name"),
                    "userId": 9_100_000 + n,
                    "createdAt": stamp,
                    "updatedAt": stamp,
                    "archived": False,
                    "type": "PERSON",
                    "teams": [],
                }
            )
        default_owner = next(iter(sf_users))

        def sf_owner(item: dict[str, Any]) -> str:
            return sf_users.get(str(item.get("owner") or default_owner), sf_users[default_owner])

        def hs_owner(item: dict[str, Any]) -> str:
            return hs_owners.get(str(item.get("owner") or default_owner), hs_owners[default_owner])

        sf_accounts: dict[str, str] = {}
        hs_companies: dict[str, str] = {}
        account_names: dict[str, str] = {}
        for account in seed.get("accounts", []):
            key = str(account.get("key") or _slug(account["name"]))
            account_names[key] = account["name"]
            domain = account.get("domain")
            record = state.sf_insert(
                "Account",
                {
                    "Name": account["name"],
                    "Website": f"https://{domain}" if domain else None,
                    "Industry": account.get("industry"),
                    "BillingCity": account.get("city"),
                    "BillingCountry": account.get("country"),
                    "NumberOfEmployees": account.get("employees"),
                    "OwnerId": sf_owner(account),
                },
                _when(account.get("created_at")),
            )
            sf_accounts[key] = record["Id"]
            company = state.hs_insert(
                "companies",
                {
                    "name": account["name"],
                    "domain": domain,
                    "industry": account.get("industry"),
                    "city": account.get("city"),
                    "country": account.get("country"),
                    "numberofemployees": _str(account.get("employees")),
                    "hubspot_owner_id": hs_owner(account),
                },
                _when(account.get("created_at")),
            )
            hs_companies[key] = company["id"]

        for kind in ("contacts", "leads"):
            for person in seed.get(kind, []):
                _seed_person(
                    state,
                    kind,
                    person,
                    sf_owner(person),
                    hs_owner(person),
                    sf_accounts,
                    hs_companies,
                    account_names,
                )

        for opp in seed.get("opportunities", []):
            account_key = str(opp.get("account") or "")
            state.sf_insert(
                "Opportunity",
                {
                    "Name": opp["name"],
                    "AccountId": sf_accounts.get(account_key),
                    "StageName": opp.get("stage", "Prospecting"),
                    "CloseDate": opp.get("close_date"),
                    "Amount": opp.get("amount"),
                    "IsClosed": False,
                    "OwnerId": sf_owner(opp),
                },
            )
            deal = state.hs_insert(
                "deals",
                {
                    "dealname": opp["name"],
                    "amount": _str(opp.get("amount")),
                    "dealstage": _DEAL_STAGES.get(
                        str(opp.get("stage", "")).lower(), "appointmentscheduled"
                    ),
                    "pipeline": "default",
                    "closedate": f"{opp['close_date']}T00:00:00.000Z"
                    if opp.get("close_date")
                    else None,
                    "hubspot_owner_id": hs_owner(opp),
                },
            )
            if account_key in hs_companies:
                state.hs_associate("deals", deal["id"], "companies", hs_companies[account_key], 341)
        state.dirty = True


def _str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _seed_person(
    state: SandboxState,
    kind: str,
    person: dict[str, Any],
    sf_owner: str,
    hs_owner: str,
    sf_accounts: dict[str, str],
    hs_companies: dict[str, str],
    account_names: dict[str, str],
) -> None:
    created, modified = _when(person.get("created_at")), _when(person.get("modified_at"))
    account_key = str(person.get("account") or "")
    common = {
        "FirstName": person.get("first_name"),
        "LastName": person.get("last_name"),
        "Email": person.get("email"),
        "Title": person.get("title"),
        "Phone": person.get("phone"),
        "OwnerId": sf_owner,
        "LinkedIn_Url__c": person.get("linkedin_url"),
        "X_Handle__c": person.get("twitter_handle"),
    }
    if kind == "contacts":
        record = state.sf_insert(
            "Contact",
            {
                **common,
                "AccountId": sf_accounts.get(account_key),
                "MailingCity": person.get("city"),
                "MailingCountry": person.get("country"),
            },
            created,
        )
        company = account_names.get(account_key) or person.get("company")
    else:
        company = person.get("company") or account_names.get(account_key) or "Unknown"
        record = state.sf_insert(
            "Lead",
            {
                **common,
                "Company": company,
                "City": person.get("city"),
                "Country": person.get("country"),
                "Status": person.get("status", "Open - Not Contacted"),
                "LeadSource": person.get("source", "Social"),
            },
            created,
        )
    if modified:
        record["LastModifiedDate"] = record["SystemModstamp"] = sf_format(modified)
    contact = state.hs_insert(
        "contacts",
        {
            "firstname": person.get("first_name"),
            "lastname": person.get("last_name"),
            "email": person.get("email"),
            "company": company,
            "jobtitle": person.get("title"),
            "city": person.get("city"),
            "country": person.get("country"),
            "phone": person.get("phone"),
            "hubspot_owner_id": hs_owner,
            "linkedin_url": person.get("linkedin_url"),
            "twitterhandle": person.get("twitter_handle"),
            "lifecyclestage": "lead" if kind == "leads" else "salesqualifiedlead",
        },
        created,
    )
    if modified:
        contact["properties"]["lastmodifieddate"] = contact["updatedAt"] = hs_format(modified)
    if kind == "contacts" and account_key in hs_companies:
        state.hs_associate("contacts", contact["id"], "companies", hs_companies[account_key], 279)
        contact["properties"]["associatedcompanyid"] = hs_companies[account_key]
