"""Weights from the customer's own data: ``train(rules, people, profiles) -> Training``.

Fellegi–Sunter as Splink estimates it, made automatic, with one change that suits linking
profiles to a CRM: a profile is one person at most, so the model is a mixture over *which*
CRM record (or none) the profile is.

* **u** (P(level | two different people)) of every level: the share of random (profile,
  CRM record) pairs that reach it as different people (a random pair blocking selects
  counts by EM's posterior that it is not the profile's person), or, when larger, of the
  blocked pairs EM reads as different people (a level random pairs rarely reach, a
  nickname agreeing, is one blocking nearly always selects).
* **m** (P(level | same person)): documented priors (``PRIOR_M``), refined by EM on the
  profiles (unlabelled) and by what people decided in the review queue (``labels``:
  a confirmed pair is the profile's match, a rejected one is not).
* **prior**: each profile is, with probability π, one of the N records (each equally
  likely before comparing), else nobody in the CRM. EM estimates π; the prior weight of one
  pair is log2(π / (N (1 − π))), so a score is the log-odds that this record, rather than
  nobody, is the profile's person.
* The EM's E-step gives record j of a profile the posterior
  ``(π/N) LR_j / ((1 − π) + (π/N) Σ_i LR_i)`` over its blocked candidates (records blocking
  does not select are taken to have LR ≈ 0), so namesakes share the mass.
* Term-frequency adjustments are kept as the rules state them (a per-pair offset here).
* **Thresholds as probabilities**: ``review`` is the log-odds of a match probability
  (0.2: -2 bits). ``link`` is the lowest match probability at which the links the trained
  rules would make on these profiles are, by the model's own posteriors, right at least
  ``link_precision`` of the time (``_link_threshold``); or a fixed ``link_probability``.
  The target precision of links is a property of the *set* of links: most links are near
  certain, so the last pair admitted may be far less likely than the target (measured on
  both generators: ~0.94, 4 bits, where a fixed 0.99 cost 3–7 points of link recall).

A level written with ``fixed: true`` (and every ``null`` level, which weighs 0) keeps its
weight; the others are written back as ``m`` and ``u``. Nothing here reads ground truth:
only the two sides' records and the decisions people made.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from enrich.matching.catalog import CATALOG, NULL_LEVEL
from enrich.matching.profile import Person, Profile
from enrich.matching.rules import Comparison, Level, RuleSet, Thresholds, log_odds
from enrich.matching.scorer import Matcher

__all__ = [
    "LINK_PRECISION",
    "PRIOR_M",
    "REVIEW_PROBABILITY",
    "LevelChange",
    "Training",
    "bits_of",
    "train",
]

# P(level | same person) before any data: how often a person's own profile reaches each
# level. Rough shares of what social profiles of B2B contacts show (most give their name
# as written in the CRM; fewer name the employer or city; few carry an email). They are
# pseudo-observations (``PRIOR_STRENGTH`` of them) that EM moves with the data.
PRIOR_M: dict[str, dict[str, float]] = {
    "identifier": {"exact": 0.10, "different": 0.05},
    "email": {"exact": 0.03, "different": 0.02},
    "person_name": {
        "exact": 0.55,
        "nickname": 0.10,
        "initial": 0.07,
        "fuzzy": 0.08,
        "first_name_last_initial": 0.03,
        "last_name_only": 0.02,
        "no_first_name": 0.01,
        "first_name_only": 0.02,
        "initials_only": 0.01,
        "other_family_name": 0.01,
        "different": 0.02,
    },
    "handle_name": {
        "full_name": 0.35,
        "initial_last": 0.20,
        "first_last_initial": 0.05,
        "last_name": 0.05,
        "first_name": 0.10,
        "different": 0.25,
    },
    "company": {
        "exact": 0.45,
        "acronym": 0.05,
        "fuzzy": 0.05,
        "different": 0.08,
        "handle": 0.02,
        "no_mention": 0.30,
    },
    "title": {"exact": 0.40, "different": 0.15, "no_mention": 0.40},
    "location": {"city": 0.55, "country": 0.10, "different": 0.05, "unknown": 0.15},
    "email_domain": {"exact": 0.10, "different": 0.05},
    "string": {"exact": 0.80, "close": 0.05, "fuzzy": 0.05, "different": 0.05},
}
assert all(set(v) <= set(CATALOG[k].levels) for k, v in PRIOR_M.items())
PRIOR_STRENGTH = 50.0  # pseudo-observations of matching pairs behind PRIOR_M
U_FLOOR = 0.5  # pseudo-count of a level random pairs never reached: u = 0.5 / pairs
# A level fewer pairs than this reached (random or blocked non-matches) keeps its weight:
# log2(m/u) of two near-zero estimates is noise.
MIN_PAIRS = 5
# The precision the model must expect of its links. Above the 0.99 wanted, because the model
# takes its comparisons as independent and so is overconfident: on seeds 1-2 of both bench
# generators its expected share of wrong links was 2-3x below the real one
# (bench/README.md, "Training").
LINK_PRECISION = 0.997
REVIEW_PROBABILITY = 0.2
# A pair the model gives this probability is linked whatever the set's expectation: a
# model right about its pairs near 0.99 (a CRM where every link rests on the same three
# agreements) then links as it did with a fixed 0.99.
MAX_LINK_PROBABILITY = 0.99
# Link thresholds tried below that, in bits: from even odds up, a quarter bit apart.
_LINK_GRID = tuple(x / 4 for x in range(0, 27))


# Rough shares of the time for ``progress``: comparing pairs is nearly all of it.
_RANDOM_SHARE, _BLOCKED_SHARE, _EM_SHARE = 0.5, 0.45, 0.05

bits_of = log_odds  # log-odds in bits of a probability: 0.99 -> 6.63


@dataclass(frozen=True, slots=True)
class LevelChange:
    """One level's weight before and after training, with the estimates behind it."""

    comparison: str
    level: str
    before: float
    after: float
    m: float | None  # None: fixed, kept as written
    u: float | None
    random_pairs: int  # random pairs that reached the level


