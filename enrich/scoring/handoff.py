"""When to hand a person to their owner: one event per crossing, with hysteresis.

A score hovering around the threshold (49, 51, 50, 52...) must not create a follow-up task
every day. State machine on the CRM-visible (rounded) score:

    armed  --score >= threshold-->             fired   (emit one hand-off event)
    fired  --score <  threshold - hysteresis--> armed  (silently re-arm)

Anything else keeps the state and emits nothing. The caller stores the returned state.
"""

from __future__ import annotations

from dataclasses import dataclass

from enrich.scoring.score import round_score
from enrich.scoring.sections import HandoffConfig


@dataclass(frozen=True, slots=True)
class HandoffState:
    """Whether the next crossing of the threshold should emit (``armed``) or not (fired)."""

    armed: bool = True

    @property
    def fired(self) -> bool:
        return not self.armed


@dataclass(frozen=True, slots=True)
class HandoffDecision:
    """The new state, whether to emit a hand-off event now, and why (for the audit log)."""

    state: HandoffState
    emit: bool
    reason: str


def decide_handoff(state: HandoffState, score: float, config: HandoffConfig) -> HandoffDecision:
    """Given the stored state and the new score, say whether to emit one hand-off event."""
    shown = round_score(score)
    rearm_below = config.threshold - config.hysteresis
    if state.armed and shown >= config.threshold:
        return HandoffDecision(
            HandoffState(armed=False), True, f"score {shown} reached threshold {config.threshold:g}"
        )
    if state.fired and shown < rearm_below:
        return HandoffDecision(
            HandoffState(armed=True), False, f"score {shown} fell below {rearm_below:g}: re-armed"
        )
    what = (
        "armed, below threshold"
        if state.armed
        else f"already handed off, not below {rearm_below:g}"
    )
    return HandoffDecision(state, False, f"score {shown}: {what}")
