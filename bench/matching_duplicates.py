"""Duplicate CRM records, added to a generated dataset of either generator.

A CRM holds some people twice: a lead from a web form beside the contact sales created, an
import that did not dedupe, a second address typed by another rep. ``with_duplicates``
gives a share of the CRM people a second record, as such duplicates look:

* the two records are one contact and one lead (70 %), two contacts (20 %) or two leads;
* another email: a personal address (gmail, outlook), another pattern at the same company
  domain (``jsmith@`` beside ``john.smith@``), or none at all;
* sometimes the first name as a nickname ("Bob" beside "Robert", 15 %), an older title
  (25 %), no company (10 %), no city (15 %), a phone number on one or both records, the
  LinkedIn URL only on one;
* a last-modified time on every record (``modified_at``), so "most recent" means something.

Every record also gets a ``record_type`` (contact or lead) and a ``modified_at``. The profile
of a duplicated person was drawn from its first record; both records are that person, so a
link to either is a true link (``Dataset.same``), and the family report counts such
profiles apart ("duplicate CRM record").
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bench.matching_data import Dataset
from enrich.matching.given_names import nicknames_of
from enrich.matching.profile import Person

DUPLICATE_FAMILY = "duplicate CRM record"
OTHER_FAMILY = "none of these"
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
_FREE = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com")


def _when(r: random.Random) -> str:
    return (_EPOCH + timedelta(minutes=r.randrange(2 * 365 * 24 * 60))).isoformat()


def _slug(s: str) -> str:
    return "".join(c for c in s.lower() if c.isalnum())


def _phone(r: random.Random) -> str:
    return f"+1 {r.randint(200, 989)} {r.randint(200, 999)} {r.randint(1000, 9999)}"


def _other_email(r: random.Random, p: Person) -> str:
    f, last = _slug(p.first_name) or "x", _slug(p.last_name) or "y"
    domain = p.email.rpartition("@")[2] if "@" in p.email else ""
    u = r.random()
    if u < 0.45:
        return f"{f}.{last}{r.choice(['', str(r.randint(1, 99))])}@{r.choice(_FREE)}"
    if u < 0.8 and domain and domain not in _FREE:
        shapes = [f"{f[0]}{last}", f"{f}.{last}", f"{f}", f"{f}{last[0]}", f"{last}.{f}"]
        local = p.email.partition("@")[0]
        choices = [s for s in shapes if s != local]
        return f"{r.choice(choices)}@{domain}"
    return ""


def with_duplicates(ds: Dataset, seed: int, share: float = 0.08) -> Dataset:
    """``ds`` with a second CRM record for ``share`` of its people (fully determined by
    ``seed``), ``record_type`` and ``modified_at`` on every record, and ``same`` naming the
    records of each duplicated person."""
    r = random.Random(seed * 104729 + 7)  # its own stream: the dataset itself is unchanged
    people: list[Person] = []
    extra: list[Person] = []
    same: dict[str, frozenset[str]] = {}
    for p in ds.people:
        if r.random() >= share:
            kind = "contact" if r.random() < 0.7 else "lead"
            phone = _phone(r) if r.random() < 0.3 else ""
            people.append(replace(p, record_type=kind, modified_at=_when(r), phone=phone))
            continue
        u = r.random()
        kinds = ("contact", "lead") if u < 0.7 else ("contact", "contact")
        if u >= 0.9:
            kinds = ("lead", "lead")
        if r.random() < 0.5:
            kinds = (kinds[1], kinds[0])
        first = p.first_name
        if r.random() < 0.15:
            nicks = sorted(nicknames_of(first.lower()))
            if nicks:
                first = r.choice(nicks).title()
        dup = replace(
            p,
            id=f"{p.id}-dup",
            first_name=first,
            email=_other_email(r, p),
            title=p.title if r.random() >= 0.25 else "",
            company="" if r.random() < 0.1 else p.company,
            city="" if r.random() < 0.15 else p.city,
            country="" if r.random() < 0.15 else p.country,
            linkedin_url=p.linkedin_url if r.random() < 0.3 else "",
            twitter_handle="",
            record_type=kinds[1],
            modified_at=_when(r),
        )
        phone = _phone(r) if r.random() < 0.4 else ""
        first_rec = replace(
            p,
            record_type=kinds[0],
            modified_at=_when(r),
            phone=phone if r.random() < 0.6 else "",
        )
        dup = replace(dup, phone=phone if r.random() < 0.6 else "")
        people.append(first_rec)
        extra.append(dup)
        same[p.id] = same[dup.id] = frozenset({p.id, dup.id})
    return replace(ds, people=people + extra, same=same)


def family(ds: Dataset, key: str) -> str:
    """The family a profile belongs to: one of ``matching_families``, else its person has
    a duplicate record, or not."""
    truth = ds.truth[key]
    if key in ds.family:
        return ds.family[key]
    return DUPLICATE_FAMILY if truth is not None and truth in ds.same else OTHER_FAMILY
