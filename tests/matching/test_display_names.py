"""Reading a display name: which words are the name, in which order, and what follows it."""

from __future__ import annotations

import pytest

from enrich.matching import normalize as nz
from enrich.matching.comparators import COMPARATORS
from enrich.matching.profile import Person, Profile
from enrich.matching.rules import RuleSet
from enrich.matching.scorer import Matcher


@pytest.mark.parametrize(
    ("shown", "tokens"),
    [
        ("Doe, Jane", ("jane", "doe")),
        ("García López, Jessica", ("jessica", "garcia", "lopez")),
        ("GARCÍA LÓPEZ, JESSICA", ("jessica", "garcia", "lopez")),
        ("van der Berg, Anna", ("anna", "van", "der", "berg")),
        ("Van der Berg, Anna M.", ("anna", "m", "van", "der", "berg")),
        ("de la Cruz, Maria", ("maria", "de", "la", "cruz")),
        ("Doe, Jane, PhD", ("jane", "doe")),
    ],
)
def test_a_family_name_before_the_comma_is_turned_around(
    shown: str, tokens: tuple[str, ...]
) -> None:
    assert nz.parse_display_name(shown).tokens == tokens


def test_what_follows_the_turned_around_name_is_the_rest() -> None:
    assert nz.parse_display_name("García López, Jessica | Acme") == nz.ParsedName(
        ("jessica", "garcia", "lopez"), "| Acme"
    )


@pytest.mark.parametrize(
    ("shown", "tokens", "rest"),
    [
        ("Jane Doe, PhD", ("jane", "doe"), ""),
        ("Jane Doe, MBA, CPA", ("jane", "doe"), ""),
        ("Jane Doe, Acme", ("jane", "doe"), " Acme"),
        ("Jane Doe, Austin", ("jane", "doe"), " Austin"),  # a given name too, but Jane is one
        ("Jane Doe, VP Sales", ("jane", "doe"), " VP Sales"),
        ("Mary Ann Smith, Acme", ("mary", "ann", "smith"), " Acme"),
        ("Anna van der Berg, Acme", ("anna", "van", "der", "berg"), " Acme"),
        # Carlos is not in the nickname table: without a sign, the head stays the name.
        ("García López, Carlos", ("garcia", "lopez"), " Carlos"),
    ],
)
def test_a_full_name_before_the_comma_is_kept_and_the_rest_follows(
    shown: str, tokens: tuple[str, ...], rest: str
) -> None:
    assert nz.parse_display_name(shown) == nz.ParsedName(tokens, rest)


@pytest.mark.parametrize(
    ("shown", "first", "last"),
    [
        ("García López, Jessica", "Jessica", "García López"),
        ("van der Berg, Anna", "Anna", "van der Berg"),
    ],
)
def test_a_turned_around_family_name_of_several_words_is_the_same_name(
    rules: RuleSet, shown: str, first: str, last: str
) -> None:
    rule = next(c for c in rules.comparisons if c.comparator == "person_name")
    left, right = {"name": (shown,)}, {"first_name": (first,), "last_name": (last,)}
    assert COMPARATORS["person_name"](left, right, rule)[0] == "exact"
    people = [
        Person("her", first, last, city="Madrid"),
        Person("other", "Oleg", "Petrov", city="Madrid"),
    ]
    r = Matcher(rules, people).match(
        Profile(key="p", platform="x", display_name=shown, location="Madrid")
    )
    best = r.candidates[0]
    assert best.person_id == "her"
    assert next(c.level for c in best.contributions if c.comparison == "name") == "exact"
