"""The optional sections of the scoring file (negative phrases, fit, handoff, interests,
rollup): each one's settings object and the reader that builds it from the parsed YAML with
errors naming the line. `config.py` puts them together into a `ScoringConfig`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from enrich.scoring.textnorm import has_word, normalize
from enrich.scoring.touchpoint import Kind
from enrich.yamlfile import (
    LocatedDict,
    Reader,
    as_int,
    as_non_negative,
    as_number,
    as_positive,
    as_text,
)

KIND_NAMES = ", ".join(k.value for k in Kind)  # for messages: what a kind may be

EVIDENCE_SOURCES = ("text", "hashtag", "bio", "post")


@dataclass(frozen=True, slots=True)
class NegativePhrase:
    """A phrase that, written by the person, turns the touchpoint into a negative signal."""

    text: str
    points: float


@dataclass(frozen=True, slots=True)
class FitRule:
    """Points for a CRM field: ``pattern`` (regex search, case-insensitive) or ``values``."""

    name: str
    field: str
    points: float
    group: str
    label: str
    pattern: str | None = None
    values: frozenset[str] = frozenset()

    def matches(self, value: str | None) -> bool:
        if not value:
            return False
        if self.pattern is not None:
            return re.search(self.pattern, value, re.IGNORECASE) is not None
        return value.strip().casefold() in self.values

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "field": self.field, "points": self.points}
        out["group"], out["label"] = self.group, self.label
        if self.pattern is not None:
            out["pattern"] = self.pattern
        else:
            out["in"] = sorted(self.values)
        return out


@dataclass(frozen=True, slots=True)
class HandoffConfig:
    """Hand off at ``threshold``; re-arm only once the score fell below threshold - hysteresis."""

    threshold: float = 50.0
    hysteresis: float = 15.0


@dataclass(frozen=True, slots=True)
class InterestConfig:
    """How strongly each kind of evidence counts towards an interest, and how fast it fades."""

    half_life_days: float = 90.0
    weights: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType(
            {"text": 1.0, "hashtag": 1.0, "bio": 0.6, "post": 0.25}
        )
    )
    min_strength: float = 0.2


@dataclass(frozen=True, slots=True)
class RollupConfig:
    """Account score = sum over the top_k people of score * weight_decay**rank (rank 0..k-1)
    + breadth_bonus * min(engaged people - 1, breadth_cap); engaged = score >= engaged_min_score.
    """

    top_k: int = 5
    weight_decay: float = 0.5
    breadth_bonus: float = 5.0
    breadth_cap: int = 4
    engaged_min_score: float = 5.0


def negative_section(
    r: Reader, root: LocatedDict
) -> tuple[tuple[NegativePhrase, ...], frozenset[Kind]]:
    default_kinds = frozenset({Kind.DM, Kind.REPLY, Kind.COMMENT})
    if "negative_phrases" not in root:
        return (), default_kinds
    node = r.mapping(
        root["negative_phrases"], "negative_phrases", r.line_of(root, "negative_phrases")
    )
    r.only_keys(node, "negative_phrases", {"kinds", "phrases"})
    kinds = default_kinds
    if "kinds" in node:
        kinds_list = []
        for i, (value, line) in enumerate(
            r.sequence(node["kinds"], "negative_phrases.kinds", r.line_of(node, "kinds"))
        ):
            if value not in Kind._value2member_map_:
                r.fail(
                    line,
                    f"negative_phrases.kinds[{i}]",
                    f"unknown kind {value!r}; use one of {KIND_NAMES}",
                )
            kinds_list.append(Kind(value))
        kinds = frozenset(kinds_list)
    phrases: list[NegativePhrase] = []
    items = r.sequence(
        node.get("phrases") or [], "negative_phrases.phrases", r.line_of(node, "phrases")
    )
    for i, (item, line) in enumerate(items):
        path = f"negative_phrases.phrases[{i}]"
        entry = r.mapping(item, path, line)
        r.only_keys(entry, path, {"text", "points"})
        text = r.field(entry, "text", path, as_text, "non-empty text", required=True)
        if not has_word(normalize(text)):
            r.fail(line, f"{path}.text", "has no letters or digits; remove it")
        pts = r.field(entry, "points", path, as_number, "a negative number", required=True)
        if pts >= 0:
            r.fail(r.line_of(entry, "points"), f"{path}.points", f"must be negative, got {pts:g}")
        phrases.append(NegativePhrase(text, pts))
    return tuple(phrases), kinds


def fit_section(r: Reader, root: LocatedDict) -> tuple[FitRule, ...]:
    if "fit" not in root or root["fit"] is None:
        return ()
    rules: list[FitRule] = []
    names: set[str] = set()
    for i, (item, line) in enumerate(r.sequence(root["fit"], "fit", r.line_of(root, "fit"))):
        path = f"fit[{i}]"
        node = r.mapping(item, path, line)
        r.only_keys(node, path, {"name", "field", "group", "label", "pattern", "in", "points"})
        name = r.field(node, "name", path, as_text, "non-empty text", required=True)
        if name in names:
            r.fail(line, f"{path}.name", f"duplicate fit rule name {name!r}")
        names.add(name)
        fld = r.field(node, "field", path, as_text, "a CRM field name", required=True)
        pts = r.field(node, "points", path, as_number, "a number", required=True)
        group = r.field(node, "group", path, as_text, "non-empty text", default=name)
        label = r.field(node, "label", path, as_text, "non-empty text", default=name)
        if ("pattern" in node) == ("in" in node):
            r.fail(
                line, path, "needs exactly one of `pattern` (a regex) or `in` (a list of values)"
            )
        if "pattern" in node:
            pattern = r.field(node, "pattern", path, as_text, "a regular expression", required=True)
            try:
                re.compile(pattern)
            except re.error as exc:
                r.fail(r.line_of(node, "pattern"), f"{path}.pattern", f"invalid regex: {exc}")
            rules.append(FitRule(name, fld, pts, group, label, pattern=pattern))
        else:
            values = r.sequence(node["in"], f"{path}.in", r.line_of(node, "in"))
            folded = frozenset(str(v).strip().casefold() for v, _ in values)
            if not folded:
                r.fail(r.line_of(node, "in"), f"{path}.in", "is empty; list at least one value")
            rules.append(FitRule(name, fld, pts, group, label, values=folded))
    return tuple(rules)


def handoff_section(r: Reader, root: LocatedDict) -> HandoffConfig:
    if "handoff" not in root:
        return HandoffConfig()
    node = r.mapping(root["handoff"], "handoff", r.line_of(root, "handoff"))
    r.only_keys(node, "handoff", {"threshold", "hysteresis"})
    threshold = r.field(node, "threshold", "handoff", as_positive, "a number > 0", default=50.0)
    band = r.field(node, "hysteresis", "handoff", as_non_negative, "a number >= 0", default=15.0)
    if band >= threshold:
        r.fail(
            r.line_of(node, "hysteresis"),
            "handoff.hysteresis",
            f"must be below the threshold ({threshold:g})",
        )
    return HandoffConfig(threshold, band)


def interests_section(r: Reader, root: LocatedDict) -> InterestConfig:
    if "interests" not in root:
        return InterestConfig()
    node = r.mapping(root["interests"], "interests", r.line_of(root, "interests"))
    r.only_keys(node, "interests", {"half_life_days", "weights", "min_strength"})
    base = InterestConfig()
    half_life = r.field(
        node,
        "half_life_days",
        "interests",
        as_positive,
        "a number of days > 0",
        default=base.half_life_days,
    )
    min_strength = r.field(
        node,
        "min_strength",
        "interests",
        as_non_negative,
        "a number >= 0",
        default=base.min_strength,
    )
    weights = dict(base.weights)
    if "weights" in node:
        wnode = r.mapping(node["weights"], "interests.weights", r.line_of(node, "weights"))
        for key in wnode:
            if key not in EVIDENCE_SOURCES:
                r.fail(
                    wnode.key_lines.get(key),
                    f"interests.weights.{key}",
                    f"unknown evidence source; use one of {', '.join(EVIDENCE_SOURCES)}",
                )
            weights[key] = r.field(
                wnode, key, "interests.weights", as_non_negative, "a number >= 0", required=True
            )
    return InterestConfig(half_life, MappingProxyType(weights), min_strength)


def rollup_section(r: Reader, root: LocatedDict) -> RollupConfig:
    if "rollup" not in root:
        return RollupConfig()
    node = r.mapping(root["rollup"], "rollup", r.line_of(root, "rollup"))
    r.only_keys(
        node,
        "rollup",
        {"top_k", "weight_decay", "breadth_bonus", "breadth_cap", "engaged_min_score"},
    )
    base = RollupConfig()

    def positive_int(value: Any) -> int | None:
        number = as_int(value)
        return number if number is not None and number > 0 else None

    def non_negative_int(value: Any) -> int | None:
        number = as_int(value)
        return number if number is not None and number >= 0 else None

    def fraction(value: Any) -> float | None:
        number = as_number(value)
        return number if number is not None and 0 < number <= 1 else None

    return RollupConfig(
        top_k=r.field(node, "top_k", "rollup", positive_int, "an integer > 0", default=base.top_k),
        weight_decay=r.field(
            node,
            "weight_decay",
            "rollup",
            fraction,
            "a number in (0, 1]",
            default=base.weight_decay,
        ),
        breadth_bonus=r.field(
            node,
            "breadth_bonus",
            "rollup",
            as_non_negative,
            "a number >= 0",
            default=base.breadth_bonus,
        ),
        breadth_cap=r.field(
            node,
            "breadth_cap",
            "rollup",
            non_negative_int,
            "an integer >= 0",
            default=base.breadth_cap,
        ),
        engaged_min_score=r.field(
            node,
            "engaged_min_score",
            "rollup",
            as_non_negative,
            "a number >= 0",
            default=base.engaged_min_score,
        ),
    )
