"""Property tests of the pure parsers: the normalisers on arbitrary JSON shaped like each
platform's payload (as far as the receiver's own shape check lets it through), and the rule /
taxonomy / scoring loaders on arbitrary YAML-ish text. Contract: a normaliser returns a
`Normalized` (bad items go to `errors`, never an exception); a loader returns its object or raises
the documented `ConfigError`, nothing else."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from enrich.errors import ConfigError
from enrich.matching.rules import parse_rules
from enrich.normalize import Normalized, RawEventView, normalize
from enrich.scoring import ScoringConfig, Taxonomy
from tests.hardening.test_fuzz_webhooks import SHAPED, any_json

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOURCES = {"x": "x", "meta": "meta", "linkedin": "linkedin", "standard": "standard:acme"}


def _gate_accepts(receiver: str, payload: Any) -> bool:
    """The receivers' own shape checks: only these payloads are ever stored."""
    if not isinstance(payload, dict):
        return False
    if receiver == "x":
        return bool(payload.get("for_user_id"))
    if receiver == "meta":
        return isinstance(payload.get("entry"), list)
    if receiver == "linkedin":
        return isinstance(payload.get("notifications"), list)
    return True  # standard: the schema is stricter; the normaliser must cope with anything


@FUZZ
@given(data=st.data(), receiver=st.sampled_from(sorted(SHAPED)))
def test_normalisers_never_raise_on_platform_shaped_json(data: Any, receiver: str) -> None:
    payload = data.draw(SHAPED[receiver])
    if not _gate_accepts(receiver, payload):
        return
    view = RawEventView(
        1,
        SOURCES[receiver],
        "d-1",
        json.dumps(payload).encode(),
        datetime(2026, 11, 24, tzinfo=UTC),
        None,
    )
    result = normalize(view)
    assert isinstance(result, Normalized)
    for tp in result.touchpoints:
        assert tp.actor.platform_user_id and tp.dedupe_key
        assert tp.occurred_at.tzinfo is not None


@FUZZ
@given(
    payload=st.dictionaries(st.text(max_size=20), any_json, max_size=6),
    receiver=st.sampled_from(sorted(SHAPED)),
)
def test_normalisers_never_raise_on_arbitrary_objects(
    payload: dict[str, Any], receiver: str
) -> None:
    if not _gate_accepts(receiver, payload):
        return
    view = RawEventView(
        1,
        SOURCES[receiver],
        "d-1",
        json.dumps(payload).encode(),
        datetime(2026, 11, 24, tzinfo=UTC),
        "acct",
    )
    assert isinstance(normalize(view), Normalized)


# YAML-ish text: fragments of the real files' vocabulary glued with YAML punctuation, plus
# arbitrary documents dumped as YAML (structurally valid, semantically anything).
WORDS = [
    "version",
    "topics",
    "name",
    "keywords",
    "comparisons",
    "blocking",
    "keys",
    "levels",
    "points",
    "half_life_days",
    "platform_multipliers",
    "daily_caps",
    "like",
    "comment",
    "m",
    "u",
    "weight",
    "left",
    "right",
    "id",
    "columns",
    "email",
    "thresholds",
    "- ",
    ": ",
    "\n",
    "  ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "'",
    '"',
    "&a",
    "*a",
    "!!python/object",
    "~",
    "1",
    "-1",
    "1e999",
    ".nan",
    "0.5",
    "yes",
    "null",
    "#",
    "|",
    ">",
    "? ",
    "\t",
    "%YAML",
]
yamlish = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=40).map("".join),
    any_json.map(lambda v: yaml.safe_dump(v)),
    st.dictionaries(st.sampled_from(WORDS[:20]), any_json, max_size=5).map(yaml.safe_dump),
    st.text(max_size=200),
)
LOADERS = {"rules": parse_rules, "taxonomy": Taxonomy.from_yaml, "scoring": ScoringConfig.from_yaml}


@FUZZ
@given(text=yamlish, loader=st.sampled_from(sorted(LOADERS)))
@example(text="a: &a [*a]", loader="rules")
@example(text="version: 1\ntopics: [{name: x, keywords: [1e999]}]", loader="taxonomy")
@example(text="points: {like: .nan}", loader="scoring")
def test_loaders_raise_only_config_error(text: str, loader: str) -> None:
    try:
        LOADERS[loader](text)
    except ConfigError as exc:
        assert str(exc)  # a message a person can act on
