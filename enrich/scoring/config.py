"""The scoring configuration RevOps edits: what each touchpoint is worth, and when to hand off.

Format (YAML; every section but ``version`` and ``points`` is optional)::

    version: 7                       # int, bump on every change; stamped on each score
    half_life_days: 14               # a touchpoint's points halve every 14 days
    points:                          # base points per touchpoint kind (negative allowed)
      follow: 5
      unfollow: -8
      like: 1
      comment: 6
    platform_multipliers: {linkedin: 1.5, x: 1.0}   # missing platform -> 1.0
    daily_caps: {like: 3, comment: 18}  # max points per kind per person per UTC day,
                                        # after multipliers; missing kind -> no cap
    replied_to_us_bonus: 3           # added to a touchpoint answering something we said
    negative_phrases:                # what the person wrote that lowers the score
      kinds: [dm, reply, comment]    # where to look
      phrases:
        - {text: not interested, points: -20}
    fit:                             # points from CRM fields; per group the first match counts
      - {name: c-level, field: title, group: seniority, pattern: '\\b(ceo|cto)\\b', points: 15}
      - {name: target, field: is_target_account, in: ["true"], points: 20, label: target account}
    handoff: {threshold: 50, hysteresis: 15}
    interests:
      half_life_days: 90
      weights: {text: 1.0, hashtag: 1.0, bio: 0.6, post: 0.25}
      min_strength: 0.2
    rollup: {top_k: 5, weight_decay: 0.5, breadth_bonus: 5, breadth_cap: 4, engaged_min_score: 5}

Loading validates everything and raises :class:`enrich.errors.ConfigError` with the line.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from enrich.errors import ConfigError
from enrich.scoring.textnorm import has_word, normalize
from enrich.scoring.touchpoint import Kind, Platform
from enrich.yamlfile import (
    LocatedDict,
    Reader,
    as_int,
    as_non_negative,
    as_number,
    as_positive,
    as_text,
    load_yaml,
    read_yaml,
)

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


@dataclass(frozen=True)
class ScoringConfig:
    """A validated, versioned scoring configuration (see the module docstring)."""

    version: int
    points: Mapping[Kind, float]
    half_life_days: float = 14.0
    platform_multipliers: Mapping[Platform, float] = field(
        default_factory=lambda: MappingProxyType({})
    )
    daily_caps: Mapping[Kind, float] = field(default_factory=lambda: MappingProxyType({}))
    replied_to_us_bonus: float = 0.0
    negative_phrases: tuple[NegativePhrase, ...] = ()
    negative_phrase_kinds: frozenset[Kind] = frozenset({Kind.DM, Kind.REPLY, Kind.COMMENT})
    fit: tuple[FitRule, ...] = ()
    handoff: HandoffConfig = HandoffConfig()
    interests: InterestConfig = InterestConfig()
    rollup: RollupConfig = RollupConfig()

    def __post_init__(self) -> None:
        # Frozen config: take read-only copies so a caller's dict cannot change it later.
        for name in ("points", "platform_multipliers", "daily_caps"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        if self.half_life_days <= 0:
            raise ConfigError("scoring: half_life_days must be > 0")
        if not 0 <= self.handoff.hysteresis < self.handoff.threshold:
            raise ConfigError("scoring: handoff.hysteresis must be >= 0 and < handoff.threshold")

    def points_for(self, kind: Kind) -> float:
        return self.points.get(kind, 0.0)

    def multiplier(self, platform: Platform) -> float:
        return self.platform_multipliers.get(platform, 1.0)

    @property
    def fingerprint(self) -> str:
        """Short hash of the whole config: two scores with equal fingerprints are comparable."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    # -- loading / dumping -------------------------------------------------------------

    @classmethod
    def from_yaml(cls, text: str, source: str = "scoring.yaml") -> ScoringConfig:
        return cls.from_dict(load_yaml(text, source), source)

    @classmethod
    def from_file(cls, path: str | Path) -> ScoringConfig:
        return cls.from_dict(read_yaml(path), str(path))

    @classmethod
    def default(cls) -> ScoringConfig:
        """The scoring config shipped with enrich (``default_scoring.yaml``)."""
        ref = resources.files("enrich.scoring").joinpath("default_scoring.yaml")
        return cls.from_yaml(ref.read_text(encoding="utf-8"), "default_scoring.yaml")

    @classmethod
    def from_dict(cls, doc: Any, source: str = "scoring") -> ScoringConfig:
        return _parse(Reader(source), doc)

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data; ``from_dict(to_dict())`` gives an equal config."""
        return {
            "version": self.version,
            "half_life_days": self.half_life_days,
            "points": {k.value: v for k, v in self.points.items()},
            "platform_multipliers": {k.value: v for k, v in self.platform_multipliers.items()},
            "daily_caps": {k.value: v for k, v in self.daily_caps.items()},
            "replied_to_us_bonus": self.replied_to_us_bonus,
            "negative_phrases": {
                "kinds": sorted(k.value for k in self.negative_phrase_kinds),
                "phrases": [{"text": p.text, "points": p.points} for p in self.negative_phrases],
            },
            "fit": [rule.to_dict() for rule in self.fit],
            "handoff": {
                "threshold": self.handoff.threshold,
                "hysteresis": self.handoff.hysteresis,
            },
            "interests": {
                "half_life_days": self.interests.half_life_days,
                "weights": dict(self.interests.weights),
                "min_strength": self.interests.min_strength,
            },
            "rollup": {
                "top_k": self.rollup.top_k,
                "weight_decay": self.rollup.weight_decay,
                "breadth_bonus": self.rollup.breadth_bonus,
                "breadth_cap": self.rollup.breadth_cap,
                "engaged_min_score": self.rollup.engaged_min_score,
            },
        }


# -- validation ------------------------------------------------------------------------

_TOP_KEYS = {
    "version",
    "half_life_days",
    "points",
    "platform_multipliers",
    "daily_caps",
    "replied_to_us_bonus",
    "negative_phrases",
    "fit",
    "handoff",
    "interests",
    "rollup",
}
_KINDS = ", ".join(k.value for k in Kind)
_PLATFORMS = ", ".join(p.value for p in Platform)


def _parse(r: Reader, doc: Any) -> ScoringConfig:
    root = r.mapping(doc, "(document)", 1)
    r.only_keys(root, "", _TOP_KEYS)
    if "version" not in root:
        r.fail(root.line, "version", "is required (an integer you bump on every change)")
    version = r.field(root, "version", "", as_int, "an integer", required=True)
    if "points" not in root:
        r.fail(root.line, "points", f"is required: points per touchpoint kind ({_KINDS})")
    points = _kind_map(r, root, "points", as_number, "a number")
    caps = (
        _kind_map(r, root, "daily_caps", as_positive, "a number > 0")
        if "daily_caps" in root
        else {}
    )
    multipliers: dict[Platform, float] = {}
    if "platform_multipliers" in root:
        node = r.mapping(
            root["platform_multipliers"],
            "platform_multipliers",
            r.line_of(root, "platform_multipliers"),
        )
        for key in node:
            if key not in Platform._value2member_map_:
                r.fail(
                    node.key_lines.get(key),
                    f"platform_multipliers.{key}",
                    f"unknown platform; use one of {_PLATFORMS}",
                )
            multipliers[Platform(key)] = r.field(
                node, key, "platform_multipliers", as_non_negative, "a number >= 0", required=True
            )
    half_life = r.field(
        root, "half_life_days", "", as_positive, "a number of days > 0", default=14.0
    )
    bonus = r.field(root, "replied_to_us_bonus", "", as_number, "a number", default=0.0)
    phrases, phrase_kinds = _negative(r, root)
    return _build(
        r,
        root,
        version=version,
        points=points,
        half_life_days=half_life,
        platform_multipliers=multipliers,
        daily_caps=caps,
        replied_to_us_bonus=bonus,
        negative_phrases=phrases,
        negative_phrase_kinds=phrase_kinds,
        fit=_fit(r, root),
        handoff=_handoff(r, root),
        interests=_interests(r, root),
        rollup=_rollup(r, root),
    )


def _build(r: Reader, root: LocatedDict, **kwargs: Any) -> ScoringConfig:
    try:
        return ScoringConfig(**kwargs)
    except ConfigError as exc:
        r.fail(root.line, "(document)", str(exc).removeprefix("scoring: "))


def _kind_map(
    r: Reader, root: LocatedDict, key: str, check: Any, expected: str
) -> dict[Kind, float]:
    node = r.mapping(root[key], key, r.line_of(root, key))
    out: dict[Kind, float] = {}
    for name in node:
        if name not in Kind._value2member_map_:
            r.fail(
                node.key_lines.get(name),
                f"{key}.{name}",
                f"unknown touchpoint kind; use one of {_KINDS}",
            )
        out[Kind(name)] = r.field(node, name, key, check, expected, required=True)
    return out


def _negative(r: Reader, root: LocatedDict) -> tuple[tuple[NegativePhrase, ...], frozenset[Kind]]:
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
                    f"unknown kind {value!r}; use one of {_KINDS}",
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


def _fit(r: Reader, root: LocatedDict) -> tuple[FitRule, ...]:
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


def _handoff(r: Reader, root: LocatedDict) -> HandoffConfig:
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


def _interests(r: Reader, root: LocatedDict) -> InterestConfig:
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


def _rollup(r: Reader, root: LocatedDict) -> RollupConfig:
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
