"""What enrich writes on CRM records and reads into its mirror, under which field names.

RevOps can remap each name with `ENRICH_CRM_FIELDS` (a YAML/JSON file path, or inline JSON);
only what differs from the defaults needs to be given. For `CRM=salesforce`:

    salesforce:                      # optional: the section of the configured CRM
      people: [contact]              # which person objects enrich mirrors and writes
                                     # (Salesforce: contact and/or lead; HubSpot: contact)
      write:                         # meaning -> Contact/Lead field; null = not written
        score: Engagement_Score__c
        profiles: null
      account:                       # meaning -> Account field (HubSpot: company property)
        engaged_people: null
      opportunity:                   # meaning -> Opportunity field (HubSpot: deal property)
        touches_before_close: null
      mirror:                        # per object: what a CRM field means for the matcher
        contact: {linkedin_url: LinkedIn_Profile__c, twitter_handle: Twitter__c}
        lead: {linkedin_url: LinkedIn_Profile__c, company: Company}

`enrich crm setup` creates the write fields under their mapped names; the writer writes them;
the mirror reads the mapped fields. A bad file fails at start with what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from enrich.errors import ConfigError
from enrich.yamlfile import load_yaml

if TYPE_CHECKING:
    from enrich.config import Settings

# meaning -> (Salesforce Contact/Lead field, HubSpot contact property)
PERSON_FIELDS: dict[str, tuple[str, str]] = {
    "score": ("Social_Score__c", "enrich_social_score"),
    "score_reasons": ("Social_Score_Reasons__c", "enrich_score_reasons"),
    "interests": ("Social_Interests__c", "enrich_social_interests"),
    "last_touch": ("Last_Social_Touch__c", "enrich_last_social_touch"),
    "last_touch_summary": ("Last_Social_Touch_Summary__c", "enrich_last_touch_summary"),
    "profiles": ("Social_Profiles__c", "enrich_social_profiles"),
    "enrich_url": ("Enrich_Url__c", "enrich_url"),
}
ACCOUNT_FIELDS: dict[str, tuple[str, str]] = {
    "account_score": ("Social_Account_Score__c", "enrich_account_score"),
    "engaged_people": ("Social_Engaged_People__c", "enrich_engaged_people"),
}
# Attribution on opportunities/deals (enrich/attribution.py says how each is worked out).
OPPORTUNITY_FIELDS: dict[str, tuple[str, str]] = {
    "social_influenced": ("Social_Influenced__c", "enrich_social_influenced"),
    "first_social_touch": ("First_Social_Touch__c", "enrich_first_social_touch"),
    "touches_before_create": ("Social_Touches_Before_Create__c", "enrich_touches_before_create"),
    "touches_before_close": ("Social_Touches_Before_Close__c", "enrich_touches_before_close"),
}
# What the matcher knows about a CRM person, and may be read from a field RevOps names.
MIRROR_NAMES = (
    "first_name",
    "last_name",
    "email",
    "company",
    "title",
    "city",
    "country",
    "linkedin_url",
    "twitter_handle",
    "owner_id",
)
PEOPLE = {"salesforce": ("contact", "lead"), "hubspot": ("contact",)}
MIRROR_OBJECTS = {"salesforce": ("contact", "lead", "account"), "hubspot": ("contact", "account")}
# Salesforce API names (custom ones end in __c); HubSpot internal names are lower case.
NAME_PATTERN = {
    "salesforce": re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$"),
    "hubspot": re.compile(r"^[a-z][a-z0-9_]{0,99}$"),
}
NAME_HINT = {
    "salesforce": "an API name such as Engagement_Score__c",
    "hubspot": "an internal property name such as enrich_social_score (lower case)",
}


class _FieldFile(BaseModel):
    """The shape of ENRICH_CRM_FIELDS (one CRM's section)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    people: list[str] | None = None
    write: dict[str, str | None] = {}
    account: dict[str, str | None] = {}
    opportunity: dict[str, str | None] = {}
    mirror: dict[str, dict[str, str | None]] = {}


@dataclass(frozen=True)
class FieldMap:
    """Field names for one CRM: meaning -> name written (None: not written), the person objects
    enrich works on, and per mirrored object the CRM fields that override the adapter's
    defaults (None: not read)."""

    crm: str
    person: dict[str, str | None] = field(default_factory=dict)
    account: dict[str, str | None] = field(default_factory=dict)
    people: tuple[str, ...] = ("contact", "lead")
    opportunity: dict[str, str | None] = field(default_factory=dict)
    mirror: dict[str, dict[str, str | None]] = field(default_factory=dict)

    @classmethod
    def default(cls, crm: str) -> FieldMap:
        i = 0 if crm == "salesforce" else 1
        return cls(
            crm=crm,
            person={k: v[i] for k, v in PERSON_FIELDS.items()},
            account={k: v[i] for k, v in ACCOUNT_FIELDS.items()},
            people=PEOPLE.get(crm, ("contact",)),
            opportunity={k: v[i] for k, v in OPPORTUNITY_FIELDS.items()},
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> FieldMap:
        value = (settings.crm_fields or "").strip()
        if not value or settings.crm not in PEOPLE:
            return cls.default(settings.crm)
        if value.startswith(("{", "[")):
            return _load(settings.crm, value, None)
        path = Path(value).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"ENRICH_CRM_FIELDS: no such file {value!r} (give a YAML/JSON file "
                "path or inline JSON; see README, 'Field mapping')"
            )
        return _load(settings.crm, str(path), path.stat().st_mtime)

    @classmethod
    def from_dict(cls, crm: str, data: Any) -> FieldMap:
        """Defaults overridden by `data` (one CRM's section, or a file with a section per CRM);
        raises ConfigError naming the wrong entry and what is allowed."""
        where = "ENRICH_CRM_FIELDS"
        if isinstance(data, dict) and set(data) & set(PEOPLE):
            data = data.get(crm) or {}
        if data is None:
            data = {}
        try:
            given = _FieldFile.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"{where}: {exc}".replace("_FieldFile", "field mapping")) from exc
        base = cls.default(crm)
        person = _override(crm, f"{where} write", base.person, given.write)
        account = _override(crm, f"{where} account", base.account, given.account)
        opportunity = _override(crm, f"{where} opportunity", base.opportunity, given.opportunity)
        people = tuple(given.people) if given.people is not None else base.people
        bad = [p for p in people if p not in PEOPLE[crm]] or ([] if people else ["(none)"])
        if bad:
            raise ConfigError(
                f"{where} people: {', '.join(bad)} is not a person object of "
                f"{crm}; use {' and/or '.join(PEOPLE[crm])}"
            )
        mirror: dict[str, dict[str, str | None]] = {}
        for object_type, names in given.mirror.items():
            if object_type not in MIRROR_OBJECTS[crm]:
                raise ConfigError(
                    f"{where} mirror: {object_type!r} is not mirrored from {crm}; "
                    f"use {', '.join(MIRROR_OBJECTS[crm])}"
                )
            mirror[object_type] = _override(
                crm,
                f"{where} mirror.{object_type}",
                dict.fromkeys(MIRROR_NAMES),
                names,
                unique=False,
            )
            mirror[object_type] = {k: v for k, v in mirror[object_type].items() if k in names}
        return cls(
            crm=crm,
            person=person,
            account=account,
            people=people,
            mirror=mirror,
            opportunity=opportunity,
        )

    def to_dict(self) -> dict[str, Any]:
        """The file form (round-trips through `from_dict`)."""
        return {
            self.crm: {
                "people": list(self.people),
                "write": dict(self.person),
                "account": dict(self.account),
                "opportunity": dict(self.opportunity),
                "mirror": {k: dict(v) for k, v in self.mirror.items()},
            }
        }

    def read_fields(self, object_type: str, defaults: dict[str, str]) -> dict[str, str]:
        """neutral name -> CRM field the mirror reads for `object_type`: the adapter's defaults
        with RevOps' overrides (a name mapped to None is not read)."""
        merged: dict[str, str | None] = {**defaults, **self.mirror.get(object_type, {})}
        return {k: v for k, v in merged.items() if v}


