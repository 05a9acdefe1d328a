"""Batch deciding: the link and review candidates of many profiles, as ``Matcher.match`` does.

A backfill or ``enrich match`` keeps only the candidates that are linked or sent to
review, and most blocked candidates score far below the review threshold: that is clear
after the cheap comparisons. So, per candidate pair:

* comparators with a fast level function (``comparators.FAST_LEVELS``: ``string``) run
  first, on values prepared once per record, and give only a level and its weight;
* before each comparison the pair's best reachable score — what it has so far plus the
  largest weight every remaining comparison could add — is checked against the review
  threshold, and a pair that cannot reach it is dropped, so the costly comparators
  (person name, company, ...) mostly run on plausible pairs only;
* the pairs that are written out get their contributions (levels and explanations) from
  the very comparators and scoring code ``Matcher.match`` uses.

The outcome is exactly ``match``'s: a dropped pair scores below review (so it is neither
linked nor reviewed) and matters only as the runner-up of a best candidate that might be
linked; when its bound does not settle the ambiguity margin the profile is scored in full.
"""

from __future__ import annotations

import gc
import math
import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from enrich.matching.blocking import profile_keys
from enrich.matching.comparators import FAST_LEVELS, FastLevel, Values
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


class _Fields:
    """Field values of one record, its extra fields looked up in a dict built once."""

    __slots__ = ("extra", "got", "record")

    def __init__(self, record: Profile | Person) -> None:
        self.record = record
        self.extra = dict(reversed(record.extra))  # the first of a repeated name, as field_getter
        self.got: dict[str, str] = {}

    def __call__(self, f: str) -> str:
        v = self.got.get(f)
        if v is None:
            v = self.got[f] = (self.extra.get(f[len(EXTRA_PREFIX) :], "")
                               if f.startswith(EXTRA_PREFIX) else field_getter(f)(self.record))
        return v

    def values(self, sides: list[Roles]) -> list[Values]:
        """``scorer._values`` of the record for every comparison."""
        out: list[Values] = []
        for roles in sides:
            d: dict[str, tuple[str, ...]] = {}
            for role, fields in roles:
                if len(fields) == 1:
                    v = self(fields[0])
                    d[role] = (v,) if v else ()
                else:
                    d[role] = tuple(v for v in map(self, fields) if v)
            out.append(d)
        return out


class _Right:
    """What the comparisons read of one CRM record, computed the first time it is a candidate.

    ``keys[j]``: the raw values comparison j reads (``_Step.right_key``, its memo key
    within a profile); ``prepared[j]``: its fast-level input. The full ``Values`` are
    built only when a comparator needs them (a costly comparison, a written pair).
    """

    __slots__ = ("_values", "fields", "keys", "prepared")

    def __init__(self, fields: _Fields, keys: list[tuple[str, ...]],
                 prepared: list[object]) -> None:
        self.fields = fields
        self.keys = keys
        self.prepared = prepared
        self._values: list[Values] | None = None

    def values(self, sides: list[Roles]) -> list[Values]:
        if self._values is None:
            self._values = self.fields.values(sides)
        return self._values