@dataclass(frozen=True, slots=True)
class Training:
    """The trained rules and what changed."""

    rules: RuleSet
    base: RuleSet
    changes: tuple[LevelChange, ...]
    match_share: float  # π: the share of profiles EM reads as someone in the CRM
    people: int
    profiles: int
    random_pairs: int
    blocked_pairs: int
    labels: int
    iterations: int
    seconds: float
    # (precision the model expects of the links it would make on the profiles, how many)
    # at a link threshold training chose; None when it was given.
    expected_links: tuple[float, int] | None = None

    def report(self) -> str:
        """What training changed, one line per level, for a person to read before
        activating the new version."""
        th0, th1 = self.base.thresholds, self.rules.thresholds
        lines = [
            f"rules {self.base.version} -> {self.rules.version}: {self.people} CRM records, "
            f"{self.profiles} profiles, {self.blocked_pairs} blocked pairs, "
            f"{self.random_pairs} random pairs, {self.labels} review decisions; "
            f"EM {self.iterations} iterations, {self.seconds:.1f} s",
            f"share of profiles in the CRM (EM): {self.match_share:.3f}",
            f"prior_weight {self.base.prior_weight:+.2f} -> {self.rules.prior_weight:+.2f} bits",
            f"thresholds: link {th0.link:.2f} -> {th1.link:.2f}, review {th0.review:.2f} -> "
            f"{th1.review:.2f} bits",
        ]
        if self.expected_links is not None:
            precision, n = self.expected_links
            lines.append(
                f"link at probability {th1.link_probability}: the model expects {precision:.4f} "
                f"of the {n} links it would make on these profiles to be right"
            )
        for c in self.changes:
            how = (
                "fixed"
                if c.m is None
                else f"m {c.m:.4f}, u {c.u:.6f} ({c.random_pairs} random pairs)"
            )
            lines.append(f"  {c.comparison}.{c.level}: {c.before:+.2f} -> {c.after:+.2f}  {how}")
        return "\n".join(lines)


def _trainable(comp: Comparison) -> list[str]:
    """Levels of a comparison that training estimates (not null, not fixed, known prior)."""
    prior = PRIOR_M.get(comp.comparator, {})
    return [
        lv.label
        for lv in comp.levels
        if lv.label != NULL_LEVEL and not lv.fixed and lv.label in prior
    ]


