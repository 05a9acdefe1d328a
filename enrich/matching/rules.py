"""Match rules as small frozen dataclasses that load from and dump to YAML.

A ``RuleSet`` says which fields go to which comparator, what each comparison level is
worth (Fellegi–Sunter: ``m``/``u`` probabilities or a log2 Bayes factor ``weight``, as
Splink does), how candidates are blocked, how CSV columns map onto fields, and the two
thresholds on the total match weight (``link`` above, ``review`` between, nothing below).

Every object validates itself when it is built, so a bad rule fails at load time with
a message naming the exact place, never later in the scorer. Authoring rules needs only
``catalog`` (what comparators exist); nothing here computes a similarity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from enrich.errors import ConfigError
from enrich.matching.comparison import (
    Comparison,
    Level,
    as_fields,
    as_mapping,
    as_number,
    check_keys,
)
from enrich.matching.duplicates import Duplicates
from enrich.matching.profile import PERSON_FIELDS, PROFILE_FIELDS, is_field
from enrich.yamlfile import load_yaml

__all__ = [
    "BLOCKING_KEYS",
    "EXACT_KEY",
    "EXACT_KEY_JOIN",
    "Blocking",
    "Comparison",
    "Level",
    "RuleSet",
    "Source",
    "Thresholds",
    "default_rules",
    "dump_rules",
    "log_odds",
    "load_rules",
    "parse_rules",
]

# "exact:extra.postcode": block records with the same (folded) value of one field;
# "exact:extra.street_number+extra.address_1": the same values of all those fields.
EXACT_KEY = "exact:"
EXACT_KEY_JOIN = "+"
_EXACT_FIELDS = frozenset({"email"})  # besides extra.<column>: fields both sides have
# Blocking key families the index knows how to build (see ``blocking``).
BLOCKING_KEYS: tuple[str, ...] = (
    "identifier",
    "email",
    "name",
    "initial",
    "handle",
    "company",
    "domain",
    "place",
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Decision thresholds on the total match weight (bits).

    ``link`` and ``review`` may be stated as match probabilities instead
    (``link_probability: 0.99``): the bits are then their log-odds, log2(p / (1 - p)), and
    the rules dump back the probabilities as written.
    """

    link: float
    review: float
    ambiguity_margin: float = 0.0
    link_probability: float | None = None
    review_probability: float | None = None

    def __post_init__(self) -> None:
        for name in ("link", "review", "ambiguity_margin"):
            as_number(getattr(self, name), f"thresholds.{name}")
        for name in ("link_probability", "review_probability"):
            p = getattr(self, name)
            if p is not None and not 0.0 < as_number(p, f"thresholds.{name}") < 1.0:
                raise ConfigError(f"thresholds.{name} must be in (0, 1), got {p!r}")
        if self.review >= self.link:
            raise ConfigError(
                f"thresholds: review ({self.review}) must be below link ({self.link})"
            )
        if self.ambiguity_margin < 0:
            raise ConfigError(
                f"thresholds.ambiguity_margin must be >= 0, got {self.ambiguity_margin}"
            )

    @classmethod
    def of_probabilities(
        cls, link: float, review: float, ambiguity_margin: float = 0.0
    ) -> Thresholds:
        """Thresholds stated as match probabilities (each in (0, 1))."""
        for name, p in (("link_probability", link), ("review_probability", review)):
            if not 0.0 < as_number(p, f"thresholds.{name}") < 1.0:
                raise ConfigError(f"thresholds.{name} must be in (0, 1), got {p!r}")
        return cls(log_odds(link), log_odds(review), ambiguity_margin, link, review)

    def to_dict(self) -> dict[str, float]:
        d: dict[str, float] = {}
        for name in ("link", "review"):
            p = getattr(self, f"{name}_probability")
            if p is None:
                d[name] = getattr(self, name)
            else:
                d[f"{name}_probability"] = p
        d["ambiguity_margin"] = self.ambiguity_margin
        return d

    @classmethod
    def from_dict(cls, data: object) -> Thresholds:
        th = as_mapping(data, "thresholds")
        check_keys(
            th,
            "thresholds",
            {"link", "review", "ambiguity_margin", "link_probability", "review_probability"},
            set(),
        )
        values: dict[str, float] = {}
        probabilities: dict[str, float | None] = {}
        for name in ("link", "review"):
            given = [k for k in (name, f"{name}_probability") if k in th]
            if len(given) != 1:
                raise ConfigError(
                    f"thresholds: give {name} (bits) or {name}_probability, "
                    + ("not both" if given else "one of them is required")
                )
            key = given[0]
            v = as_number(th[key], f"thresholds.{key}")
            if key == name:
                values[name], probabilities[name] = v, None
            else:
                if not 0.0 < v < 1.0:
                    raise ConfigError(f"thresholds.{key} must be in (0, 1), got {v!r}")
                values[name], probabilities[name] = log_odds(v), v
        return cls(
            values["link"],
            values["review"],
            as_number(th.get("ambiguity_margin", 0.0), "thresholds.ambiguity_margin"),
            probabilities["link"],
            probabilities["review"],
        )


