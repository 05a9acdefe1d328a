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

import gc
import math
import multiprocessing as mp
from array import array
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from itertools import islice

from enrich.matching.blocking import BlockingIndex, person_keys, profile_keys
from enrich.matching.catalog import CATALOG, NULL_LEVEL
from enrich.matching.comparators import (
    COMPARATORS,
    READ_UNLESS,
    TERMS,
    WRITTEN_TERMS,
    CompareFn,
    Values,
)
from enrich.matching.forked import shared_chunks
from enrich.matching.frequency import FULL, TermFrequencies, count_terms
from enrich.matching.profile import Person, Profile, field_getter
from enrich.matching.rules import Comparison, Level, RuleSet

__all__ = ["DUPLICATES", "Candidate", "Contribution", "Decision", "MatchResult", "Matcher"]

# The waterfall bar (weight 0) that says a link went to the survivor of duplicate records.
DUPLICATES = "duplicates"


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

    def respecting(self, rejected: Collection[str], review_at: float) -> MatchResult:
        """The decisions once people's rejections count (nothing is re-scored).

        A rejected pair is never proposed again. When the pair the matcher would link was
        rejected, its other candidates at `review_at` or above go to review (they were ruled
        out only because that one was far likelier) and none is linked: a person has said
        this profile is hard.
        """
        if not rejected:
            return self
        link_rejected = any(
            c.decision is Decision.LINK and c.person_id in rejected for c in self.candidates
        )

        def decided(c: Candidate) -> Decision:
            if c.person_id in rejected:
                return Decision.NONE
            if link_rejected:
                return Decision.REVIEW if c.score >= review_at else Decision.NONE
            return c.decision

        return replace(
            self, candidates=tuple(replace(c, decision=decided(c)) for c in self.candidates)
        )

    @property
    def link(self) -> Candidate | None:
        """The auto-linked candidate, if any."""
        return next((c for c in self.candidates if c.decision is Decision.LINK), None)

    @property
    def reviews(self) -> tuple[Candidate, ...]:
        """Candidates for the human review queue."""
        return tuple(c for c in self.candidates if c.decision is Decision.REVIEW)


Roles = tuple[tuple[str, tuple[str, ...]], ...]


def _values(record: Profile | Person, roles: Roles) -> Values:
    out: dict[str, tuple[str, ...]] = {}
    for role, fields in roles:  # loops, not nested generators: hot when indexing
        if len(fields) == 1:
            v = field_getter(fields[0])(record)
            out[role] = (v,) if v else ()
        else:
            out[role] = tuple([v for f in fields if (v := field_getter(f)(record))])
    return out


@dataclass(frozen=True, slots=True)
class _Step:
    """One comparison, ready to run: its function and how to read each side."""

    comp: Comparison
    fn: CompareFn
    left: Roles
    right: Roles
    right_fields: tuple[str, ...]
    levels: dict[str, Level]
    # (fields of a role read only while those of another are empty, those; ``READ_UNLESS``)
    unless: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    @classmethod
    def of(cls, comp: Comparison) -> _Step:
        labels = (*CATALOG[comp.comparator].levels, NULL_LEVEL)
        roles = dict(comp.right)
        unless = None
        if comp.comparator in READ_UNLESS:
            role, other = READ_UNLESS[comp.comparator]
            if role in roles and other in roles:
                unless = (roles[role], roles[other])
        fields = tuple(f for _, fs in comp.right for f in fs)
        if unless:
            fields = tuple(f for f in fields if f not in unless[0])
        return cls(
            comp,
            COMPARATORS[comp.comparator],
            comp.left,
            comp.right,
            fields,
            {label: comp.level(label) for label in labels},
            unless,
        )

    def right_key(self, person: Person) -> tuple[str, ...]:
        """The raw right-hand values this comparison reads: its outcome depends on nothing
        else (a role read only while another is empty counts only then)."""
        key = [field_getter(f)(person) for f in self.right_fields]
        if self.unless and not any(field_getter(f)(person) for f in self.unless[1]):
            key += [field_getter(f)(person) for f in self.unless[0]]
        return tuple(key)


