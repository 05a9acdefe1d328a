"""What each comparator concludes about typical social-profile noise."""

from __future__ import annotations

import pytest

from enrich.matching.comparators import COMPARATORS
from enrich.matching.rules import Comparison, RuleSet


def _rule(rules: RuleSet, comparator: str) -> Comparison:
    return next(c for c in rules.comparisons if c.comparator == comparator)


def _level(
    rules: RuleSet,
    comparator: str,
    left: dict[str, tuple[str, ...]],
    right: dict[str, tuple[str, ...]],
) -> str:
    return COMPARATORS[comparator](left, right, _rule(rules, comparator))[0]


ROBERT = {"first_name": ("Robert",), "last_name": ("Smith",)}


@pytest.mark.parametrize(
    ("handle", "level"),
    [
        ("rsmith", "initial_last"),
        ("robert.smith", "full_name"),
        ("smithr", "initial_last"),
        ("jsmith", "last_name"),
        ("robertsmith42", "full_name"),
        ("bob_s", "first_last_initial"),
        ("rsmith_acme", "initial_last"),
        ("bobsmith", "full_name"),
        ("therealbobsmith", "full_name"),
        ("coffeelover88", "different"),
    ],
)
def test_handle_shapes_built_from_a_name(rules: RuleSet, handle: str, level: str) -> None:
    assert _level(rules, "handle_name", {"handle": (handle,)}, ROBERT) == level


@pytest.mark.parametrize(
    ("shown", "level"),
    [
        ("Robert Smith", "exact"),
        ("Bob Smith", "nickname"),
        ("R. Smith", "initial"),
        ("Robert Smyth", "fuzzy"),
        ("Bob S.", "first_name_last_initial"),
        ("Jane Smith", "different"),
        ("Smith Robert", "exact"),
        ("", "null"),
    ],
)
def test_person_name_levels(rules: RuleSet, shown: str, level: str) -> None:
    assert _level(rules, "person_name", {"name": (shown,)}, ROBERT) == level


@pytest.mark.parametrize(
    ("text", "company", "level"),
    [
        ("VP Eng at ACME", "Acme Inc.", "exact"),
        ("building @acmecorp", "Acme Corp", "exact"),
        ("Research at IBM", "International Business Machines", "acronym"),
        ("Sales at Globex", "Acme Inc.", "different"),
        ("Formerly at Globex", "Acme Inc.", "no_mention"),
        ("Coffee and code", "Acme Inc.", "no_mention"),
    ],
)
def test_company_mentions(rules: RuleSet, text: str, company: str, level: str) -> None:
    assert _level(rules, "company", {"text": (text,)}, {"company": (company,)}) == level


@pytest.mark.parametrize(
    ("where", "level"),
    [
        ("NYC", "city"),
        ("Brooklyn, NY", "city"),
        ("Chicago, IL", "different"),
        ("USA", "country"),
        ("Remote", "unknown"),
    ],
)
def test_location_aliases(rules: RuleSet, where: str, level: str) -> None:
    right = {"city": ("New York",), "country": ("United States",)}
    assert _level(rules, "location", {"location": (where,)}, right) == level


def test_free_mail_domains_say_nothing(rules: RuleSet) -> None:
    level = _level(
        rules, "email_domain", {"domains": ("jane@gmail.com",)}, {"domains": ("other@gmail.com",)}
    )
    assert level == "null"


def test_website_domain_matches_work_email(rules: RuleSet) -> None:
    level = _level(
        rules,
        "email_domain",
        {"domains": ("https://www.acme.co.uk/team",)},
        {"domains": ("jane@acme.co.uk",)},
    )
    assert level == "exact"


@pytest.mark.parametrize(
    ("text", "title", "level"),
    [
        ("VP Eng @acme. Coffee.", "VP Engineering", "exact"),
        ("Jane Doe | Dir. Marketing at Acme", "Director of Marketing", "exact"),
        ("CTO at Initech", "Chief Technology Officer", "exact"),
        ("Senior Data Scientist at Hooli", "Data Scientist", "exact"),
        ("Co-founder & CEO", "Founder", "exact"),
        ("Head of Sales at Globex", "Software Engineer", "different"),
        ("Coffee, code and cats.", "CFO", "no_mention"),
        ("", "CFO", "null"),
    ],
)
def test_job_title_stated_in_a_profile(rules: RuleSet, text: str, title: str, level: str) -> None:
    assert _level(rules, "title", {"text": (text,)}, {"title": (title,)}) == level


@pytest.mark.parametrize(
    ("shown", "handle", "level"),
    [
        ("R. Smith", "robertsmith42", "exact"),  # the handle spells out the initial
        ("R. Smith", "bobsmith", "nickname"),
        ("Bob S.", "bob.smith", "nickname"),
        ("RS", "robert_smith", "exact"),
        ("Robert Smitth", "robert.smith", "exact"),  # a typo, corrected by the handle
        ("R. Smith", "rsmith", "initial"),  # nothing more than the display says
        ("J. Smith", "johnsmith", "different"),  # J. is not Robert, whatever the handle
    ],
)
def test_handle_completes_a_partial_display_name(
    rules: RuleSet, shown: str, handle: str, level: str
) -> None:
    assert _level(rules, "person_name", {"name": (shown,), "handle": (handle,)}, ROBERT) == level


@pytest.mark.parametrize(
    ("shown", "first", "level"),
    [
        ("Katie Lee", "Katherine", "nickname"),  # the list has "katy"; people write "Katie"
        ("Suzy Lee", "Susan", "nickname"),  # the list has "suzie"
        ("Jane Le", "Jane", "fuzzy"),  # one letter dropped from a short name
        ("Jane Lei", "Jane", "other_family_name"),  # another short name, not a typo
    ],
)
def test_pet_name_spellings_and_short_family_name_typos(
    rules: RuleSet, shown: str, first: str, level: str
) -> None:
    right = {"first_name": (first,), "last_name": ("Lee",)}
    assert _level(rules, "person_name", {"name": (shown,)}, right) == level


def test_a_middle_initial_does_not_stand_for_another_first_name(rules: RuleSet) -> None:
    right = {"first_name": ("Priya",), "last_name": ("van der Berg",)}
    assert _level(rules, "person_name", {"name": ("Ryan P. van der Berg",)}, right) == "different"
    assert _level(rules, "person_name", {"name": ("J. Priya van der Berg",)}, right) == "exact"


@pytest.mark.parametrize(
    ("handle", "company", "level"),
    [
        ("jsmith_acme", "Acme Inc.", "handle"),
        ("jyilmaz_echowork", "Echoworks Robotics Inc.", "handle"),
        ("jsmith_acme", "Globex Corporation", "no_mention"),
        ("acme_smith", "Acme Inc.", "no_mention"),  # the first piece is the name's place
    ],
)
def test_company_named_only_in_the_handle(
    rules: RuleSet, handle: str, company: str, level: str
) -> None:
    left = {"text": ("Coffee and code",), "handle": (handle,)}
    assert _level(rules, "company", left, {"company": (company,)}) == level
