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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from enrich.errors import ConfigError
from enrich.matching.catalog import CATALOG, NULL_LEVEL
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


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    f = float(value)
    if not math.isfinite(f):
        raise ConfigError(f"{where}: expected a finite number, got {value!r}")
    return f


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _keys(data: Mapping[str, Any], where: str, allowed: set[str], required: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; expected one of {', '.join(sorted(allowed))}"
        )
    missing = sorted(required - set(data))
    if missing:
        raise ConfigError(f"{where}: missing required key {missing[0]!r}")


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _fields(value: object, where: str) -> tuple[str, ...]:
    """A role or column value: one name or a list of names."""
    items = [value] if isinstance(value, str) else value
    if (
        not isinstance(items, list | tuple)
        or not items
        or not all(isinstance(x, str) and x for x in items)
    ):
        raise ConfigError(f"{where}: expected a name or a non-empty list of names, got {value!r}")
    return tuple(items)


@dataclass(frozen=True, slots=True)
class Level:
    """What one comparison level is worth: m/u probabilities or a log2 Bayes factor.

    ``tf_weight`` (0..1, Splink's ``tf_adjustment_weight``) turns on a term-frequency
    adjustment: the level's weight moves by ``tf_weight * log2(typical / count)`` bits,
    where ``count`` is how many records of the mirror share the agreeing value (a name)
    and ``typical`` is that count for an average record. A rare surname agreeing is then
    stronger evidence than "John Smith". ``tf_min_bits``/``tf_max_bits`` bound the
    adjustment (Splink bounds it with ``tf_minimum_u_value``): the mirror is a sample,
    so a name held by one record is not proof that it is rare in the world.
    """

    label: str
    m: float | None = None
    u: float | None = None
    weight_bits: float | None = None
    tf_weight: float = 0.0
    tf_min_bits: float = -8.0
    tf_max_bits: float = 8.0
    fixed: bool = False  # ``enrich match train`` leaves this level's weight as written

    def __post_init__(self) -> None:
        where = f"level {self.label!r}"
        has_mu = self.m is not None or self.u is not None
        if has_mu == (self.weight_bits is not None):
            raise ConfigError(f"{where}: give either m and u, or weight (log2 Bayes factor)")
        if has_mu:
            for name, p in (("m", self.m), ("u", self.u)):
                if p is None:
                    raise ConfigError(f"{where}: {name} is missing (m and u go together)")
                if not 0.0 < _number(p, f"{where}: {name}") <= 1.0:
                    raise ConfigError(f"{where}: {name} must be in (0, 1], got {p!r}")
        else:
            _number(self.weight_bits, f"{where}: weight")
        if not 0.0 <= _number(self.tf_weight, f"{where}: tf_weight") <= 1.0:
            raise ConfigError(f"{where}: tf_weight must be in [0, 1], got {self.tf_weight!r}")
        lo = _number(self.tf_min_bits, f"{where}: tf_min_bits")
        hi = _number(self.tf_max_bits, f"{where}: tf_max_bits")
        if not lo <= 0.0 <= hi:
            raise ConfigError(f"{where}: need tf_min_bits <= 0 <= tf_max_bits, got {lo} and {hi}")

    @property
    def weight(self) -> float:
        """Match weight in bits: log2(m/u), or the weight given."""
        if self.weight_bits is not None:
            return self.weight_bits
        assert self.m is not None and self.u is not None
        return math.log2(self.m / self.u)

    def tf_bits(self, count: float, typical: float) -> float:
        """Term-frequency adjustment (bits) for a value shared by ``count`` records."""
        if not self.tf_weight or count <= 0 or typical <= 0:
            return 0.0
        bits = self.tf_weight * math.log2(typical / count)
        return min(self.tf_max_bits, max(self.tf_min_bits, bits))

    def to_dict(self) -> dict[str, float | bool]:
        d: dict[str, float | bool]
        if self.weight_bits is not None:
            d = {"weight": self.weight_bits}
        else:
            assert self.m is not None and self.u is not None
            d = {"m": self.m, "u": self.u}
        if self.tf_weight:
            d.update(
                tf_weight=self.tf_weight, tf_min_bits=self.tf_min_bits, tf_max_bits=self.tf_max_bits
            )
        if self.fixed:
            d["fixed"] = True
        return d

    @classmethod
    def from_dict(cls, label: str, data: object, where: str) -> Level:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return cls(label, weight_bits=_number(data, where))
        d = _mapping(data, where)
        _keys(
            d,
            where,
            {"m", "u", "weight", "tf_weight", "tf_min_bits", "tf_max_bits", "fixed"},
            set(),
        )
        fixed = d.get("fixed", False)
        if not isinstance(fixed, bool):
            raise ConfigError(f"{where}.fixed: expected true or false, got {fixed!r}")

        def num(key: str) -> float | None:
            return None if d.get(key) is None else _number(d[key], f"{where}.{key}")

        # Each number names its own key in its message; the level's checks name the level.
        m, u, weight_bits = num("m"), num("u"), num("weight")
        tf_weight, tf_min, tf_max = num("tf_weight"), num("tf_min_bits"), num("tf_max_bits")
        try:
            return cls(
                label,
                m=m,
                u=u,
                weight_bits=weight_bits,
                tf_weight=_or(tf_weight, 0.0),
                tf_min_bits=_or(tf_min, -8.0),
                tf_max_bits=_or(tf_max, 8.0),
                fixed=fixed,
            )
        except ConfigError as e:
            raise ConfigError(f"{where}: {str(e).removeprefix(f'level {label!r}: ')}") from None


