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
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from enrich.errors import ConfigError
from enrich.scoring.sections import (
    KIND_NAMES,
    FitRule,
    HandoffConfig,
    InterestConfig,
    NegativePhrase,
    RollupConfig,
    fit_section,
    handoff_section,
    interests_section,
    negative_section,
    rollup_section,
)
from enrich.scoring.touchpoint import Kind, Platform
from enrich.yamlfile import (
    LocatedDict,
    Reader,
    as_int,
    as_non_negative,
    as_number,
    as_positive,
    load_yaml,
    read_yaml,
)


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
_PLATFORMS = ", ".join(p.value for p in Platform)


def _parse(r: Reader, doc: Any) -> ScoringConfig:
    root = r.mapping(doc, "(document)", 1)
    r.only_keys(root, "", _TOP_KEYS)
    if "version" not in root:
        r.fail(root.line, "version", "is required (an integer you bump on every change)")
    version = r.field(root, "version", "", as_int, "an integer", required=True)
    if "points" not in root:
        r.fail(root.line, "points", f"is required: points per touchpoint kind ({KIND_NAMES})")
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
    phrases, phrase_kinds = negative_section(r, root)
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
        fit=fit_section(r, root),
        handoff=handoff_section(r, root),
        interests=interests_section(r, root),
        rollup=rollup_section(r, root),
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
                f"unknown touchpoint kind; use one of {KIND_NAMES}",
            )
        out[Kind(name)] = r.field(node, name, key, check, expected, required=True)
    return out
