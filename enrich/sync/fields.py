"""What enrich writes on CRM records, and under which field names (RevOps can remap each)."""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class FieldMap:
    """meaning -> CRM field name for one CRM; a meaning mapped to None is not written."""

    crm: str
    person: dict[str, str | None] = field(default_factory=dict)
    account: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def default(cls, crm: str) -> FieldMap:
        i = 0 if crm == "salesforce" else 1
        return cls(
            crm=crm,
            person={k: v[i] for k, v in PERSON_FIELDS.items()},
            account={k: v[i] for k, v in ACCOUNT_FIELDS.items()},
        )
