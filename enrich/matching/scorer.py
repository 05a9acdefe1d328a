"""Scoring and deciding: ``Matcher(rules, people).match(profile) -> MatchResult``.

The total score of a candidate is a Fellegi–Sunter match weight in bits: the rule's
prior weight plus, for each comparison, the weight of the level its comparator returns.
Deciding is separate from scoring and favours precision on automatic links:

* the best candidate is linked only if its score reaches ``thresholds.link`` *and* it
  beats the runner-up by ``ambiguity_margin`` bits (two strong namesakes -> review);
* every other candidate at or above ``thresholds.review`` goes to review, unless the
  best one was linked (then the margin says it is far likelier than they are);
* below ``review`` nothing happens.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from enrich.matching.blocking import BlockingIndex, person_keys, profile_keys
from enrich.matching.comparators import COMPARATORS, CompareFn, Values
from enrich.matching.profile import Person, Profile
from enrich.matching.rules import Comparison, RuleSet

__all__ = ["Candidate", "Contribution", "Decision", "MatchResult", "Matcher"]


class Decision(StrEnum):
    """What to do with a (profile, person) pair."""

    LINK = "link"
    REVIEW = "review"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Contribution:
    """One bar of the waterfall: a comparison, the level it reached, its weight and why."""

    comparison: str
    level: str
    weight: float
    explanation: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A scored CRM person for one profile."""

    person_id: str
    score: float
    decision: Decision
    contributions: tuple[Contribution, ...]

    @property
    def probability(self) -> float:
        """Match probability implied by the score (bits of log-odds)."""
        return 1.0 / (1.0 + math.pow(2.0, -self.score)) if self.score > -1000 else 0.0


@dataclass(frozen=True, slots=True)
class MatchResult:
    """All scored candidates of one profile, best first, with the rule version used."""

    profile_key: str
    rule_version: str
    prior_weight: float
    candidates: tuple[Candidate, ...]

    @property
    def decision(self) -> Decision:
        """LINK if a candidate is linked, REVIEW if any needs review, else NONE."""
        ds = {c.decision for c in self.candidates}
        if Decision.LINK in ds:
            return Decision.LINK
        return Decision.REVIEW if Decision.REVIEW in ds else Decision.NONE

    @property
    def link(self) -> Candidate | None:
        """The auto-linked candidate, if any."""
        return next((c for c in self.candidates if c.decision is Decision.LINK), None)

    @property
    def reviews(self) -> tuple[Candidate, ...]:
        """Candidates for the human review queue."""
        return tuple(c for c in self.candidates if c.decision is Decision.REVIEW)


_Plan = tuple[Comparison, CompareFn, tuple[tuple[str, tuple[str, ...]], ...], tuple[tuple[str, tuple[str, ...]], ...]]


def _values(record: object, roles: tuple[tuple[str, tuple[str, ...]], ...]) -> Values:
    return {
        role: tuple(v for v in (getattr(record, f) for f in fields) if v)
        for role, fields in roles
    }


class Matcher:
    """Links social profiles to CRM people under one RuleSet.

    Build it once (it indexes ``people``), then call ``match`` per profile, or
    ``match_many`` for a backfill.
    """

    def __init__(self, rules: RuleSet, people: Iterable[Person]) -> None:
        self.rules = rules
        self.people: list[Person] = []
        self._families = rules.blocking.keys
        self._index = BlockingIndex(rules.blocking)
        families = self._families
        for n, p in enumerate(people):
            self.people.append(p)
            self._index.add(n, person_keys(p, families))
        self._plan: tuple[_Plan, ...] = tuple(
            (c, COMPARATORS[c.comparator], c.left, c.right) for c in rules.comparisons
        )

    def __len__(self) -> int:
        return len(self.people)

    def index_stats(self) -> dict[str, int]:
        """Size of the blocking index."""
        return self._index.stats()

    def candidates(self, profile: Profile) -> list[Person]:
        """The CRM people blocking selects for a profile (unscored)."""
        keys = profile_keys(profile, self._families)
        return [self.people[n] for n in self._index.candidates(keys)]

    def contributions(self, profile: Profile, person: Person) -> tuple[Contribution, ...]:
        """Run every comparison of the rules on one pair."""
        out = []
        for comp, fn, left_roles, right_roles in self._plan:
            label, why = fn(_values(profile, left_roles), _values(person, right_roles), comp)
            out.append(Contribution(comp.name, label, comp.level(label).weight, why))
        return tuple(out)

    def score(self, profile: Profile, person: Person) -> tuple[float, tuple[Contribution, ...]]:
        """Total match weight (bits) of one pair and its parts."""
        parts = self.contributions(profile, person)
        return self.rules.prior_weight + sum(c.weight for c in parts), parts

    def match(self, profile: Profile) -> MatchResult:
        """Score the blocked candidates of a profile and decide."""
        scored = [(*self.score(profile, p), p.id) for p in self.candidates(profile)]
        scored.sort(key=lambda s: (-s[0], s[2]))
        return MatchResult(
            profile_key=profile.key,
            rule_version=self.rules.version,
            prior_weight=self.rules.prior_weight,
            candidates=self._decide(scored),
        )

    def _decide(
        self, scored: Sequence[tuple[float, tuple[Contribution, ...], str]]
    ) -> tuple[Candidate, ...]:
        th = self.rules.thresholds
        linked = False
        if scored and scored[0][0] >= th.link:
            runner_up = scored[1][0] if len(scored) > 1 else -math.inf
            linked = scored[0][0] - runner_up >= th.ambiguity_margin
        out = []
        for i, (score, parts, pid) in enumerate(scored):
            if linked:
                d = Decision.LINK if i == 0 else Decision.NONE
            else:
                d = Decision.REVIEW if score >= th.review else Decision.NONE
            out.append(Candidate(pid, round(score, 4), d, parts))
        return tuple(out)

    def match_many(self, profiles: Iterable[Profile]) -> Iterator[MatchResult]:
        """Backfill path: match profiles one after the other, lazily."""
        for p in profiles:
            yield self.match(p)
