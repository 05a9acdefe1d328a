"""Fixtures for the scoring tests: a fixed clock, the shipped defaults, a touchpoint factory."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from enrich.scoring import Scorer, ScoringConfig, Taxonomy, Touchpoint

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
_ids = itertools.count()

SECURITY_POST = "How we cut cloud security misconfigurations by 80% with zero trust"


def make_tp(
    kind: str = "like",
    *,
    days_ago: float = 0.0,
    platform: str = "linkedin",
    text: str = "",
    post_text: str = "",
    id: str | None = None,
    replied_to_us: bool = False,
) -> Touchpoint:
    """A touchpoint ``days_ago`` days before NOW (kinds/platforms by their string names)."""
    return Touchpoint(
        id=id or f"tp-{next(_ids)}",
        kind=kind,  # the string spellings are accepted on purpose
        platform=platform,
        occurred_at=NOW - timedelta(days=days_ago),
        text=text,
        post_text=post_text,
        replied_to_us=replied_to_us,
    )


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return Taxonomy.default()


@pytest.fixture(scope="session")
def config() -> ScoringConfig:
    return ScoringConfig.default()


@pytest.fixture(scope="session")
def scorer(config: ScoringConfig, taxonomy: Taxonomy) -> Scorer:
    return Scorer(config, taxonomy)


@pytest.fixture
def tp() -> Callable[..., Touchpoint]:
    return make_tp