class _Pair:
    """A candidate that reached the end with an exact score."""

    __slots__ = ("number", "person_id", "score", "slow")

    def __init__(self, number: int, person_id: str, score: float,
                 slow: dict[int, Contribution]) -> None:
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
        self.level_of = [f.bind(s.comp) if f else None
                         for f, s in zip(self.fast, plan, strict=True)]
        self.left_roles = [s.left for s in plan]
        self.right_roles = [s.right for s in plan]
        self.base = [{label: lv.weight for label, lv in s.levels.items()} for s in plan]
        self.tf_labels = [{label for label, lv in s.levels.items() if lv.tf_weight} for s in plan]
        ranges = [_weight_range(s) for s in plan]
        # Comparisons whose fast level always answers first, then those whose fast level
        # may answer, then the rest; the widest weight range first within each group, so
        # that a pair that cannot reach review is dropped after as few as possible.
        def group(j: int) -> int:
            f = self.fast[j]
            return 2 if f is None else 0 if f.decisive else 1

        self.order = sorted(range(len(plan)),
                            key=lambda j: (group(j), ranges[j][0] - ranges[j][1], j))
        maxes = [ranges[j][1] for j in self.order]
        self.rest_max = [sum(maxes[k:]) for k in range(len(maxes) + 1)]
        self.cut = matcher.rules.thresholds.review - _SLACK
        self._right: dict[int, _Right] = {}
        self._prepared: list[dict[tuple[str, ...], object]] = [{} for _ in plan]
        self._tf: dict[tuple[int, int, str], float] = {}

    def _person(self, n: int) -> _Right:
        r = self._right.get(n)
        if r is None:
            if len(self._right) >= _MAX_PREPARED:
                self._right.clear()
                self._tf.clear()
                for prepared_values in self._prepared:
                    prepared_values.clear()
            fields = _Fields(self.m.people[n])
            keys = [tuple(map(fields, s.right_fields)) for s in self.m._plan]
            prepared: list[object] = []
            for j, f in enumerate(self.fast):
                if f is None:
                    prepared.append(None)
                    continue
                # Many records share a value (a postcode, a state): prepare each value once.
                got = self._prepared[j].get(keys[j])
                if got is None:
                    got = self._prepared[j][keys[j]] = f.prepare_right(
                        fields.values([self.right_roles[j]])[0])
                prepared.append(got)
            r = self._right[n] = _Right(fields, keys, prepared)
        return r

    def _fast_weight(self, j: int, label: str, n: int, right: _Right) -> float:
        step = self.m._plan[j]
        level: Level = step.levels[label]
        weight = level.weight
        if level.tf_weight:
            adj = self._tf.get((j, n, label))
            if adj is None:
                adj = self._tf[(j, n, label)] = self.m._tf_adjustment(
                    step.comp, level, right.values(self.right_roles)[j])[0]
            weight += adj
        return weight

    def decide(self, profile: Profile) -> tuple[Candidate, ...]:
        m = self.m
        plan = m._plan
        rules = m.rules
        prior = rules.prior_weight
        th = rules.thresholds
        left = _Fields(profile).values(self.left_roles)
        left_prep = [f.prepare(v) if f else None for f, v in zip(self.fast, left, strict=True)]
        memo: list[dict[tuple[str, ...], Contribution]] = [{} for _ in plan]
        exact: list[_Pair] = []
        dropped_best = -math.inf
        order, rest_max, cut = self.order, self.rest_max, self.cut
        level_of, base, tf_labels = self.level_of, self.base, self.tf_labels
        for n in m._index.candidates(profile_keys(profile, m._families)):
            right = self._person(n)
            weights = [0.0] * len(plan)
            slow: dict[int, Contribution] = {}
            acc = prior
            for k, j in enumerate(order):
                bound = acc + rest_max[k]
                if bound < cut:
                    dropped_best = max(dropped_best, bound)
                    break
                level = level_of[j]
                label = level(left_prep[j], right.prepared[j]) if level is not None else None
                if label is not None:
                    w = (self._fast_weight(j, label, n, right) if label in tf_labels[j]
                         else base[j][label])
                else:
                    key = right.keys[j]
                    c = memo[j].get(key)
                    if c is None:
                        c = memo[j][key] = m._compare(
                            plan[j], left[j], right.values(self.right_roles)[j])
                    slow[j] = c
                    w = c.weight
                weights[j] = w
                acc += w
            else:
                exact.append(_Pair(n, m.people[n].id, prior + sum(weights), slow))
        exact.sort(key=lambda p: (-p.score, p.person_id))
        linked = False
        if exact and exact[0].score >= th.link:
            second = exact[1].score if len(exact) > 1 else -math.inf
            if exact[0].score - max(second, dropped_best + _SLACK) >= th.ambiguity_margin:
                linked = True
            elif exact[0].score - second >= th.ambiguity_margin:
                # A dropped pair might be the runner-up that makes the best ambiguous.
                return tuple(c for c in m.match(profile).candidates
                             if c.decision is not Decision.NONE)
        if linked:
            chosen = [(exact[0], Decision.LINK)]
        else:
            chosen = [(p, Decision.REVIEW) for p in exact if p.score >= th.review]
        return tuple(self._candidate(p, d, left) for p, d in chosen)

    def _candidate(self, pair: _Pair, decision: Decision, left: list[Values]) -> Candidate:
        """The written candidate, explained by the comparators themselves."""
        m = self.m
        right = self._person(pair.number)
        parts = tuple(
            pair.slow[j] if j in pair.slow
            else m._compare(step, left[j], right.values(self.right_roles)[j])
            for j, step in enumerate(m._plan)
        )
        score = m.rules.prior_weight + sum(c.weight for c in parts)
        return Candidate(pair.person_id, round(score, 4), decision, parts)


def decide_many(
    matcher: Matcher, profiles: Sequence[Profile], *, workers: int = 1, chunk_size: int = 250
) -> Iterator[Decided]:
    """(profile key, its link or review candidates in ``match``'s order) for each profile."""
    return decide_rows(matcher, profiles, lambda key, cands: ((key, cands),),
                       workers=workers, chunk_size=chunk_size)


def decide_rows(
    matcher: Matcher,
    profiles: Sequence[Profile],
    render: Callable[[str, tuple[Candidate, ...]], Iterable[T]],
    *,
    workers: int = 1,
    chunk_size: int = 250,
    progress: Callable[[int], object] | None = None,
) -> Iterator[T]:
    """What ``render(profile key, its link or review candidates)`` makes of each profile, in order.

    With ``workers > 1`` the profiles are decided by that many forked processes, a chunk
    of ``chunk_size`` at a time. As in ``Matcher.match_many`` they are forked after the
    index is built and share its pages (and the profiles): a task is a range of
    positions, and only what ``render`` makes travels back — the rows to write, not the
    candidates with all their contributions, which cost more to pickle than to compute.
    ``progress(n)`` is called as each chunk of n profiles is done.
    """
    global _FORKED
    decider = BatchDecider(matcher)
    ranges = [(i, min(i + chunk_size, len(profiles))) for i in range(0, len(profiles), chunk_size)]
    if workers <= 1 or len(ranges) <= 1 or "fork" not in mp.get_all_start_methods():
        for start, stop in ranges:
            for profile in profiles[start:stop]:
                yield from render(profile.key, decider.decide(profile))
            if progress:
                progress(stop - start)
        return
    _FORKED = (decider, profiles, render)
    gc.freeze()
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            for (start, stop), rows in zip(ranges, pool.imap(_decide_range, ranges), strict=True):
                yield from rows
                if progress:
                    progress(stop - start)
    finally:
        _FORKED = None
        gc.unfreeze()


# What forked workers inherit: the decider, the profiles and the render function.
_FORKED: tuple[BatchDecider, Sequence[Profile], Callable[..., Iterable[Any]]] | None = None


def _decide_range(bounds: tuple[int, int]) -> list[Any]:
    assert _FORKED is not None, "decide_rows workers must be forked from the decider"
    decider, profiles, render = _FORKED
    return [row for p in profiles[bounds[0] : bounds[1]]
            for row in render(p.key, decider.decide(p))]
