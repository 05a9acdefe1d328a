"""The card's 90-day trend is the score the scorer itself gives as of each weekly point, not an
approximation: computed once from today's contributions, decayed back in time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from enrich.embed.card import series, weekly_points
from enrich.scoring.score import Scorer
from enrich.scoring.touchpoint import Kind, Platform, Touchpoint

NOW = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)
KINDS = [Kind.LIKE, Kind.COMMENT, Kind.SHARE, Kind.FOLLOW, Kind.UNFOLLOW, Kind.MENTION, Kind.DM]


def history(seed: int, n: int) -> list[Touchpoint]:
    rng = random.Random(seed)
    return [
        Touchpoint(
            id=f"t{i}",
            kind=rng.choice(KINDS),
            platform=rng.choice([Platform.LINKEDIN, Platform.X]),
            occurred_at=NOW - timedelta(days=rng.random() * 120),
            text=rng.choice(["", "not interested", "love the zero trust post"]),
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_point_equals_scoring_as_of_that_moment(seed: int) -> None:
    scorer = Scorer.default()
    tps = history(seed, 60)  # several per day: the daily caps matter
    fields = {"title": "CISO"}
    points = weekly_points(NOW)
    now_score = scorer.score_person(tps, as_of=NOW, fields=fields)

    trend = series(now_score, points, scorer.config.half_life_days)

    expected = [
        round(max(0.0, scorer.score_person(tps, as_of=at, fields=fields).score), 2) for at in points
    ]
    assert trend == pytest.approx(expected, abs=0.011)


def test_points_are_weekly_midnights_then_now() -> None:
    points = weekly_points(NOW)
    assert len(points) == 14 and points[-1] == NOW
    assert all(p.hour == p.minute == 0 for p in points[:-1])
    assert {b - a for a, b in zip(points[:-2], points[1:-1], strict=True)} == {timedelta(days=7)}
    assert NOW - points[0] < timedelta(days=90)