class Matcher:
    """Links social profiles to CRM people under one RuleSet.

    Build it once (it indexes ``people``), then call ``match`` per profile, or
    ``match_many`` for a backfill.
    """

    def __init__(
        self,
        rules: RuleSet,
        people: Iterable[Person],
        *,
        workers: int = 1,
        meanwhile: Callable[[], object] | None = None,
    ) -> None:
        """Index ``people``; with ``workers > 1`` their blocking keys and terms are worked
        out by this process and ``workers - 1`` forked ones (``forked.shared_chunks``),
        the index is the same. ``meanwhile()`` is done here once the forked ones have
        started (``enrich match`` reads the profiles), before this process joins them."""
        self.rules = rules
        self.people: list[Person] = list(people)
        self._families = rules.blocking.keys
        self._index = BlockingIndex(rules.blocking)
        self._plan: tuple[_Step, ...] = tuple(_Step.of(c) for c in rules.comparisons)
        n = len(self.people)
        size = max(-(-n // (8 * max(workers, 1))), 256)
        bounds = [(start, min(start + size, n)) for start in range(0, n, size)]

        def part(i: int) -> tuple[array[int], array[int], list[Counter[str]]]:
            """Chunk i's records: their key hashes, how many each, their term counts."""
            share = self.people[bounds[i][0] : bounds[i][1]]
            hashes, sizes = array("q"), array("i")
            for p in share:
                keys = person_keys(p, self._families)
                sizes.append(len(keys))
                hashes.extend(map(hash, keys))
            return (
                hashes,
                sizes,
                count_terms(rules.comparisons, share, lambda p, c: _values(p, c.right)),
            )

        terms: list[list[Counter[str]]] = []
        with shared_chunks(part, len(bounds), workers - 1) as parts:
            if meanwhile:
                meanwhile()
            for (start, _), (hashes, sizes, counts) in zip(bounds, parts, strict=True):
                each = iter(hashes)
                for number, k in enumerate(sizes, start):
                    self._index.add_hashes(number, islice(each, k))
                terms.append(counts)
        self._tf = TermFrequencies.from_counts(rules.comparisons, terms, n)

    def __len__(self) -> int:
        return len(self.people)

    def index_stats(self) -> dict[str, int]:
        """Size of the blocking index."""
        return self._index.stats()

    def candidates(self, profile: Profile, keys: set[str] | None = None) -> list[Person]:
        """The CRM people blocking selects for a profile (unscored); ``keys``: its blocking
        keys when the caller has them already."""
        if keys is None:
            keys = profile_keys(profile, self._families)
        return [self.people[n] for n in self._index.candidates(keys)]

    def contributions(self, profile: Profile, person: Person) -> tuple[Contribution, ...]:
        """Run every comparison of the rules on one pair."""
        return tuple(
            self._compare(step, _values(profile, step.left), _values(person, step.right))
            for step in self._plan
        )

    def _compare(self, step: _Step, left: Values, right: Values) -> Contribution:
        comp = step.comp
        label, why = step.fn(left, right, comp)
        level = step.levels[label]
        weight = level.weight
        if level.tf_weight:
            adj, note = self._tf_adjustment(comp, level, right, left)
            weight += adj
            why += note
        return Contribution(comp.name, label, weight, why)

    def _tf_adjustment(
        self, comp: Comparison, level: Level, right: Values, left: Values | None = None
    ) -> tuple[float, str]:
        """Bits for how common the agreeing value is: the CRM value's count, or the count
        of the value the profile gives when that differs (a nickname) and is commoner.
        A full name is also weighed by its expected namesakes among the other records
        (``TermFrequencies.others``) against a typical record's, the larger of the two
        adjustments counting: rare parts make a name rarer than its count of 1 says, and
        common ones never make it commoner than its count. Batch fast levels pass
        no ``left``: none of them answers a level whose values can differ
        (``WRITTEN_TERMS``)."""
        term = TERMS[comp.comparator](right, level.label)
        if not term:
            return 0.0, ""
        tf = self._tf
        count = tf.count(comp.name, term)
        full = term.startswith(FULL)
        held = tf.others(comp.name, term, count) if full else float(count)
        what = "this name"
        written = WRITTEN_TERMS.get(comp.comparator)
        if written is not None and left is not None:
            for t in written(left, right, level.label):
                c = tf.count(comp.name, t)
                h = tf.others(comp.name, t, c) if full else float(c)
                if h > held:
                    count, held, what = c, h, (f"the name as given ({t.partition(':')[2].title()})")
        typical = tf.typical(comp.name, term)
        bits = level.tf_bits(count, typical)
        who = "1 CRM record has" if count == 1 else f"{count} CRM records have"
        note = f"; {who} {what}, a typical one {typical:.0f}"
        if full:  # rarer than its count says when its parts are rare; never commoner
            expected = tf.typical_others(comp.name)
            bits = max(bits, level.tf_bits(held, expected))
            note += (
                f"; {held:.2g} other holders expected from its first and family names, "
                f"{expected:.2g} for a typical one"
            )
        return bits, f"{note} ({bits:+.1f} bits)"

    def score(self, profile: Profile, person: Person) -> tuple[float, tuple[Contribution, ...]]:
        """Total match weight (bits) of one pair and its parts."""
        parts = self.contributions(profile, person)
        return self.rules.prior_weight + sum(c.weight for c in parts), parts

    def match(self, profile: Profile, keys: set[str] | None = None) -> MatchResult:
        """Score the blocked candidates of a profile and decide (``keys`` as ``candidates``).

        Within one profile a comparison's outcome depends only on the candidate's values
        it reads, and candidates share many of them (namesakes share a name, hundreds of
        records share a city, most have no stored identifier), so each distinct value
        tuple is compared once per profile.
        """
        prior = self.rules.prior_weight
        steps: list[tuple[_Step, Values, dict[tuple[str, ...], Contribution]]] = [
            (step, _values(profile, step.left), {}) for step in self._plan
        ]
        scored = []
        people = {}
        for person in self.candidates(profile, keys):
            people[person.id] = person
            parts = []
            for step, left, memo in steps:
                key = step.right_key(person)
                c = memo.get(key)
                if c is None:
                    c = memo[key] = self._compare(step, left, _values(person, step.right))
                parts.append(c)
            scored.append((prior + sum(c.weight for c in parts), tuple(parts), person.id))
        scored.sort(key=lambda s: (-s[0], s[2]))
        return MatchResult(
            profile_key=profile.key,
            rule_version=self.rules.version,
            prior_weight=self.rules.prior_weight,
            candidates=self._decide(scored, people, profile.email),
        )

    def levels(
        self, profile: Profile, people: Iterable[Person]
    ) -> Iterator[tuple[tuple[str, ...], float]]:
        """For each person: the level every comparison reaches and the term-frequency bits
        the scorer adds to them (what ``train`` estimates weights from)."""
        steps: list[tuple[_Step, Values, dict[tuple[str, ...], Contribution]]] = [
            (step, _values(profile, step.left), {}) for step in self._plan
        ]
        for person in people:
            labels, tf = [], 0.0
            for step, left, memo in steps:
                key = step.right_key(person)
                c = memo.get(key)
                if c is None:
                    c = memo[key] = self._compare(step, left, _values(person, step.right))
                labels.append(c.level)
                tf += c.weight - step.levels[c.level].weight
            yield tuple(labels), tf

    def survivor(
        self, scored: Sequence[tuple[float, str]], people: dict[str, Person], email: str
    ) -> tuple[str, frozenset[str]] | None:
        """When the best of these candidates ((score, id), best first) reaches the link
        threshold and has duplicate records among them: the one to link and the group
        (``duplicates``: one person's records, not namesakes)."""
        th = self.rules.thresholds
        if not scored or scored[0][0] < th.link:
            return None
        return self.rules.duplicates.survivor_of(scored, people, th.review, email)

    def _decide(
        self,
        scored: Sequence[tuple[float, tuple[Contribution, ...], str]],
        people: dict[str, Person] | None = None,
        email: str = "",
    ) -> tuple[Candidate, ...]:
        th = self.rules.thresholds
        linked = False
        group: frozenset[str] = frozenset()
        chosen = scored[0][2] if scored else ""
        if people and scored and scored[0][0] >= th.link:
            kept = self.survivor([(s, pid) for s, _, pid in scored], people, email)
            if kept is not None:
                chosen, group = kept
        if scored and scored[0][0] >= th.link:
            # The margin is to the best candidate that is not one of the person's records.
            runner_up = max((s for s, _, pid in scored[1:] if pid not in group), default=-math.inf)
            linked = scored[0][0] - runner_up >= th.ambiguity_margin
        out = []
        for score, parts, pid in scored:
            if linked:
                d = Decision.LINK if pid == chosen else Decision.NONE
                if pid == chosen and len(group) > 1:
                    scores = {p: s for s, _, p in scored}
                    why = self.rules.duplicates.note(pid, group, people or {}, scores)
                    parts = (*parts, Contribution(DUPLICATES, "survivor", 0.0, why))
            else:
                d = Decision.REVIEW if score >= th.review else Decision.NONE
            out.append(Candidate(pid, round(score, 4), d, parts))
        return tuple(out)

    def match_many(
        self, profiles: Iterable[Profile], *, workers: int = 1, chunk_size: int = 256
    ) -> Iterator[MatchResult]:
        """Backfill path: match many profiles, lazily, results in input order.

        With ``workers > 1`` the profiles are matched by that many forked processes.
        They are forked *after* the index is built, so they share its memory pages
        instead of rebuilding or receiving it (``gc.freeze`` keeps the collector from
        touching, and so copying, those pages). Where ``fork`` is unavailable the
        profiles are matched in this process.
        """
        if workers <= 1 or "fork" not in mp.get_all_start_methods():
            yield from map(self.match, profiles)
            return
        global _FORKED
        _FORKED = self
        gc.freeze()
        try:
            with mp.get_context("fork").Pool(workers) as pool:
                for chunk in pool.imap(_match_chunk, _chunks(profiles, chunk_size)):
                    yield from chunk
        finally:
            _FORKED = None
            gc.unfreeze()


_FORKED: Matcher | None = None  # the matcher forked workers inherit


def _match_chunk(profiles: list[Profile]) -> list[MatchResult]:
    assert _FORKED is not None, "match_many workers must be forked from the matcher"
    return [_FORKED.match(p) for p in profiles]


def _chunks(items: Iterable[Profile], size: int) -> Iterator[list[Profile]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk
