"""What every comparator takes and returns, and the small helpers they share.

A comparator gets the values a rule routes to each role (``Values``: role -> the field
values, several when a role combines fields) and returns ``(level, explanation)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rapidfuzz.distance import JaroWinkler

from enrich.matching.comparison import Comparison

__all__ = ["CompareFn", "Outcome", "Values", "capitalized", "jaro_winkler", "value_of"]

Values = Mapping[str, tuple[str, ...]]
Outcome = tuple[str, str]
CompareFn = Callable[[Values, Values, Comparison], Outcome]


def value_of(values: Values, role: str, sep: str = " ") -> str:
    vs = values.get(role, ())
    if len(vs) == 1:  # the common cases, without a generator: hot in batch runs
        return vs[0].strip()
    if not vs:
        return ""
    return sep.join(v for v in vs if v).strip()


def jaro_winkler(a: str, b: str) -> float:
    return float(JaroWinkler.similarity(a, b))


def capitalized(tokens: tuple[str, ...]) -> str:
    return " ".join(t.capitalize() for t in tokens)