def log_odds(probability: float) -> float:
    """Bits of log-odds of a probability: 0.99 -> 6.63 (how scores map to probabilities)."""
    return math.log2(probability / (1.0 - probability))


@dataclass(frozen=True, slots=True)
class Blocking:
    """Which key families select candidates, and the caps that keep lookups small."""

    keys: tuple[str, ...]
    max_postings: int = 1000
    max_candidates: int = 50

    def __post_init__(self) -> None:
        if not self.keys:
            raise ConfigError("blocking.keys: at least one key is needed")
        for k in self.keys:
            if k.startswith(EXACT_KEY):
                for field_name in k[len(EXACT_KEY) :].split(EXACT_KEY_JOIN):
                    if not is_field(field_name, _EXACT_FIELDS):
                        raise ConfigError(
                            f"blocking.keys: {k!r} must name a field both sides have: email or "
                            f"extra.<column>, or several joined by {EXACT_KEY_JOIN!r}"
                        )
            elif k not in BLOCKING_KEYS:
                raise ConfigError(
                    f"blocking.keys: unknown key {k!r}; known: {', '.join(BLOCKING_KEYS)}, "
                    "or exact:<field> (records with the same value of that field), or "
                    "exact:<field>+<field> (the same values of all of them)"
                )
        for name in ("max_postings", "max_candidates"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError(f"blocking.{name} must be a positive integer, got {v!r}")


@dataclass(frozen=True, slots=True)
class Source:
    """How one CSV maps onto record fields: the id column and field -> column(s)."""

    side: str
    id: str
    columns: tuple[tuple[str, tuple[str, ...]], ...]

    def __post_init__(self) -> None:
        known = PROFILE_FIELDS if self.side == "left" else PERSON_FIELDS
        if not self.id:
            raise ConfigError(f"{self.side}.id: the id column must be named")
        for fld, cols in self.columns:
            if not is_field(fld, known):
                raise ConfigError(
                    f"{self.side}.columns: unknown field {fld!r}; "
                    f"known: {', '.join(sorted(known))}, or extra.<column>"
                )
            if not cols:
                raise ConfigError(f"{self.side}.columns.{fld}: no column given")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "columns": {f: (c[0] if len(c) == 1 else list(c)) for f, c in self.columns},
        }

    @classmethod
    def from_dict(cls, side: str, data: object) -> Source:
        d = as_mapping(data, side)
        check_keys(d, side, {"id", "columns"}, {"id", "columns"})
        cols = as_mapping(d["columns"], f"{side}.columns")
        if not isinstance(d["id"], str):
            raise ConfigError(f"{side}.id: expected a column name, got {d['id']!r}")
        return cls(
            side,
            d["id"],
            tuple((str(f), as_fields(c, f"{side}.columns.{f}")) for f, c in cols.items()),
        )


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A versioned, complete match configuration."""

    version: str
    prior_weight: float
    thresholds: Thresholds
    blocking: Blocking
    comparisons: tuple[Comparison, ...]
    left: Source = field(default_factory=lambda: Source("left", "key", ()))
    right: Source = field(default_factory=lambda: Source("right", "id", ()))
    duplicates: Duplicates = field(default_factory=Duplicates)

    def __post_init__(self) -> None:
        if not isinstance(self.version, str) or not self.version:
            raise ConfigError("version: a non-empty version string is required")
        as_number(self.prior_weight, "prior_weight")
        if not self.comparisons:
            raise ConfigError("comparisons: at least one comparison is needed")
        names = [c.name for c in self.comparisons]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"comparisons: name {dup[0]!r} is used twice")

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "prior_weight": self.prior_weight,
            "thresholds": self.thresholds.to_dict(),
            "blocking": {
                "keys": list(self.blocking.keys),
                "max_postings": self.blocking.max_postings,
                "max_candidates": self.blocking.max_candidates,
            },
            "left": self.left.to_dict(),
            "right": self.right.to_dict(),
            "comparisons": [c.to_dict() for c in self.comparisons],
            # Written only when it says something: rules that never named it dump as before.
            **(
                {"duplicates": self.duplicates.to_dict()} if self.duplicates != Duplicates() else {}
            ),
        }

    @classmethod
    def from_dict(cls, data: object) -> RuleSet:
        d = as_mapping(data, "rules")
        check_keys(
            d,
            "rules",
            {
                "version",
                "prior_weight",
                "thresholds",
                "blocking",
                "left",
                "right",
                "comparisons",
                "duplicates",
            },
            {"version", "thresholds", "blocking", "comparisons"},
        )
        bl = as_mapping(d["blocking"], "blocking")
        check_keys(bl, "blocking", {"keys", "max_postings", "max_candidates"}, {"keys"})
        comps = d["comparisons"]
        if not isinstance(comps, list):
            raise ConfigError("comparisons: expected a list")
        version = d["version"]
        return cls(
            version=str(version) if isinstance(version, int | float) else version,
            prior_weight=as_number(d.get("prior_weight", 0.0), "prior_weight"),
            thresholds=Thresholds.from_dict(d["thresholds"]),
            blocking=Blocking(
                keys=tuple(as_fields(bl["keys"], "blocking.keys")),
                max_postings=bl.get("max_postings", 1000),
                max_candidates=bl.get("max_candidates", 50),
            ),
            comparisons=tuple(
                Comparison.from_dict(c, f"comparisons[{i}]") for i, c in enumerate(comps)
            ),
            left=Source.from_dict("left", d["left"]) if "left" in d else Source("left", "key", ()),
            right=(
                Source.from_dict("right", d["right"]) if "right" in d else Source("right", "id", ())
            ),
            duplicates=(
                Duplicates.from_dict(d["duplicates"]) if "duplicates" in d else Duplicates()
            ),
        )


def parse_rules(text: str, source: str = "<rules>") -> RuleSet:
    """Build a RuleSet from YAML text; every error is a ConfigError naming ``source``."""
    data = load_yaml(text, source)
    if data is None:
        raise ConfigError(f"{source}: the rules file is empty")
    try:
        return RuleSet.from_dict(data)
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from None


def load_rules(path: str | Path) -> RuleSet:
    """Read a rules YAML file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: rules file not found") from None
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"{p}: not UTF-8 text (byte {e.start}); save the rules as UTF-8"
        ) from None
    except OSError as e:
        raise ConfigError(f"{p}: cannot read rules file: {e.strerror}") from None
    return parse_rules(text, str(p))


def dump_rules(rules: RuleSet) -> str:
    """YAML text that ``parse_rules`` reads back into an equal RuleSet."""
    data = rules.to_dict()
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if any(c in text for c in _YAML_BREAKS):
        # PyYAML writes these raw and reads them back as line breaks: escape them (and so
        # every non-ASCII character) in that rare case.
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=False)
    return text


_YAML_BREAKS = ("\x85", "\u2028", "\u2029")


def default_rules() -> RuleSet:
    """The shipped rules for social profiles against CRM contacts."""
    from importlib import resources  # only here: `enrich match --rules` starts without it

    text = resources.files("enrich.matching").joinpath("default_rules.yaml").read_text("utf-8")
    return parse_rules(text, "default_rules.yaml")