Roles = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """One comparator applied to named fields of each side, with a weight per level."""

    name: str
    comparator: str
    left: Roles
    right: Roles
    levels: tuple[Level, ...]
    options: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        where = f"comparison {self.name!r}"
        if not self.name:
            raise ConfigError("comparison: name must not be empty")
        spec = CATALOG.get(self.comparator)
        if spec is None:
            raise ConfigError(
                f"{where}: unknown comparator {self.comparator!r}; "
                f"known: {', '.join(sorted(CATALOG))}"
            )
        for side, roles, known_roles, known_fields in (
            ("left", self.left, spec.left_roles, PROFILE_FIELDS),
            ("right", self.right, spec.right_roles, PERSON_FIELDS),
        ):
            given = {r for r, _ in roles}
            for role, flds in roles:
                if role not in known_roles:
                    raise ConfigError(
                        f"{where}: {side} role {role!r} is not an input of {spec.name}; "
                        f"expected {', '.join(known_roles)}"
                    )
                for f in flds:
                    if not is_field(f, known_fields):
                        raise ConfigError(
                            f"{where}: unknown {side} field {f!r}; "
                            f"known: {', '.join(sorted(known_fields))}, or extra.<column>"
                        )
            required = [r for r in known_roles if r not in spec.optional_roles]
            for r in required:
                if r not in given:
                    raise ConfigError(f"{where}: {side} role {r!r} is required by {spec.name}")
            if not given:
                raise ConfigError(f"{where}: {side} needs at least one of {', '.join(known_roles)}")
        labels = [lv.label for lv in self.levels]
        for lab in labels:
            if lab != NULL_LEVEL and lab not in spec.levels:
                raise ConfigError(
                    f"{where}: unknown level {lab!r} for {spec.name}; "
                    f"expected {', '.join(spec.levels)}"
                )
        if len(set(labels)) != len(labels):
            raise ConfigError(f"{where}: a level is listed twice")
        for lab in spec.levels:
            if lab not in labels and lab not in spec.fallbacks:
                raise ConfigError(f"{where}: no weight for level {lab!r} of {spec.name}")
        for lv in self.levels:
            if lv.tf_weight and lv.label not in spec.tf_levels:
                known = ", ".join(sorted(spec.tf_levels)) or "none"
                raise ConfigError(
                    f"{where}: level {lv.label!r} has no term frequency to adjust by; "
                    f"levels of {spec.name} that do: {known}"
                )
        for opt, value in self.options:
            ospec = spec.options.get(opt)
            if ospec is None:
                known = ", ".join(sorted(spec.options)) or "none"
                raise ConfigError(f"{where}: unknown option {opt!r}; known: {known}")
            if not ospec.low <= value <= ospec.high:
                raise ConfigError(
                    f"{where}: option {opt}={value} out of range [{ospec.low}, {ospec.high}]"
                )

    def level(self, label: str) -> Level:
        """The weight entry of a level; "null" weighs nothing unless the rule says so.

        A level added to a comparator after a rule file was written is weighed like the
        level the catalog names as its fallback, so older rule files keep working.
        """
        for lv in self.levels:
            if lv.label == label:
                return lv
        if label == NULL_LEVEL:
            return Level(NULL_LEVEL, weight_bits=0.0)
        fallback = CATALOG[self.comparator].fallbacks.get(label)
        if fallback is not None:
            return self.level(fallback)
        raise KeyError(label)

    def option(self, name: str) -> float:
        """An option's value, or the catalog default."""
        for k, v in self.options:
            if k == name:
                return v
        return CATALOG[self.comparator].options[name].default

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "comparator": self.comparator,
            "left": {r: (f[0] if len(f) == 1 else list(f)) for r, f in self.left},
            "right": {r: (f[0] if len(f) == 1 else list(f)) for r, f in self.right},
        }
        if self.options:
            d["options"] = dict(self.options)
        d["levels"] = {lv.label: lv.to_dict() for lv in self.levels}
        return d

    @classmethod
    def from_dict(cls, data: object, where: str) -> Comparison:
        d = _mapping(data, where)
        _keys(
            d,
            where,
            {"name", "comparator", "left", "right", "levels", "options"},
            {"name", "comparator", "left", "right", "levels"},
        )
        name = d["name"]
        if not isinstance(name, str):
            raise ConfigError(f"{where}.name: expected a string, got {name!r}")
        where = f"{where} ({name})"

        def roles(side: str) -> Roles:
            m = _mapping(d[side], f"{where}.{side}")
            return tuple((str(r), _fields(f, f"{where}.{side}.{r}")) for r, f in m.items())

        levels = _mapping(d["levels"], f"{where}.levels")
        options = _mapping(d.get("options") or {}, f"{where}.options")
        return cls(
            name=name,
            comparator=str(d["comparator"]),
            left=roles("left"),
            right=roles("right"),
            levels=tuple(
                # YAML reads a bare `null:` key as None; it means the "null" level.
                Level.from_dict(NULL_LEVEL if k is None else str(k), v, f"{where}.levels.{k}")
                for k, v in levels.items()
            ),
            options=tuple((str(k), _number(v, f"{where}.options.{k}")) for k, v in options.items()),
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
            _number(getattr(self, name), f"thresholds.{name}")
        for name in ("link_probability", "review_probability"):
            p = getattr(self, name)
            if p is not None and not 0.0 < _number(p, f"thresholds.{name}") < 1.0:
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
            if not 0.0 < _number(p, f"thresholds.{name}") < 1.0:
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
        th = _mapping(data, "thresholds")
        _keys(
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
            v = _number(th[key], f"thresholds.{key}")
            if key == name:
                values[name], probabilities[name] = v, None
            else:
                if not 0.0 < v < 1.0:
                    raise ConfigError(f"thresholds.{key} must be in (0, 1), got {v!r}")
                values[name], probabilities[name] = log_odds(v), v
        return cls(
            values["link"],
            values["review"],
            _number(th.get("ambiguity_margin", 0.0), "thresholds.ambiguity_margin"),
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
        d = _mapping(data, side)
        _keys(d, side, {"id", "columns"}, {"id", "columns"})
        cols = _mapping(d["columns"], f"{side}.columns")
        if not isinstance(d["id"], str):
            raise ConfigError(f"{side}.id: expected a column name, got {d['id']!r}")
        return cls(
            side,
            d["id"],
            tuple((str(f), _fields(c, f"{side}.columns.{f}")) for f, c in cols.items()),
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

    def __post_init__(self) -> None:
        if not isinstance(self.version, str) or not self.version:
            raise ConfigError("version: a non-empty version string is required")
        _number(self.prior_weight, "prior_weight")
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
        }

    @classmethod
    def from_dict(cls, data: object) -> RuleSet:
        d = _mapping(data, "rules")
        _keys(
            d,
            "rules",
            {"version", "prior_weight", "thresholds", "blocking", "left", "right", "comparisons"},
            {"version", "thresholds", "blocking", "comparisons"},
        )
        bl = _mapping(d["blocking"], "blocking")
        _keys(bl, "blocking", {"keys", "max_postings", "max_candidates"}, {"keys"})
        comps = d["comparisons"]
        if not isinstance(comps, list):
            raise ConfigError("comparisons: expected a list")
        version = d["version"]
        return cls(
            version=str(version) if isinstance(version, int | float) else version,
            prior_weight=_number(d.get("prior_weight", 0.0), "prior_weight"),
            thresholds=Thresholds.from_dict(d["thresholds"]),
            blocking=Blocking(
                keys=tuple(_fields(bl["keys"], "blocking.keys")),
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
