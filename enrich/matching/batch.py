"""Batch deciding: the link and review candidates of many profiles, as ``Matcher.match`` does.

A backfill or ``enrich match`` keeps only the candidates that are linked or sent to
review, and most blocked candidates score far below the review threshold: that is clear
after the cheap comparisons. So, per candidate pair:

* comparators with a fast level function (``comparators.FAST_LEVELS``: ``string``, and
  ``person_name``, which answers ``different`` when no name token can meet) run first,
  the widest weight range first, on values prepared once per record, and give only a
  level and its weight;
* before each comparison the pair's best reachable score — what it has so far plus the
  largest weight every remaining comparison could add — is checked against the review
  threshold, and a pair that cannot reach it is dropped, so the costly comparators
  (person name, company, ...) mostly run on plausible pairs only;
* the pairs that are written out get their contributions (levels and explanations) from
  the very comparators and scoring code ``Matcher.match`` uses (a fast level's comparator
  on the prepared values: ``FastLevel.explain``).

The outcome is exactly ``match``'s: a dropped pair scores below review (so it is neither
linked nor reviewed) and matters only as the runner-up of a best candidate that might be
linked; when its bound does not settle the ambiguity margin the profile is scored in full.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from enrich.matching.blocking import profile_keys
from enrich.matching.comparators import FAST_LEVELS, FastLevel, Values
from enrich.matching.forked import can_fork, shared_chunks
from enrich.matching.profile import EXTRA_PREFIX, Person, Profile, field_getter
from enrich.matching.rules import Level
from enrich.matching.scorer import Candidate, Contribution, Decision, Matcher, _Step

__all__ = ["BatchDecider", "Decided", "decide_many", "decide_rows"]

# Bounds are sums in another order than the score's: keep a margin for rounding.
_SLACK = 1e-9
# Prepared CRM records kept at once (~1-2 kB each): a backfill against a million-record
# file must not hold them all; past this the cache starts again.
_MAX_PREPARED = 100_000

Decided = tuple[str, tuple[Candidate, ...]]
T = TypeVar("T")


def _weight_range(step: _Step) -> tuple[float, float]:
    """The least and the most a comparison can add, term-frequency adjustment included."""
    low, high = math.inf, -math.inf
    for level in step.levels.values():
        tf = level.tf_weight != 0
        low = min(low, level.weight + (min(0.0, level.tf_min_bits) if tf else 0.0))
        high = max(high, level.weight + (max(0.0, level.tf_max_bits) if tf else 0.0))
    return low, high


Roles = tuple[tuple[str, tuple[str, ...]], ...]


class _Reader:
    """Reads what one side of the comparisons needs: each field once per record.

    ``read(record)`` gives the field values (extra fields from a dict built once, the
    first of a repeated name as ``field_getter``); ``record(r)`` gives them with what
    each comparison reads of them (a ``_Record``), the fast-level inputs prepared by
    ``prepare[j]`` once per distinct value: many records share a postcode, a state, a
    street number. ``values_of(got, j)`` is ``scorer._values`` of comparison j.
    """

    def __init__(
        self, sides: list[Roles], prepare: list[Callable[[Values], object] | None]
    ) -> None:
        self.fields = sorted({f for roles in sides for _, fs in roles for f in fs})
        self.at = {f: i for i, f in enumerate(self.fields)}
        self._sides = [
            tuple((role, tuple(self.at[f] for f in fs)) for role, fs in roles) for roles in sides
        ]
        self._read = [
            (f[len(EXTRA_PREFIX) :], None) if f.startswith(EXTRA_PREFIX) else ("", field_getter(f))
            for f in self.fields
        ]
        # Per comparison: the fields it reads in the order of its roles (its key,
        # ``_Step.right_key``), the position of the one field when it reads one (else
        # -1), how its fast-level input is prepared and the inputs prepared so far.
        self._plan: list[
            tuple[
                tuple[int, ...],
                int,
                Callable[[Values], object] | None,
                dict[tuple[str, ...], object],
            ]
        ] = []
        for side, prep in zip(self._sides, prepare, strict=True):
            at = tuple(i for _, ats in side for i in ats)
            self._plan.append((at, at[0] if len(at) == 1 else -1, prep, {}))
        self._records = 0

    def read(self, record: Profile | Person) -> list[str]:
        extra = dict(reversed(record.extra)) if record.extra else {}
        return [extra.get(name, "") if get is None else get(record) for name, get in self._read]

    def record(self, record: Profile | Person) -> _Record:
        """The record's values, each comparison's key and its prepared fast-level input."""
        if self._records >= _MAX_PREPARED:  # a long backfill meets endless values
            self._records = 0
            for *_, done in self._plan:
                done.clear()
        self._records += 1
        got = self.read(record)
        keys: list[tuple[str, ...]] = []
        prepared: list[object] = []
        for j, (at, one, prepare, done) in enumerate(self._plan):
            key = (got[one],) if one >= 0 else tuple([got[i] for i in at])
            keys.append(key)
            if prepare is None:
                prepared.append(None)
                continue
            value = done.get(key)
            if value is None:
                value = done[key] = prepare(self.values_of(got, j))
            prepared.append(value)
        return _Record(got, keys, prepared)

    def values_of(self, got: list[str], j: int) -> Values:
        """The values of comparison j alone."""
        d: dict[str, tuple[str, ...]] = {}
        for role, at in self._sides[j]:
            if len(at) == 1:
                v = got[at[0]]
                d[role] = (v,) if v else ()
            else:
                d[role] = tuple([got[i] for i in at if got[i]])
        return d


class _Record:
    """What the comparisons read of one record: a CRM record the first time it is a
    candidate, a profile when it is decided.

    ``keys[j]``: the raw values comparison j reads (of a CRM record: ``_Step.right_key``,
    its memo key within a profile); ``prepared[j]``: its fast-level input. The full
    ``Values`` are built only when a comparator needs them (a costly comparison, a
    written pair).
    """

    __slots__ = ("_values", "got", "keys", "prepared")

    def __init__(self, got: list[str], keys: list[tuple[str, ...]], prepared: list[object]) -> None:
        self.got = got
        self.keys = keys
        self.prepared = prepared
        self._values: dict[int, Values] = {}

    def values(self, reader: _Reader, j: int) -> Values:
        """The ``Values`` comparison j reads."""
        v = self._values.get(j)
        if v is None:
            v = self._values[j] = reader.values_of(self.got, j)
        return v


class _Pair:
    """A candidate that reached the end with an exact score."""

    __slots__ = ("number", "person_id", "score", "slow")

    def __init__(
        self, number: int, person_id: str, score: float, slow: dict[int, Contribution]
    ) -> None:
        self.number = number
        self.person_id = person_id
        self.score = score
        self.slow = slow


class BatchDecider:
    """``decide(profile)``: what ``matcher.match(profile)`` links or reviews, in its order."""

    def __init__(self, matcher: Matcher) -> None:
        self.m = matcher
        plan = matcher._plan
        self.fast: list[FastLevel | None] = [FAST_LEVELS.get(s.comp.comparator) for s in plan]
        self.level_of = [
            f.bind(s.comp) if f else None for f, s in zip(self.fast, plan, strict=True)
        ]
        self.explain = [
            f.explain(s.comp) if f and f.explain else None
            for f, s in zip(self.fast, plan, strict=True)
        ]
        self.left = _Reader([s.left for s in plan], [f.prepare if f else None for f in self.fast])
        self.right = _Reader(
            [s.right for s in plan], [f.prepare_right if f else None for f in self.fast]
        )
        self.base = [{label: lv.weight for label, lv in s.levels.items()} for s in plan]
        self.tf_labels = [{label for label, lv in s.levels.items() if lv.tf_weight} for s in plan]
        ranges = [_weight_range(s) for s in plan]
        # Comparisons with a fast level first, then the rest; the widest weight range
        # first within each group, so that a pair that cannot reach review is dropped
        # after as few comparisons as possible (on FEBRL4 a disagreeing name drops most
        # pairs that share only a postcode two string comparisons earlier).
        self.order = sorted(
            range(len(plan)), key=lambda j: (self.fast[j] is None, ranges[j][0] - ranges[j][1], j)
        )
        maxes = [ranges[j][1] for j in self.order]
        self.rest_max = [sum(maxes[k:]) for k in range(len(maxes) + 1)]
        self.cut = matcher.rules.thresholds.review - _SLACK
        self._right: dict[int, _Record] = {}
        self._tf: dict[tuple[int, str, tuple[str, ...]], tuple[float, str]] = {}
        self._explained: list[dict[tuple[tuple[str, ...], tuple[str, ...]], Contribution]] = [
            {} for _ in plan
        ]

    def _person(self, n: int) -> _Record:
        r = self._right.get(n)
        if r is None:
            if len(self._right) >= _MAX_PREPARED:
                self._right.clear()
                self._tf.clear()
            r = self._right[n] = self.right.record(self.m.people[n])
        return r

    def _tf_level(self, j: int, label: str, right: _Record) -> tuple[float, str]:
        """A level's weight with its term-frequency adjustment and the note explaining it;
        they depend on the values comparison j reads only (records sharing a suburb
        share them)."""
        key = (j, label, right.keys[j])
        got = self._tf.get(key)
        if got is None:
            step = self.m._plan[j]
            level: Level = step.levels[label]
            adj, note = self.m._tf_adjustment(step.comp, level, right.values(self.right, j))
            got = self._tf[key] = (level.weight + adj, note)
        return got

    def decide(self, profile: Profile) -> tuple[Candidate, ...]:
        m = self.m
        plan = m._plan
        rules = m.rules
        prior = rules.prior_weight
        th = rules.thresholds
        left = self.left.record(profile)
        memo: list[dict[tuple[str, ...], Contribution]] = [{} for _ in plan]
        exact: list[_Pair] = []
        dropped_best = -math.inf
        cut, people, right_of = self.cut, m.people, self._right
        # The comparisons in the order they run, with what each needs at hand.
        steps = [
            (
                j,
                self.rest_max[k],
                self.level_of[j],
                left.prepared[j],
                self.base[j],
                self.tf_labels[j],
            )
            for k, j in enumerate(self.order)
        ]
        for n in m._index.candidates(profile_keys(profile, m._families)):
            right = right_of.get(n) or self._person(n)
            prepared = right.prepared
            weights = [0.0] * len(plan)
            slow: dict[int, Contribution] = {}
            acc = prior
            for j, rest, level, lp, base, tf_labels in steps:
                bound = acc + rest
                if bound < cut:
                    if bound > dropped_best:
                        dropped_best = bound
                    break
                if level is not None and (label := level(lp, prepared[j])) is not None:
                    w = (
                        self._tf_level(j, label, right)[0]
                        if tf_labels and label in tf_labels
                        else base[label]
                    )
                else:
                    key = right.keys[j]
                    c = memo[j].get(key)
                    if c is None:
                        c = memo[j][key] = m._compare(
                            plan[j], left.values(self.left, j), right.values(self.right, j)
                        )
                    slow[j] = c
                    w = c.weight
                weights[j] = w
                acc += w
            else:
                exact.append(_Pair(n, people[n].id, prior + sum(weights), slow))
        exact.sort(key=lambda p: (-p.score, p.person_id))
        if len(exact) > 1 and exact[0].score >= th.link:
            # One person's records compete: ``match`` decides which survives (rare).
            records = {p.person_id: people[p.number] for p in exact}
            if m.survivor([(p.score, p.person_id) for p in exact], records, profile.email):
                return tuple(
                    c for c in m.match(profile).candidates if c.decision is not Decision.NONE
                )
        linked = False
        if exact and exact[0].score >= th.link:
            second = exact[1].score if len(exact) > 1 else -math.inf
            if exact[0].score - max(second, dropped_best + _SLACK) >= th.ambiguity_margin:
                linked = True
            elif exact[0].score - second >= th.ambiguity_margin:
                # A dropped pair might be the runner-up that makes the best ambiguous.
                return tuple(
                    c for c in m.match(profile).candidates if c.decision is not Decision.NONE
                )
        if linked:
            chosen = [(exact[0], Decision.LINK)]
        else:
            chosen = [(p, Decision.REVIEW) for p in exact if p.score >= th.review]
        return tuple(self._candidate(p, d, left) for p, d in chosen)

    def _candidate(self, pair: _Pair, decision: Decision, left: _Record) -> Candidate:
        """The written candidate, explained by the comparators themselves (a fast level's
        comparator from the prepared values, ``FastLevel.explain``)."""
        m = self.m
        right = self._person(pair.number)
        parts = []
        for j, step in enumerate(m._plan):
            c = pair.slow.get(j)
            if c is None:
                if self.explain[j] is None:
                    c = m._compare(step, left.values(self.left, j), right.values(self.right, j))
                else:
                    # Written pairs share values (a state, a street number, a postcode):
                    # their contribution is made once per pair of values.
                    explained = self._explained[j]
                    key = (left.keys[j], right.keys[j])
                    c = explained.get(key)
                    if c is None:
                        if len(explained) >= _MAX_PREPARED:
                            explained.clear()
                        c = explained[key] = self._explain(j, left, right)
            parts.append(c)
        score = m.rules.prior_weight + sum(c.weight for c in parts)
        return Candidate(pair.person_id, round(score, 4), decision, tuple(parts))

    def _explain(self, j: int, left: _Record, right: _Record) -> Contribution:
        """Comparison j's contribution by its fast level's comparator (``FastLevel.explain``)."""
        explain = self.explain[j]
        assert explain is not None
        name = self.m._plan[j].comp.name
        label, why = explain(left.prepared[j], right.prepared[j])
        if label in self.tf_labels[j]:
            weight, note = self._tf_level(j, label, right)
            return Contribution(name, label, weight, why + note)
        return Contribution(name, label, self.base[j][label], why)


def decide_many(
    matcher: Matcher, profiles: Sequence[Profile], *, workers: int = 1, chunk_size: int = 250
) -> Iterator[Decided]:
    """(profile key, its link or review candidates in ``match``'s order) for each profile."""
    return decide_rows(
        matcher,
        profiles,
        lambda key, cands: ((key, cands),),
        workers=workers,
        chunk_size=chunk_size,
    )


def decide_rows(
    matcher: Matcher,
    profiles: Sequence[Profile],
    render: Callable[[str, tuple[Candidate, ...]], Iterable[T]],
    *,
    workers: int = 1,
    chunk_size: int = 100,
    progress: Callable[[int], object] | None = None,
) -> Iterator[T]:
    """What ``render(profile key, its link or review candidates)`` makes of each profile, in order.

    With ``workers > 1`` the profiles are decided by this process and ``workers - 1``
    forked ones (``forked.shared_chunks``), a chunk of ``chunk_size`` positions at a
    time. They are forked after the index is built and share its pages (and the
    profiles); only what ``render`` makes travels back — the rows to write, not the
    candidates with all their contributions, which cost more to pickle than to compute.
    ``progress(n)`` is called as each chunk of n profiles is done.
    """
    decider = BatchDecider(matcher)
    ranges = _ranges(len(profiles), chunk_size, workers)
    # Deciding makes no reference cycles, only records, caches and rows that reference
    # counting frees: the cycle collector would rescan the prepared records and caches
    # over and over (~8 % of a FEBRL4 run), so it rests meanwhile (forked workers too).
    collecting = gc.isenabled()
    gc.disable()
    try:

        def chunk(i: int) -> list[T]:
            start, stop = ranges[i]
            return [row for p in profiles[start:stop] for row in render(p.key, decider.decide(p))]

        if workers <= 1 or len(ranges) <= 1 or not can_fork():
            for i, (start, stop) in enumerate(ranges):
                yield from chunk(i)
                if progress:
                    progress(stop - start)
            return
        # Forked workers share the parent's pages; frozen objects are not touched (and so
        # not copied) by their collector. They stay frozen afterwards: unfreezing would
        # hand everything frozen before (``cli._uncollected``: the records and the index) to
        # a full collection at exit, ~60 ms of a FEBRL4 run for nothing to collect.
        gc.freeze()
        with shared_chunks(chunk, len(ranges), workers - 1) as chunks:
            for (start, stop), rows in zip(ranges, chunks, strict=True):
                yield from rows
                if progress:
                    progress(stop - start)
    finally:
        if collecting:
            gc.enable()


def _ranges(n: int, chunk_size: int, workers: int) -> list[tuple[int, int]]:
    """Chunks of up to ``chunk_size`` positions, smaller towards the end (down to a tenth)
    so that the workers finish together rather than one waiting for the other's last chunk."""
    out: list[tuple[int, int]] = []
    start = 0
    while start < n:
        size = max(min(chunk_size, (n - start) // (2 * max(workers, 1))), chunk_size // 10, 1)
        out.append((start, min(start + size, n)))
        start += size
    return out
