"""How many records of the mirror share a value: the term frequencies of Splink.

Agreement on a rare value is stronger evidence than agreement on a common one: "Ignatius
Quarshie" agreeing says much more than "John Smith". For every comparison whose rule
asks for a term-frequency adjustment, the mirror's values (the "terms" the comparator
names, e.g. ``full:john smith``) are counted once when the matcher is built, and the
scorer moves the level's weight by ``log2(typical / count)`` bits (see ``rules.Level``).

``typical`` is the count of the value an average *record* holds (sum of count² over the
number of records), so the adjustment does not depend on the size of the mirror: a name
held by 1 record where a typical name is held by 8 gains 3 bits at ``tf_weight: 1``.

Memory matters at a million records, so only counts of 2 or more are kept, under the
64-bit ``hash`` of (comparison, term); a missing term counts 1.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from enrich.matching.comparators import TERMS, Values
from enrich.matching.profile import Person
from enrich.matching.rules import Comparison

__all__ = ["TermFrequencies", "count_terms", "tf_levels"]


def tf_levels(comp: Comparison) -> tuple[str, ...]:
    """Levels of a comparison that carry a term-frequency adjustment."""
    return tuple(lv.label for lv in comp.levels if lv.tf_weight)


def count_terms(
    comparisons: Sequence[Comparison],
    people: Iterable[Person],
    values_of: Callable[[Person, Comparison], Values],
) -> list[Counter[str]]:
    """For each tf-adjusted comparison, in order, how many of ``people`` hold each term."""
    out: list[Counter[str]] = []
    for comp in comparisons:
        levels = tf_levels(comp)
        if not levels:
            continue
        term_of = TERMS[comp.comparator]
        counts: Counter[str] = Counter()
        for person in people:
            values = values_of(person, comp)
            counts.update({t for t in (term_of(values, lv) for lv in levels) if t})
        out.append(counts)
    return out


FULL = "full:"  # person_name's term for a full name (``comparators.person_name_term``)
FIRST_PART, LAST_PART = "fn:", "ln:"
OTHERS = "others"  # the typical expected namesakes of a full name
MIN_OTHERS = 1e-3  # a name the parts make rarer than this is no rarer for the matcher


def _kind(term: str) -> str:
    return term.split(":", 1)[0]


class TermFrequencies:
    """Counts of agreeing values in the mirror, per comparison and kind of term."""

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}
        self._typical: dict[tuple[str, str], float] = {}
        self._records = 1

    @classmethod
    def build(
        cls,
        comparisons: Sequence[Comparison],
        people: Sequence[Person],
        values_of: Callable[[Person, Comparison], Values],
    ) -> TermFrequencies:
        """Count the terms of every tf-adjusted comparison over ``people``."""
        return cls.from_counts(
            comparisons, [count_terms(comparisons, people, values_of)], len(people)
        )

    @classmethod
    def from_counts(
        cls, comparisons: Sequence[Comparison], parts: Iterable[list[Counter[str]]], records: int
    ) -> TermFrequencies:
        """The frequencies of a mirror counted in parts (``count_terms`` of each share)."""
        counted = [c for c in comparisons if tf_levels(c)]
        totals: list[Counter[str]] = [Counter() for _ in counted]
        for part in parts:
            for total, counts in zip(totals, part, strict=True):
                total.update(counts)
        tf = cls()
        for comp, counts in zip(counted, totals, strict=True):
            tf._add(comp.name, counts.items(), records)
        return tf

    def _add(self, comparison: str, counts: Iterable[tuple[str, int]], records: int) -> None:
        squares: Counter[str] = Counter()
        parts: Counter[str] = Counter()
        full: list[tuple[str, int]] = []
        for term, c in counts:
            squares[_kind(term)] += c * c
            if c > 1:
                self._counts[hash((comparison, term))] = c
            if term.startswith(FULL):
                first, _, last = term[len(FULL) :].partition(" ")
                parts[FIRST_PART + first] += c
                parts[LAST_PART + last] += c
                full.append((term, c))
        self._records = max(records, 1)
        for kind, sq in squares.items():
            self._typical[(comparison, kind)] = sq / self._records
        for term, c in parts.items():
            if c > 1:
                self._counts[hash((comparison, term))] = c
        if full:
            # A typical record's expected namesakes (see ``others``), for the ratio.
            self._typical[(comparison, OTHERS)] = (
                sum(c * self.others(comparison, t, c) for t, c in full) / self._records
            )

    def others(self, comparison: str, term: str, count: int | None = None) -> float:
        """How many *other* records are expected to hold a full name ("full:anna keller"):
        those that do, or, when more, what its first and family names' frequencies give
        (N × P(first) × P(family)). A name held by one record in a mirror of 20,000 may
        be one in 20,000 (John Lee) or one in millions (Rosa Behm): the parts tell."""
        first, _, last = term[len(FULL) :].partition(" ")
        c = self.count(comparison, term) if count is None else count
        parts = (
            self.count(comparison, FIRST_PART + first)
            * self.count(comparison, LAST_PART + last)
            / self._records
        )
        return max(c - 1.0, parts, MIN_OTHERS)

    def count(self, comparison: str, term: str) -> int:
        """Records of the mirror holding ``term`` (at least 1: the candidate itself)."""
        return self._counts.get(hash((comparison, term)), 1)

    def typical(self, comparison: str, term: str) -> float:
        """How many records share the value of an average record, for this kind of term."""
        return self._typical.get((comparison, _kind(term)), 1.0)

    def typical_others(self, comparison: str) -> float:
        """``others`` of an average record's full name (``MIN_OTHERS`` if none counted)."""
        return self._typical.get((comparison, OTHERS), MIN_OTHERS)

    def __len__(self) -> int:
        return len(self._counts)
