"""Rule files: validated when defined, precise errors, YAML round-trip."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from enrich.errors import ConfigError
from enrich.matching.rules import (
    Blocking,
    Level,
    RuleSet,
    Thresholds,
    default_rules,
    dump_rules,
    parse_rules,
)


def test_default_rules_round_trip_through_yaml() -> None:
    rules = default_rules()
    assert parse_rules(dump_rules(rules)) == rules


@settings(max_examples=40, deadline=None)
@given(
    link=st.floats(-50, 50, allow_nan=False),
    gap=st.floats(0.01, 30, allow_nan=False),
    margin=st.floats(0, 10, allow_nan=False),
    prior=st.floats(-20, 20, allow_nan=False),
    weight=st.floats(-30, 30, allow_nan=False),
    m=st.floats(0.001, 1.0),
    u=st.floats(0.000001, 1.0),
    cap=st.integers(1, 10**6),
    version=st.text(min_size=1, max_size=20),
)
def test_any_valid_rules_round_trip(
    link: float,
    gap: float,
    margin: float,
    prior: float,
    weight: float,
    m: float,
    u: float,
    cap: int,
    version: str,
) -> None:
    base = default_rules()
    first = base.comparisons[0]
    levels = (
        Level(first.levels[0].label, m=m, u=u),
        Level(first.levels[1].label, weight_bits=weight),
        *first.levels[2:],
    )
    rules = replace(
        base,
        version=version,
        prior_weight=prior,
        thresholds=Thresholds(link=link, review=link - gap, ambiguity_margin=margin),
        blocking=Blocking(base.blocking.keys, max_postings=cap, max_candidates=cap),
        comparisons=(replace(first, levels=levels), *base.comparisons[1:]),
    )
    assert parse_rules(dump_rules(rules)) == rules


def _edit(old: str, new: str) -> str:
    text = dump_rules(default_rules())
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("comparator: person_name", "comparator: person_nam", "unknown comparator 'person_nam'"),
        ("    name: display_name\n", "    name: displayname\n", "unknown left field 'displayname'"),
        ("link: 7.5", "link: high", "thresholds.link: expected a number, got 'high'"),
        ("review: 2.0", "review: 9.0", "review (9.0) must be below link (7.5)"),
        ("nickname:\n", "nick:\n", "unknown level 'nick' for person_name"),
        ("keys:\n", "kees:\n", "unknown key 'kees'"),
        ("m: 0.6", "m: 1.6", "m must be in (0, 1]"),
        ("- identifier\n", "- postcode\n", "unknown key 'postcode'"),
        ("fuzzy_similarity: 0.88", "fuzzy_similarity: 1.5", "fuzzy_similarity=1.5 out of range"),
    ],
)
def test_invalid_rules_are_rejected_precisely(old: str, new: str, message: str) -> None:
    with pytest.raises(
        ConfigError,
        match=message.replace("(", r"\(")
        .replace(")", r"\)")
        .replace("[", r"\[")
        .replace("]", r"\]")
        .replace(".", r"\."),
    ):
        parse_rules(_edit(old, new), "rules.yaml")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "different: {weight: 0.0}     # people have several addresses",
            "different: {weight: x}",
            "rules.yaml: comparisons[1] (email).levels.different.weight: "
            "expected a number, got 'x'",
        ),
        (
            "exact: {m: 0.99, u: 0.000001}",
            "exact: {m: 0.99}",
            "rules.yaml: comparisons[1] (email).levels.exact: u is missing (m and u go together)",
        ),
    ],
)
def test_a_bad_level_is_located_once(old: str, new: str, message: str) -> None:
    shipped = (Path(parse_rules.__code__.co_filename).parent / "default_rules.yaml").read_text()
    assert old in shipped
    with pytest.raises(ConfigError) as caught:
        parse_rules(shipped.replace(old, new, 1), "rules.yaml")
    assert str(caught.value) == message


def test_missing_level_weight_is_named() -> None:
    data = default_rules().to_dict()
    name = next(c for c in data["comparisons"] if c["comparator"] == "person_name")
    del name["levels"]["initial"]
    with pytest.raises(ConfigError, match="no weight for level 'initial' of person_name"):
        parse_rules(yaml.safe_dump(data))


def test_malformed_yaml_reports_its_line() -> None:
    with pytest.raises(ConfigError, match=r"rules\.yaml:4:9: malformed YAML"):
        parse_rules("version: x\nthresholds:\n  link: [1, 2\n  review: 0\n", "rules.yaml")


def test_thresholds_out_of_order_fail_when_defined() -> None:
    with pytest.raises(ConfigError, match="must be below link"):
        Thresholds(link=1.0, review=2.0)


def test_level_needs_both_m_and_u() -> None:
    with pytest.raises(ConfigError, match="u is missing"):
        Level("exact", m=0.9)


def test_rules_know_nothing_of_rapidfuzz() -> None:
    import enrich.matching.rules as r

    assert "rapidfuzz" not in Path(r.__file__).read_text(encoding="utf-8")
    assert isinstance(default_rules(), RuleSet)


def _with_thresholds(thresholds: str) -> str:
    shipped = dump_rules(default_rules())
    start = shipped.index("thresholds:")
    end = shipped.index("blocking:")
    return shipped[:start] + thresholds + shipped[end:]


def test_thresholds_stated_as_probabilities_are_their_log_odds_and_dump_back() -> None:
    rules = parse_rules(
        _with_thresholds(
            "thresholds: {link_probability: 0.99, review_probability: 0.5, ambiguity_margin: 4.0}\n"
        )
    )
    assert rules.thresholds.link == pytest.approx(6.6294, abs=1e-4)
    assert rules.thresholds.review == 0.0
    assert parse_rules(dump_rules(rules)) == rules
    assert "link_probability: 0.99" in dump_rules(rules)


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        (
            "{link: 7.5, link_probability: 0.99, review: 2}",
            "give link (bits) or link_probability, not both",
        ),
        ("{link_probability: 1.0, review: 2}", "thresholds.link_probability must be in (0, 1)"),
        ("{link: 7.5}", "give review (bits) or review_probability, one of them is required"),
        ("{link_probability: 0.9, review_probability: 0.95}", "review (4.2479"),
    ],
)
def test_probability_thresholds_are_checked(thresholds: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_rules(_with_thresholds(f"thresholds: {thresholds}\n"), "rules.yaml")
