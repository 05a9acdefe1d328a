"""Explanations of a scored candidate, for people: a one-line text and waterfall bars.

The waterfall mirrors Splink's: start at the prior weight, add each comparison's
weight, end at the total score; each bar carries its level and the human reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from enrich.matching.scorer import Candidate, MatchResult

__all__ = ["WaterfallBar", "explanation_text", "waterfall"]


@dataclass(frozen=True, slots=True)
class WaterfallBar:
    """One step of a waterfall chart: where the bar starts and ends, and why."""

    label: str
    level: str
    weight: float
    start: float
    end: float
    explanation: str


def waterfall(result: MatchResult, candidate: Candidate) -> list[WaterfallBar]:
    """Bars from the prior to the final score; zero-weight comparisons are kept."""
    bars = [WaterfallBar("prior", "", result.prior_weight, 0.0, result.prior_weight, "prior odds")]
    at = result.prior_weight
    for c in candidate.contributions:
        bars.append(WaterfallBar(c.comparison, c.level, c.weight, at, at + c.weight, c.explanation))
        at += c.weight
    bars.append(WaterfallBar("total", candidate.decision.value, at, 0.0, at, "final match weight"))
    return bars


def explanation_text(candidate: Candidate, *, include_null: bool = False) -> str:
    """ "name=nickname(+9.1): Bob is a nickname of Robert; company=exact(+6.0): ..." """
    parts = []
    for c in sorted(candidate.contributions, key=lambda c: -abs(c.weight)):
        if c.level == "null" and not include_null:
            continue
        parts.append(f"{c.comparison}={c.level}({_signed(c.weight)}): {c.explanation}")
    return "; ".join(parts)


# Formatting a float costs ~1,000 times a dict lookup, and weights take few values (the
# levels' and their term-frequency adjustments): ``enrich match`` formats each once.
_SIGNED: dict[float, str] = {}
_MAX_SIGNED = 4096


def _signed(weight: float) -> str:
    """``f"{weight:+.1f}"``."""
    text = _SIGNED.get(weight)
    if text is None:
        text = f"{weight:+.1f}"
        # 0.0 and -0.0 are equal keys but read "+0.0" and "-0.0": zero is not kept.
        if weight and len(_SIGNED) < _MAX_SIGNED:
            _SIGNED[weight] = text
    return text