def train(
    rules: RuleSet,
    people: Sequence[Person],
    profiles: Sequence[Profile],
    *,
    labels: Mapping[tuple[str, str], bool] | None = None,
    random_pairs: int = 60_000,
    max_profiles: int = 3_000,
    link_probability: float | None = None,
    link_precision: float = LINK_PRECISION,
    review_probability: float = REVIEW_PROBABILITY,
    iterations: int = 30,
    version: str | None = None,
    seed: int = 0,
    matcher: Matcher | None = None,
    progress: Callable[[str, float], object] | None = None,
) -> Training:
    """Estimate the weights of ``rules`` from ``people`` (the mirror) and ``profiles``.

    ``labels``: (profile key, person id) -> True for a pair a person confirmed, False for
    one rejected. ``matcher``: an index of ``people`` under ``rules`` already built.
    ``progress(phase, done)``, when given, is told what runs and the share of the work
    done (0 to 1), a few hundred times at most. Raises ValueError for probabilities out of
    order and for an empty side.
    """
    if not 0.0 < review_probability < (link_probability or 1.0) <= 1.0:
        raise ValueError("need 0 < review probability < link probability < 1")
    if not 0.5 < link_precision < 1.0:
        raise ValueError("need 0.5 < link precision < 1")
    t0 = time.perf_counter()
    rng = random.Random(seed)
    m = matcher if matcher is not None else Matcher(rules, people)
    n_people = len(m.people)
    comps = rules.comparisons
    labels = labels or {}
    if not n_people or not profiles:
        raise ValueError("training needs CRM records and profiles")

    chosen = list(profiles)
    if len(chosen) > max_profiles:
        chosen = rng.sample(chosen, max_profiles)
    labelled = {pk for pk, _ in labels}
    seen_keys = {p.key for p in chosen}
    chosen += [p for p in profiles if p.key in labelled and p.key not in seen_keys]

    # u: random pairs of those profiles; a few records per profile keep the per-profile memo
    # useful. (chosen index, record id, levels) per pair: see u_random below.
    per_profile = 20
    drawn: list[tuple[int, str, tuple[str, ...]]] = []
    while len(drawn) < random_pairs:
        i = rng.randrange(len(chosen))
        sample = [m.people[rng.randrange(n_people)] for _ in range(per_profile)]
        for (levels, _), person in zip(m.levels(chosen[i], sample), sample, strict=True):
            drawn.append((i, person.id, levels))
        if progress is not None and len(drawn) % 2000 < per_profile:
            progress("random pairs", _RANDOM_SHARE * len(drawn) / random_pairs)
    n_random = len(drawn)
    u_counts: list[dict[str, int]] = [{} for _ in comps]
    for _, _, levels in drawn:
        for k, label in enumerate(levels):
            u_counts[k][label] = u_counts[k].get(label, 0) + 1
    u_random = [{x: n / n_random for x, n in c.items()} for c in u_counts]

    # A level random pairs rarely reach (a nickname agreeing) is one blocking nearly always
    # selects, so the blocked pairs EM reads as different people count it too: u is the
    # larger of the two estimates (each a share of all profile x record pairs).
    u_blocked: list[dict[str, float]] = [{} for _ in comps]

    def u_of(k: int, label: str) -> float:
        return max(u_random[k].get(label, 0.0), u_blocked[k].get(label, 0.0), U_FLOOR / n_random)

    # The blocked candidates of (a sample of) the profiles: per pair the index of its
    # pattern of levels (few distinct ones: EM works on those), tf bits, label.
    patterns: dict[tuple[str, ...], int] = {}
    groups: list[list[tuple[int, float, bool | None]]] = []
    ids: list[dict[str, int]] = []  # per group: record id -> its pair
    n_labels = 0
    for done_profiles, prof in enumerate(chosen):
        if progress is not None and done_profiles % 50 == 0:
            progress("candidates", _RANDOM_SHARE + _BLOCKED_SHARE * done_profiles / len(chosen))
        cands = m.candidates(prof)
        ids.append({c.id: j for j, c in enumerate(cands)})
        pairs = []
        for (levels, tf), c in zip(m.levels(prof, cands), cands, strict=True):
            said = labels.get((prof.key, c.id))
            n_labels += said is not None
            pairs.append((patterns.setdefault(levels, len(patterns)), tf, said))
        groups.append(pairs)
    n_blocked = sum(map(len, groups))
    pattern_list = list(patterns)
    # A random pair is of the same person with probability ~pi/N: among 60,000 pairs and
    # 20,000 records that is ~1.6 matches, most agreeing on the full name, where different
    # people agree on it ~0.4 times (census names): the raw share would weigh a name by its
    # matches. Random pairs blocking selects count as different people by EM's posterior.
    outside: list[dict[str, int]] = [{} for _ in comps]
    inside: list[tuple[int, int]] = []
    for i, rid, levels in drawn:
        j = ids[i].get(rid)
        if j is not None:
            inside.append((i, j))
            continue
        for k, label in enumerate(levels):
            outside[k][label] = outside[k].get(label, 0) + 1

    # m over every level of the comparison (null and fixed ones included, so that m and u
    # are shares of the same whole); only the trainable ones are written back.
    trainable = [_trainable(c) for c in comps]
    prior_m = [
        {x: PRIOR_M[c.comparator][x] for x in names}
        for c, names in zip(comps, trainable, strict=True)
    ]
    m_est = [dict(p) for p in prior_m]
    fixed_w = [{lv.label: lv.weight for lv in c.levels} for c in comps]
    pi = 0.5
    done = 0
    for done in range(1, iterations + 1):  # noqa: B007 (the count is reported)
        if progress is not None:
            progress("EM", _RANDOM_SHARE + _BLOCKED_SHARE + _EM_SHARE * (done - 1) / iterations)
        w = [
            {x: math.log2(max(mk[x], 1e-12) / u_of(k, x)) for x in mk} for k, mk in enumerate(m_est)
        ]
        bits = [
            sum(w[k][x] if x in w[k] else fixed_w[k].get(x, 0.0) for k, x in enumerate(levels))
            for levels in pattern_list
        ]
        match_mass = [0.0] * len(pattern_list)
        other_mass = [0.0] * len(pattern_list)
        prior_odds = pi / (n_people * (1.0 - pi))
        posts: list[list[float]] = [[] for _ in groups]
        for gi, pairs in enumerate(groups):
            if not pairs:
                continue
            if any(said for _, _, said in pairs):
                post = [1.0 if said else 0.0 for _, _, said in pairs]
            else:
                lrs = [
                    0.0 if said is False else prior_odds * math.pow(2.0, min(bits[i] + tf, 200.0))
                    for i, tf, said in pairs
                ]
                denom = 1.0 + sum(lrs)
                post = [x / denom for x in lrs]
            posts[gi] = post
            for (i, _, _), r in zip(pairs, post, strict=True):
                match_mass[i] += r
                other_mass[i] += 1.0 - r
        total = sum(match_mass)
        acc: list[dict[str, float]] = [dict.fromkeys(mk, 0.0) for mk in m_est]
        other: list[dict[str, float]] = [dict.fromkeys(mk, 0.0) for mk in m_est]
        for levels, r, o in zip(pattern_list, match_mass, other_mass, strict=True):
            for k, label in enumerate(levels):
                if label in acc[k]:
                    acc[k][label] += r
                    other[k][label] += o
        new_m = [
            {
                x: (acc[k][x] + PRIOR_STRENGTH * prior_m[k][x]) / (total + PRIOR_STRENGTH)
                for x in prior_m[k]
            }
            for k in range(len(comps))
        ]
        delta = max(
            (
                abs(a - b)
                for mk, nk in zip(m_est, new_m, strict=True)
                for a, b in zip(mk.values(), nk.values(), strict=True)
            ),
            default=0.0,
        )
        m_est, pi = new_m, (total + 1.0) / (len(groups) + 2.0)
        u_blocked = [{x: n / (len(groups) * n_people) for x, n in o.items()} for o in other]
        nonmatch = [{x: float(n) for x, n in o.items()} for o in outside]
        for i, j in inside:
            for k, label in enumerate(pattern_list[groups[i][j][0]]):
                nonmatch[k][label] = nonmatch[k].get(label, 0.0) + 1.0 - posts[i][j]
        u_random = [{x: n / n_random for x, n in o.items()} for o in nonmatch]
        if delta < 1e-4 and done > 2:
            break

    changes: list[LevelChange] = []
    new_comps = []
    for k, comp in enumerate(comps):
        written: list[Level] = []
        for lv in comp.levels:
            pairs_seen = u_counts[k].get(lv.label, 0) + round(
                u_blocked[k].get(lv.label, 0.0) * len(groups) * n_people
            )
            if lv.label in m_est[k] and pairs_seen >= MIN_PAIRS:
                mk, uk = m_est[k][lv.label], u_of(k, lv.label)
                new = replace(lv, m=float(f"{mk:.4g}"), u=float(f"{uk:.4g}"), weight_bits=None)
                changes.append(
                    LevelChange(
                        comp.name,
                        lv.label,
                        lv.weight,
                        new.weight,
                        new.m,
                        new.u,
                        u_counts[k].get(lv.label, 0),
                    )
                )
                written.append(new)
            else:
                changes.append(
                    LevelChange(
                        comp.name,
                        lv.label,
                        lv.weight,
                        lv.weight,
                        None,
                        None,
                        u_counts[k].get(lv.label, 0),
                    )
                )
                written.append(lv)
        new_comps.append(replace(comp, levels=tuple(written)))
    pi = min(max(pi, 1e-6), 1 - 1e-6)
    prior_weight = round(math.log2(pi / (n_people * (1.0 - pi))), 3)
    review_bits = bits_of(review_probability)
    expected: tuple[float, int] | None = None
    if link_probability is None:
        tops = _tops(groups, pattern_list, new_comps, prior_weight)
        link_bits, expected = _link_threshold(
            tops, rules.thresholds.ambiguity_margin, link_precision, review_bits
        )
        link_probability = round(1.0 / (1.0 + math.pow(2.0, -link_bits)), 4)
    trained = replace(
        rules,
        version=version or f"{rules.version}-trained",
        prior_weight=prior_weight,
        thresholds=Thresholds.of_probabilities(
            link_probability, review_probability, rules.thresholds.ambiguity_margin
        ),
        comparisons=tuple(new_comps),
    )
    return Training(
        trained,
        rules,
        tuple(changes),
        pi,
        n_people,
        len(groups),
        n_random,
        n_blocked,
        n_labels,
        done,
        time.perf_counter() - t0,
        expected,
    )