def _override(
    crm: str,
    where: str,
    base: dict[str, str | None],
    given: dict[str, str | None],
    *,
    unique: bool = True,
) -> dict[str, str | None]:
    unknown = sorted(set(given) - set(base))
    if unknown:
        raise ConfigError(
            f"{where}: unknown {', '.join(map(repr, unknown))}; known: {', '.join(base)}"
        )
    merged = {**base, **given}
    for meaning, name in given.items():
        if name is not None and not NAME_PATTERN[crm].match(name):
            raise ConfigError(
                f"{where}.{meaning}: {name!r} is not a valid {crm} field name; "
                f"give {NAME_HINT[crm]}, or null to leave it out"
            )
    if unique:
        seen: dict[str, str] = {}
        for meaning, name in merged.items():
            if name is None:
                continue
            if name.lower() in seen:
                raise ConfigError(
                    f"{where}: {name} is mapped to both {seen[name.lower()]} and "
                    f"{meaning}; each meaning needs its own field"
                )
            seen[name.lower()] = meaning
    return merged


@lru_cache(maxsize=8)
def _load(crm: str, value: str, mtime: float | None) -> FieldMap:
    # `mtime` is part of the cache key so an edited file is re-read.
    text = Path(value).read_text(encoding="utf-8") if mtime is not None else value
    # JSON is YAML, so one parser reads both forms.
    data = load_yaml(
        text, f"ENRICH_CRM_FIELDS file {value}" if mtime is not None else "ENRICH_CRM_FIELDS"
    )
    if data is not None and not isinstance(data, dict):
        raise ConfigError(
            "ENRICH_CRM_FIELDS must be a mapping with people/write/account/mirror "
            "(see README, 'Field mapping')"
        )
    return FieldMap.from_dict(crm, data)
