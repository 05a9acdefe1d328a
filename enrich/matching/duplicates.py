"""Duplicate CRM records: one person held twice (a contact and a lead, two imports).

**The rule.** Two CRM records are likely duplicates when they have the *same name* — the same
family name (folded: case, accents and punctuation ignored) and first names that may be one
person's (the same, a spelling, or a nickname: Bob and Robert, ``given_names.first_name_keys``)
— *and* agree on at least one piece of `evidence` the rules list:

| evidence | the two records share |
| --- | --- |
| `email_local` | the email before the @ (+tags dropped), one address being free mail |
| `email_domain` | the registered domain of a company email (free mail does not count) |
| `phone` | the last 10 digits of the phone number (at least 7) |
| `linkedin_url` | the LinkedIn profile (`/in/<id>`) |
| `company` | the company name without legal form ("Acme Inc." = "ACME") |

A record without a first and a family name is never a duplicate: a name is required.

Each (first-name key, family name, evidence value) is one key; records sharing a key are a
pair. Finding every pair of a mirror is a grouping of keys (`pairs`), never a comparison of
all pairs; a key held by more than `max_group` records is dropped (a shared switchboard
number, a name every big company has twice): too common to say "the same person".

**The survivor.** When a profile's best candidate has duplicates among the candidates at
the review threshold or above, they are one person's records: the matcher links one of
them, the *survivor*, chosen by the `survivor` criteria in order (`Duplicates.rank`):
`contact` (a contact over a lead), `exact_email` (the record whose email is the profile's),
`recent` (the record changed last in the CRM); then the higher score. The margin that keeps
two namesakes in review is measured against the best candidate *outside* that group. An
empty `survivor` list turns this off (duplicates then compete as namesakes do).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from enrich.errors import ConfigError
from enrich.matching.comparison import as_mapping, check_keys
from enrich.matching.given_names import first_name_keys
from enrich.matching.normalize import company_core, person_name, registered_domain, social_ids
from enrich.matching.profile import Person
from enrich.matching.vocab import FREE_DOMAINS

__all__ = ["CRITERIA", "EVIDENCE", "DuplicatePair", "Duplicates", "duplicate_keys", "pairs"]

EVIDENCE: tuple[str, ...] = ("email_local", "email_domain", "phone", "linkedin_url", "company")
# The default leaves `email_local` out: personal addresses are made of the name
# ("anna.taylor@yahoo.com"), so on both bench generators it paired namesakes 3-4 times as
# often as duplicates (bench/README.md, "Duplicate CRM records").
DEFAULT_EVIDENCE: tuple[str, ...] = ("email_domain", "phone", "linkedin_url", "company")
CRITERIA: tuple[str, ...] = ("contact", "exact_email", "recent")
_DIGITS = re.compile(r"\D+")
_CACHE = 8192


@dataclass(frozen=True, slots=True)
class Duplicates:
    """The `duplicates` section of the match rules: when two records are one person's, and
    which of them a profile is linked to."""

    evidence: tuple[str, ...] = DEFAULT_EVIDENCE
    survivor: tuple[str, ...] = CRITERIA
    max_group: int = 20

    def __post_init__(self) -> None:
        for name, value, known in (
            ("evidence", self.evidence, EVIDENCE),
            ("survivor", self.survivor, CRITERIA),
        ):
            if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"duplicates.{name}: expected a list of names, got {value!r}")
            for v in value:
                if v not in known:
                    raise ConfigError(
                        f"duplicates.{name}: unknown {v!r}; known: {', '.join(known)}"
                    )
            if len(set(value)) != len(value):
                raise ConfigError(f"duplicates.{name}: {value!r} names one item twice")
        if not self.evidence:
            raise ConfigError(
                "duplicates.evidence: at least one is needed (a name alone is a namesake); "
                "to stop collapsing duplicates, give survivor: []"
            )
        cap = self.max_group
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 2:
            raise ConfigError(f"duplicates.max_group must be an integer >= 2, got {cap!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "evidence": list(self.evidence),
            "survivor": list(self.survivor),
            "max_group": self.max_group,
        }

    @classmethod
    def from_dict(cls, data: object) -> Duplicates:
        d = as_mapping(data, "duplicates")
        check_keys(d, "duplicates", {"evidence", "survivor", "max_group"}, set())

        def names(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
            value = d.get(key, list(default))
            if not isinstance(value, list):
                raise ConfigError(f"duplicates.{key}: expected a list, got {value!r}")
            return tuple(value)

        return cls(
            evidence=names("evidence", DEFAULT_EVIDENCE),
            survivor=names("survivor", CRITERIA),
            max_group=d.get("max_group", 20),
        )

    def are_duplicates(self, a: Person, b: Person) -> bool:
        """Whether two records are likely one person's (the rule above)."""
        return a.id != b.id and bool(shared_evidence(a, b, self.evidence))

    def rank(self, record: Person, score: float, email: str) -> tuple[bool | str | float, ...]:
        """Sort key of a record among one person's records: the survivor sorts first.
        ``email``: the profile's (for `exact_email`), ``score``: the record's match score."""
        out: list[bool | str | float] = []
        for criterion in self.survivor:
            if criterion == "contact":
                out.append(record.record_type != "contact")
            elif criterion == "exact_email":
                out.append(not email or _email(record.email) != _email(email))
            else:  # recent: the newest first; a record without a time is the oldest
                out.append(_negated_time(record.modified_at))
        return (*out, -score, record.id)

    def survivor_of(
        self,
        scored: Sequence[tuple[float, str]],
        people: Mapping[str, Person],
        review: float,
        email: str,
    ) -> tuple[str, frozenset[str]] | None:
        """For a profile's candidates ((score, person id), best first): when the best has
        duplicates among those scoring ``review`` or more, the survivor's id and the ids of
        the group (the best and its duplicates); else None."""
        if not self.survivor or len(scored) < 2:
            return None
        best = people[scored[0][1]]
        if not duplicate_keys(best, self.evidence):
            return None
        group = [(scored[0][0], best)]
        for score, pid in scored[1:]:
            if score < review:
                break
            other = people[pid]
            if shared_evidence(best, other, self.evidence):
                group.append((score, other))
        if len(group) < 2:
            return None
        chosen = min(group, key=lambda sp: self.rank(sp[1], sp[0], email))[1]
        return chosen.id, frozenset(p.id for _, p in group)

    def note(
        self,
        chosen: str,
        group: frozenset[str],
        people: Mapping[str, Person],
        scores: Mapping[str, float],
    ) -> str:
        """Why the link went to ``chosen`` among one person's records (the explanation)."""
        others = ", ".join(
            f"{_described(people[i])} {i} (score {scores[i]:.1f})" for i in sorted(group - {chosen})
        )
        rule = ", ".join(self.survivor)
        return (
            f"one person's records: kept {_described(people[chosen])} {chosen} over {others} "
            f"(survivor rule: {rule})"
        )


