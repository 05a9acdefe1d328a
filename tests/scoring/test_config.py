"""The scoring config: shipped default, round trip, validation with lines."""

from __future__ import annotations

import pytest

from enrich.errors import ConfigError
from enrich.scoring import Kind, Platform, ScoringConfig


def test_default_config_loads_with_negative_signals_fit_and_handoff(config: ScoringConfig) -> None:
    assert config.points[Kind.COMMENT] > config.points[Kind.LIKE] > 0
    assert config.points[Kind.UNFOLLOW] < 0
    assert config.multiplier(Platform.LINKEDIN) > config.multiplier(Platform.INSTAGRAM)
    assert config.negative_phrases and config.fit
    assert config.handoff.threshold > config.handoff.hysteresis > 0


def test_config_round_trips_and_fingerprint_tracks_changes(config: ScoringConfig) -> None:
    again = ScoringConfig.from_dict(config.to_dict())
    assert again == config and again.fingerprint == config.fingerprint
    changed = config.to_dict()
    changed["points"]["like"] = 2
    assert ScoringConfig.from_dict(changed).fingerprint != config.fingerprint


BASE = "version: 1\npoints: {like: 1}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("points: {like: 1}\n", r"version: is required"),
        ("version: 1\n", r"points: is required"),
        ("version: 1\npoints: {liek: 1}\n", r":2: points.liek: unknown touchpoint kind"),
        ("version: 1\npoints: {like: lots}\n", r":2: points.like: must be a number"),
        (
            "version: 1\npoints: {like: 1}\ndaily_caps: {like: 0}\n",
            r"daily_caps.like: must be a number > 0",
        ),
        (
            "version: 1\npoints: {like: 1}\nplatform_multipliers: {myspace: 2}\n",
            r"unknown platform",
        ),
        (
            "version: 1\npoints: {like: 1}\nhalf_life_days: -3\n",
            r"half_life_days: must be a number of days > 0",
        ),
        (
            "version: 1\npoints: {like: 1}\nhandoff: {threshold: 20, hysteresis: 30}\n",
            r"handoff.hysteresis: must be below",
        ),
        (
            BASE + "negative_phrases:\n  phrases:\n    - {text: meh, points: 5}\n",
            r":5: negative_phrases.phrases\[0\].points: must be negative",
        ),
        (
            BASE + "fit:\n  - {name: t, field: title, pattern: '(', points: 5}\n",
            r":4: fit\[0\].pattern: invalid regex",
        ),
        (
            "version: 1\npoints: {like: 1}\nfit:\n  - {name: t, field: title, points: 5}\n",
            r"exactly one of `pattern`",
        ),
        (
            "version: 1\npoints: {like: 1}\nrollup: {weight_decay: 2}\n",
            r"rollup.weight_decay: must be a number in \(0, 1\]",
        ),
        ("version: 1\npoints: {like: 1}\nextra: 1\n", r"extra: unknown key"),
        ("version: 1\npoints: {like: 1}\n  bad indent: [\n", r"malformed YAML"),
    ],
)
def test_invalid_config_gets_a_precise_error(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ScoringConfig.from_yaml(text)


def test_fit_rule_in_list_is_case_insensitive() -> None:
    cfg = ScoringConfig.from_yaml(
        "version: 1\npoints: {like: 1}\nfit:\n  - {name: t, field: tier, in: [Gold], points: 5}\n"
    )
    assert cfg.fit[0].matches(" gold ") and not cfg.fit[0].matches("silver")
