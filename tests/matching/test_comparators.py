"""What each comparator concludes about typical social-profile noise."""

from __future__ import annotations

import pytest

from enrich.matching.comparators import COMPARATORS
from enrich.matching.rules import Comparison, RuleSet


def _rule(rules: RuleSet, comparator: str) -> Comparison:
    return next(c for c in rules.comparisons if c.comparator == comparator)


def _level(rules: RuleSet, comparator: str, left: dict[str, tuple[str, ...]],
           right: dict[str, tuple[str, ...]]) -> str:
    return COMPARATORS[comparator](left, right, _rule(rules, comparator))[0]


ROBERT = {"first_name": ("Robert",), "last_name": ("Smith",)}


@pytest.mark.parametrize(("handle", "level"), [
    ("rsmith", "initial_last"), ("robert.smith", "full_name"), ("smithr", "initial_last"),
    ("jsmith", "last_name"),
    ("robertsmith42", "full_name"), ("bob_s", "first_last_initial"),
    ("rsmith_acme", "initial_last"), ("bobsmith", "full_name"), ("therealbobsmith", "full_name"),
    ("coffeelover88", "different"),
])
def test_handle_shapes_built_from_a_name(rules: RuleSet, handle: str, level: str) -> None:
    assert _level(rules, "handle_name", {"handle": (handle,)}, ROBERT) == level


@pytest.mark.parametrize(("shown", "level"), [
    ("Robert Smith", "exact"), ("Bob Smith", "nickname"), ("R. Smith", "initial"),
    ("Robert Smyth", "fuzzy"), ("Bob S.", "first_name_last_initial"), ("Jane Smith", "different"),
    ("Smith Robert", "exact"), ("", "null"),
])
def test_person_name_levels(rules: RuleSet, shown: str, level: str) -> None:
    assert _level(rules, "person_name", {"name": (shown,)}, ROBERT) == level


@pytest.mark.parametrize(("text", "company", "level"), [
    ("VP Eng at ACME", "Acme Inc.", "exact"),
    ("building @acmecorp", "Acme Corp", "exact"),
    ("Research at IBM", "International Business Machines", "acronym"),
    ("Sales at Globex", "Acme Inc.", "different"),
    ("Formerly at Globex", "Acme Inc.", "no_mention"),
    ("Coffee and code", "Acme Inc.", "no_mention"),
])
def test_company_mentions(rules: RuleSet, text: str, company: str, level: str) -> None:
    assert _level(rules, "company", {"text": (text,)}, {"company": (company,)}) == level


@pytest.mark.parametrize(("where", "level"), [
    ("NYC", "city"), ("Brooklyn, NY", "city"), ("Chicago, IL", "different"),
    ("USA", "country"), ("Remote", "unknown"),
])
def test_location_aliases(rules: RuleSet, where: str, level: str) -> None:
    right = {"city": ("New York",), "country": ("United States",)}
    assert _level(rules, "location", {"location": (where,)}, right) == level


def test_free_mail_domains_say_nothing(rules: RuleSet) -> None:
    level = _level(rules, "email_domain", {"domains": ("jane@gmail.com",)},
                   {"domains": ("other@gmail.com",)})
    assert level == "null"


def test_website_domain_matches_work_email(rules: RuleSet) -> None:
    level = _level(rules, "email_domain", {"domains": ("https://www.acme.co.uk/team",)},
                   {"domains": ("jane@acme.co.uk",)})
    assert level == "exact"
