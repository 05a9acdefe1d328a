"""One comparison of a rule set, and the level weights it gives, as frozen dataclasses.

A ``Comparison`` names a comparator of the ``catalog``, the fields of each side it reads,
and what each of its levels is worth (a ``Level``: m/u probabilities or bits, with an
optional term-frequency adjustment). Both validate themselves when built and round-trip to
dicts; the ``as_*``/``check_keys`` helpers are the shared vocabulary of those checks, used by
``rules`` for the rest of the document.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from enrich.errors import ConfigError
from enrich.matching.catalog import CATALOG, NULL_LEVEL
from enrich.matching.profile import PERSON_FIELDS, PROFILE_FIELDS, is_field

__all__ = ["Comparison", "Level", "Roles", "as_fields", "as_mapping", "as_number", "check_keys"]


def as_number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    f = float(value)
    if not math.isfinite(f):
        raise ConfigError(f"{where}: expected a finite number, got {value!r}")
    return f


def as_mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def check_keys(data: Mapping[str, Any], where: str, allowed: set[str], required: set[str]) -> None:
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


def as_fields(value: object, where: str) -> tuple[str, ...]:
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
                if not 0.0 < as_number(p, f"{where}: {name}") <= 1.0:
                    raise ConfigError(f"{where}: {name} must be in (0, 1], got {p!r}")
        else:
            as_number(self.weight_bits, f"{where}: weight")
        if not 0.0 <= as_number(self.tf_weight, f"{where}: tf_weight") <= 1.0:
            raise ConfigError(f"{where}: tf_weight must be in [0, 1], got {self.tf_weight!r}")
        lo = as_number(self.tf_min_bits, f"{where}: tf_min_bits")
        hi = as_number(self.tf_max_bits, f"{where}: tf_max_bits")
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
            return cls(label, weight_bits=as_number(data, where))
        d = as_mapping(data, where)
        check_keys(
            d,
            where,
            {"m", "u", "weight", "tf_weight", "tf_min_bits", "tf_max_bits", "fixed"},
            set(),
        )
        fixed = d.get("fixed", False)
        if not isinstance(fixed, bool):
            raise ConfigError(f"{where}.fixed: expected true or false, got {fixed!r}")

        def num(key: str) -> float | None:
            return None if d.get(key) is None else as_number(d[key], f"{where}.{key}")

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
        d = as_mapping(data, where)
        check_keys(
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
            m = as_mapping(d[side], f"{where}.{side}")
            return tuple((str(r), as_fields(f, f"{where}.{side}.{r}")) for r, f in m.items())

        levels = as_mapping(d["levels"], f"{where}.levels")
        options = as_mapping(d.get("options") or {}, f"{where}.options")
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
            options=tuple(
                (str(k), as_number(v, f"{where}.options.{k}")) for k, v in options.items()
            ),
        )