def _described(p: Person) -> str:
    return p.record_type or "record"


def _email(value: str) -> str:
    local, _, domain = value.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if local else ""


def _negated_time(value: str) -> str | float:
    """A sort key putting the most recent ISO time first (``min``): the negated timestamp."""
    if not value:
        return float("inf")
    try:
        return -datetime.fromisoformat(value).timestamp()
    except ValueError:
        return float("inf")


@lru_cache(maxsize=_CACHE)
def _name_keys(first: str, last: str, full: str) -> tuple[str, ...]:
    firsts, lasts = person_name(first, last, full)
    if not firsts or not lasts:
        return ()
    family = " ".join(lasts)
    return tuple(sorted(f"{k}|{family}" for k in first_name_keys(firsts[0])))


def _evidence(p: Person, evidence: tuple[str, ...]) -> list[str]:
    out = []
    email = p.email.strip().lower()
    for kind in evidence:
        if kind == "email_local":
            local = email.rpartition("@")[0].split("+", 1)[0]
            if local:  # counts only with a free address on one side: ``shared_evidence``
                out.append(f"l:{local}")
        elif kind == "email_domain":
            if dom := registered_domain(email):
                out.append(f"d:{dom}")
        elif kind == "phone":
            digits = _DIGITS.sub("", p.phone)[-10:]
            if len(digits) >= 7:
                out.append(f"p:{digits}")
        elif kind == "linkedin_url":
            out += [
                f"in:{i}" for platform, i in social_ids(p.linkedin_url) if platform == "linkedin"
            ]
        elif core := company_core(p.company):
            out.append(f"c:{' '.join(core)}")
    return out


