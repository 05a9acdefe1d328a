"""What reviewers say about the match scores: for the pairs people decided, how often they
confirmed what the matcher scored at each level, so RevOps can place `thresholds.link` and
`thresholds.review` on evidence.

The confirm rate is the share confirmed among the pairs *people decided*. That is a biased
sample: only what reached review (or an auto link someone undid) was ever decided, so it is
not the precision of the matcher and not a guarantee of one. Pairs a reviewer linked by hand
(a relink to a record the matcher never proposed) carry no matcher score and are left out.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from enrich.errors import InputError
from enrich.models import IdentityLink, LinkStatus, RuleSet
from enrich.services import rulesets

ALL = "all"
MAX_BINS = 40  # bins between the thresholds; wider than 1 bit only past this many
Z95 = 1.959963984540054  # two-sided 95 % normal quantile, for the Wilson interval
CAVEAT = (
    "The confirm rate is the share confirmed among the pairs people decided: only what "
    "reached review (or an auto link someone undid) gets decided, so it is a biased "
    "sample, not the matcher's precision and not a guarantee of it."
)


@dataclass(frozen=True)
class Scope:
    """Which links the report reads, and the thresholds it is drawn against."""

    rules_version: str | None  # None: every version
    stored_version: str | None
    active: bool
    link: float
    review: float


def wilson(confirmed: int, decided: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (sound at small n and at 0 % or 100 %)."""
    if decided == 0:
        return None
    p, n = confirmed / decided, decided
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def _counts(confirmed: int, rejected: int) -> dict[str, Any]:
    decided = confirmed + rejected
    interval = wilson(confirmed, decided)
    return {
        "decided": decided,
        "confirmed": confirmed,
        "rejected": rejected,
        "confirm_rate": round(confirmed / decided, 3) if decided else None,
        "ci95": [round(interval[0], 3), round(interval[1], 3)] if interval else None,
    }


def _check(version: str) -> None:
    if not version.strip() or len(version) > 64 or not version.isprintable():
        raise InputError(
            'version must be a stored version number (e.g. "3"), "default", '
            'a rules version name (the `version:` line), or "all"'
        )


def scope(engine: Engine, version: str | None = None) -> Scope:
    """The active match rules (version None), every version ("all", against the active
    thresholds), or one version: a stored number as in the version list, "default", or the
    rules' own `version:` name, which is what every link records."""
    if version is not None:
        _check(version)
    # Through `rulesets`, not `enrich.linking.active_rules`: it also gives the stored version
    # number the console shows, and a report can afford to parse a few KB of YAML afresh.
    current = rulesets.current(engine, "match")
    active = rulesets.validate("match", current["body"])
    if version is None or version == ALL:
        return Scope(
            str(active["rules_version"]) if version is None else None,
            current["version"] if version is None else None,
            True,
            float(active["thresholds"]["link"]),
            float(active["thresholds"]["review"]),
        )
    with Session(engine) as session:
        rows = list(
            session.exec(
                select(RuleSet.version, RuleSet.body)
                .where(RuleSet.kind == "match")
                .order_by(col(RuleSet.id).desc())
            )
        )
    bodies = [("default", rulesets.KINDS["match"].default_text()), *rows]
    named = [(number, body) for number, body in bodies if number == version]
    for number, body in named or bodies:
        try:
            summary = rulesets.validate("match", body)
        except rulesets.RulesInvalid:
            if named:
                raise
            continue  # a stored body an older loader took: it names no version now
        if named or summary["rules_version"] == version:
            thresholds = summary["thresholds"]
            return Scope(
                str(summary["rules_version"]),
                number,
                summary["rules_version"] == active["rules_version"],
                float(thresholds["link"]),
                float(thresholds["review"]),
            )
    raise rulesets.VersionNotFound(
        f"no match rules version {version!r}; use a number from the "
        'version list, a rules version name, or "all"'
    )


def _scored_by_matcher(explanation: Any) -> bool:
    """A link a reviewer created by hand explains itself as 'reviewer chosen' only."""
    return isinstance(explanation, list) and any(
        isinstance(e, dict) and e.get("comparison") != "reviewer" for e in explanation
    )


def _edges(review: float, link: float) -> list[float]:
    """Bin edges from review to link: every whole multiple of the bin width between them."""
    width = max(1, math.ceil((link - review) / MAX_BINS))
    first = math.floor(review / width) + 1
    inner = [k * width for k in range(first, math.ceil(link / width))]
    return [review, *(float(e) for e in inner if review < e < link), link]


def _bins(decided: list[tuple[float, bool]], edges: list[float]) -> list[dict[str, Any]]:
    bounds: list[tuple[float | None, float | None]] = [
        (None, edges[0]),
        *zip(edges, edges[1:], strict=False),
        (edges[-1], None),
    ]
    tally = [[0, 0] for _ in bounds]  # confirmed, rejected
    for score, confirmed in decided:
        tally[bisect_right(edges, score)][0 if confirmed else 1] += 1
    rows = []
    for (low, high), (yes, no) in zip(bounds, tally, strict=True):
        label = (
            f"< {high:g}" if low is None else f"≥ {low:g}" if high is None else f"{low:g}–{high:g}"
        )
        rows.append({"label": label, "from": low, "to": high, **_counts(yes, no)})
    return rows


def report(engine: Engine, version: str | None = None) -> dict[str, Any]:
    """Decided pairs by score bin, and what each candidate link threshold would mean."""
    where = scope(engine, version)
    by_version = (
        [] if where.rules_version is None else [IdentityLink.rule_version == where.rules_version]
    )
    with Session(engine) as session:
        rows = session.exec(
            select(IdentityLink.score, IdentityLink.status, IdentityLink.explanation).where(
                col(IdentityLink.status).in_(LinkStatus.HUMAN),
                IdentityLink.decided_by != "matcher",
                *by_version,
            )
        )
        decided = sorted(
            (float(score), status == LinkStatus.CONFIRMED)
            for score, status, explanation in rows
            if _scored_by_matcher(explanation)
        )
        pending = sorted(
            float(s)
            for s in session.exec(
                select(IdentityLink.score).where(
                    IdentityLink.status == LinkStatus.PENDING, *by_version
                )
            )
        )
    edges = _edges(where.review, where.link)
    scores = [score for score, _ in decided]
    what_if = []
    for t in edges:
        above = decided[bisect_left(scores, t) :]
        yes = sum(confirmed for _, confirmed in above)
        what_if.append(
            {
                "link_threshold": t,
                "current": t == where.link,
                **_counts(yes, len(above) - yes),
                "pending_would_link": len(pending) - bisect_left(pending, t),
            }
        )
    confirmed = sum(c for _, c in decided)
    return {
        "rules_version": where.rules_version if version != ALL else ALL,
        "stored_version": where.stored_version,
        "active": where.active,
        "thresholds": {"link": where.link, "review": where.review},
        "bin_bits": max(1, math.ceil((where.link - where.review) / MAX_BINS)),
        **_counts(confirmed, len(decided) - confirmed),
        "pending": len(pending),
        "bins": _bins(decided, edges),
        "what_if": what_if,
        "caveat": CAVEAT,
    }
