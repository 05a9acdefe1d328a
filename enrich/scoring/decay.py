"""Recency decay: how much something that happened a while ago still counts.

Every score and interest is computed *as of* a moment; a touchpoint ``age`` days old counts
``0.5 ** (age / half_life)`` of its points, so the scheduler can recompute daily and watch
scores fade without new input.
"""

from __future__ import annotations

from datetime import datetime

SECONDS_PER_DAY = 86_400.0


def age_days(occurred_at: datetime, as_of: datetime) -> float:
    """Days between ``occurred_at`` and ``as_of`` (never negative)."""
    return max(0.0, (as_of - occurred_at).total_seconds() / SECONDS_PER_DAY)


def decay_factor(age: float, half_life_days: float) -> float:
    """The share of its weight something ``age`` days old keeps (1 today, 0.5 at half-life)."""
    return 0.5 ** (age / half_life_days) if age > 0 else 1.0
