"""A lead-form response as enrich keeps it: answers bounded in number and size, the standard
questions (email, names, company, title, phone) mapped to what matching and the CRM Lead use.

Meta keys answers by the question's key, with its `type` where the form says it; LinkedIn by
`questionId`, mapped through the form's `predefinedField` (docs/LEAD_FORMS.md §1.3, §2.4). The
uppercase names not confirmed by a primary source are marked UNVERIFIED there; a key we do not
know stays an answer, only without a meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MAX_ANSWERS = 60  # a form has a few questions; more is not a form
MAX_KEY = 100
MAX_LABEL = 300
MAX_VALUE = 1000
# question key or type (Meta) / predefinedField (LinkedIn) → meaning
MEANINGS = {
    "email": "email",
    "work_email": "work_email",
    "full_name": "full_name",
    "first_name": "first_name",
    "last_name": "last_name",
    "company_name": "company",
    "job_title": "title",
    "phone": "phone",
    "phone_number": "phone",
    "work_phone_number": "phone",
    "linkedin_profile_link": "linkedin_url",
}


@dataclass(frozen=True)
class Answer:
    key: str  # the question's key (Meta) or id (LinkedIn)
    label: str  # what the person was asked, when the form says it
    value: str
    meaning: str | None = None  # email, first_name, ... (MEANINGS) or None: a custom question

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "value": self.value, "meaning": self.meaning}


@dataclass(frozen=True)
class Lead:
    """One response as read from its platform."""

    source: str  # meta, linkedin
    lead_id: str
    platform: str  # facebook, instagram, linkedin
    created_at: datetime | None
    answers: list[Answer]
    consents: list[dict[str, Any]] = field(default_factory=list)
    test: bool = False
    submitter: str | None = None  # LinkedIn member URN
    form_id: str | None = None
    ad_id: str | None = None

    def value(self, meaning: str) -> str | None:
        return next((a.value for a in self.answers if a.meaning == meaning), None)

    @property
    def email(self) -> str | None:
        # A work address is the one the CRM most likely holds.
        email = self.value("work_email") or self.value("email")
        return email.strip().lower() if email and "@" in email else None

    def names(self) -> tuple[str | None, str | None]:
        first, last = self.value("first_name"), self.value("last_name")
        full = self.value("full_name")
        if full and not (first or last):
            first, _, last = full.strip().rpartition(" ")
            first, last = (first or None), (last or None)
        return first, last

    def summary(self) -> str:
        """The answers as a rep reads them on the timeline (bounded)."""
        lines = [f"{a.label or a.key}: {a.value}" for a in self.answers]
        if self.test:
            lines.insert(0, "(test lead)")
        return "\n".join(lines)[:4000]


def clip(value: Any, limit: int) -> str:
    """A value as bounded text: a list is joined, anything else is its string."""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value[:20] if not isinstance(v, dict | list))
    elif isinstance(value, dict) or value is None:
        return ""
    return " ".join(str(value).split())[:limit]


def answer(key: Any, label: Any, value: Any, kind: Any = None) -> Answer | None:
    text = clip(value, MAX_VALUE)
    name = clip(key, MAX_KEY)
    if not text or not name:
        return None
    meaning = MEANINGS.get(str(kind or "").lower()) or MEANINGS.get(name.lower())
    return Answer(name, clip(label, MAX_LABEL), text, meaning)


def bounded(items: list[Answer | None]) -> list[Answer]:
    return [a for a in items if a is not None][:MAX_ANSWERS]