def duplicate_keys(p: Person, evidence: tuple[str, ...] = DEFAULT_EVIDENCE) -> frozenset[str]:
    """The keys two duplicate records share at least one of: name key × evidence value."""
    names = _name_keys(p.first_name, p.last_name, p.full_name)
    if not names:
        return frozenset()
    return frozenset(f"{n}|{e}" for n in names for e in _evidence(p, evidence))


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two records of the people list (their positions) and the evidence they share."""

    first: int
    second: int
    evidence: tuple[str, ...]


_KIND = {
    "l": "email_local",
    "d": "email_domain",
    "p": "phone",
    "in": "linkedin_url",
    "c": "company",
}
_PARTS = 16  # passes over the key hashes: one part's groups in memory at a time


def pairs(people: Sequence[Person], rule: Duplicates) -> Iterator[DuplicatePair]:
    """Every likely duplicate pair of ``people`` (by their positions, first < second), each
    once, with the kinds of evidence they share.

    The keys of all records are hashed into 16 parts kept as flat arrays (12 bytes a key);
    each part is grouped by hash in turn, so a million records never hold every key in a
    dict at once. A group of one record (nearly all) costs nothing more; a group above
    ``max_group`` is dropped.
    """
    hashes = [array("q") for _ in range(_PARTS)]
    numbers = [array("i") for _ in range(_PARTS)]
    for n, p in enumerate(people):
        for k in duplicate_keys(p, rule.evidence):
            h = hash(k)
            hashes[h % _PARTS].append(h)
            numbers[h % _PARTS].append(n)
    found: set[tuple[int, int]] = set()
    for part in range(_PARTS):
        groups: dict[int, int | list[int]] = {}
        for h, n in zip(hashes[part], numbers[part], strict=True):
            cur = groups.get(h)
            if cur is None:
                groups[h] = n
            elif isinstance(cur, int):
                groups[h] = [cur, n]
            else:
                cur.append(n)
        hashes[part] = numbers[part] = array("q")  # free the part as it is read
        for members in groups.values():
            if isinstance(members, int) or len(members) > rule.max_group:
                continue
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    if a != b:
                        found.add((min(a, b), max(a, b)))
    for a, b in sorted(found):
        kinds = shared_evidence(people[a], people[b], rule.evidence)
        if kinds:  # not a hash collision, and a shared local part with a free address
            yield DuplicatePair(a, b, kinds)


def shared_evidence(a: Person, b: Person, evidence: tuple[str, ...]) -> tuple[str, ...]:
    """The kinds of evidence two records share with the same name (empty: not duplicates).
    A shared local part counts only when one address is free mail (`jsmith@acme.com` and
    `jsmith@gmail.com`): at two employers' domains it is what two namesakes are given."""
    shared = duplicate_keys(a, evidence) & duplicate_keys(b, evidence)
    if not shared:
        return ()
    # A key is "<first>|<family>|<kind>:<value>" (names are folded: no "|" in them).
    kinds = {_KIND[k.split("|", 2)[2].split(":", 1)[0]] for k in shared}
    if "email_local" in kinds:
        da, db = (p.email.strip().lower().rpartition("@")[2] for p in (a, b))
        if da != db and da not in FREE_DOMAINS and db not in FREE_DOMAINS:
            kinds.discard("email_local")
    return tuple(sorted(kinds))