Group = list[tuple[int, float, bool | None]]  # per blocked pair: pattern, tf bits, label


def _tops(
    groups: Sequence[Group],
    patterns: Sequence[tuple[str, ...]],
    comps: Sequence[Comparison],
    prior_weight: float,
) -> list[tuple[float, float, float]]:
    """Per profile with candidates, under the trained weights: (best score, runner-up
    score, the model's probability that the best one is the person). That probability is
    the mixture's posterior 2^s / (1 + Σ 2^s_i) over the profile's candidates (the 1 is
    "nobody in the CRM"); a review decision overrides it (1 for the confirmed pair)."""
    bits = [
        prior_weight + sum(comps[k].level(x).weight for k, x in enumerate(levels))
        for levels in patterns
    ]
    out = []
    for pairs in groups:
        if not pairs:
            continue
        scored = sorted(((bits[i] + tf, said) for i, tf, said in pairs), key=lambda x: -x[0])
        s1, said1 = scored[0][0], scored[0][1]
        s2 = scored[1][0] if len(scored) > 1 else -math.inf
        if any(said is not None for _, said in scored):
            post = 1.0 if said1 else 0.0
        else:
            top = max(s1, 0.0)
            post = math.pow(2.0, s1 - top) / (
                math.pow(2.0, -top) + sum(math.pow(2.0, s - top) for s, _ in scored)
            )
        out.append((s1, s2, post))
    return out


def _link_threshold(
    tops: Sequence[tuple[float, float, float]], margin: float, precision: float, floor: float
) -> tuple[float, tuple[float, int]]:
    """The link threshold (bits), with the precision the model expects of the links it
    gives on these profiles and their number: ``MAX_LINK_PROBABILITY``'s log-odds, or the
    lowest threshold of ``_LINK_GRID`` above ``floor`` from which up every threshold's
    links are expected right ``precision`` of the time."""
    ceiling = bits_of(MAX_LINK_PROBABILITY)
    chosen: tuple[float, tuple[float, int]] | None = None
    for t in (ceiling, *sorted((t for t in _LINK_GRID if floor < t < ceiling), reverse=True)):
        linked = [p for s1, s2, p in tops if s1 >= t and s1 - s2 >= margin]
        expected = sum(linked) / len(linked) if linked else 1.0
        if chosen is not None and expected < precision:
            break
        chosen = (t, (expected, len(linked)))
    assert chosen is not None
    return chosen
