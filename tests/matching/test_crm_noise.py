"""The CRM's own mess, compared as a person would (issue 23): a record missing its first
name, first and family name in each other's field, titles and suffixes in the name fields,
names in capitals; and a profile whose display name is only emoji."""

from __future__ import annotations

import pytest

from enrich.matching.comparators import COMPARATORS
from enrich.matching.normalize import first_name_from_email
from enrich.matching.profile import Person, Profile
from enrich.matching.rules import RuleSet
from enrich.matching.scorer import Decision, Matcher


def _levels(rules: RuleSet, profile: Profile, person: Person) -> dict[str, tuple[str, str]]:
    result = Matcher(rules, [person]).match(profile)
    assert result.candidates, "the record never reached the scorer"
    return {c.comparison: (c.level, c.explanation) for c in result.candidates[0].contributions}


SOREN = Profile(
    "p",
    platform="linkedin",
    display_name="Søren Smith",
    bio="Head of Growth at Atlasbase Media",
    location="Amsterdam",
)


def test_an_empty_first_name_is_read_from_the_records_email(rules: RuleSet) -> None:
    person = Person(
        "r", "", "Smith", email="soren.smith@atlasbase.com", company="Atlasbase", city="Amsterdam"
    )
    level, why = _levels(rules, SOREN, person)["name"]
    assert level == "exact"
    assert "first name from the email soren.smith@atlasbase.com" in why


@pytest.mark.parametrize(
    ("email", "first"),
    [
        ("soren.smith@acme.com", "soren"),
        ("smith_soren@acme.com", "soren"),
        ("ssmith@acme.com", "s"),
        ("smith@acme.com", ""),  # the family name alone says nothing of the first
        ("info@acme.com", ""),
        ("", ""),
    ],
)
def test_which_addresses_spell_a_first_name(email: str, first: str) -> None:
    assert first_name_from_email(email, ("smith",)) == first


def test_a_record_without_a_first_name_is_found_among_namesakes_and_linked_on_evidence(
    rules: RuleSet,
) -> None:
    """No first name and no address to read it from: the family name, the employer, the
    title and the city; sixty Søren Smiths elsewhere must not crowd it out of blocking."""
    crm = [
        Person(
            "r",
            "",
            "Smith",
            company="Atlasbase Media B.V.",
            title="Head of Growth",
            city="Amsterdam",
        ),
        *(Person(f"n{i}", "Søren", "Smith", company=f"Other {i}", city="Oslo") for i in range(60)),
    ]
    result = Matcher(rules, crm).match(SOREN)
    assert result.decision is Decision.LINK
    assert result.link is not None and result.link.person_id == "r"
    [name] = [c for c in result.link.contributions if c.comparison == "name"]
    assert name.level == "no_first_name"


def test_a_record_without_a_first_name_and_a_family_name_alone_is_not_linked(
    rules: RuleSet,
) -> None:
    person = Person("r", "", "Smith", company="Globex", city="Chicago")
    result = Matcher(rules, [person]).match(
        Profile("p", platform="x", display_name="Søren Smith", location="Chicago")
    )
    assert result.decision is not Decision.LINK


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("Dr. Jane", "Doe"),
        ("Prof. Jane", "Doe"),
        ("Jane", "Doe PhD"),
        ("Jane", "Doe, Jr."),
        ("JANE", "DOE"),
        ("Doe", "Jane"),  # swapped fields
    ],
)
def test_titles_suffixes_capitals_and_swapped_fields_are_the_same_name(
    rules: RuleSet, first: str, last: str
) -> None:
    rule = next(c for c in rules.comparisons if c.comparator == "person_name")
    left, right = {"name": ("Jane Doe",)}, {"first_name": (first,), "last_name": (last,)}
    level, why = COMPARATORS["person_name"](left, right, rule)
    assert level == "exact", why


def test_a_handle_is_read_the_way_round_of_a_record_with_swapped_fields(rules: RuleSet) -> None:
    rule = next(c for c in rules.comparisons if c.comparator == "handle_name")
    right = {"first_name": ("Wilson",), "last_name": ("Johnnie",)}
    level, why = COMPARATORS["handle_name"]({"handle": ("jwilson",)}, right, rule)
    assert level == "initial_last"
    assert "swapped" in why


@pytest.mark.parametrize(
    ("handle", "level"),
    [
        ("jeffrey_rodriguez", "exact"),
        ("rodriguez.jeffrey", "exact"),
        ("jeff_rodriguez", "nickname"),
        ("jrodriguez", "initial"),
        ("coffeelover42", "null"),  # no name anywhere: nothing to compare
        ("maria_rodriguez", "null"),
    ],
)
def test_an_emoji_only_display_name_is_read_from_the_handle(
    rules: RuleSet, handle: str, level: str
) -> None:
    rule = next(c for c in rules.comparisons if c.comparator == "person_name")
    left = {"name": ("🌱🌍☕",), "handle": (handle,)}
    right = {"first_name": ("Jeffrey",), "last_name": ("Rodriguez",)}
    assert COMPARATORS["person_name"](left, right, rule)[0] == level


def test_a_rare_family_name_alone_is_worth_more_than_a_common_one(rules: RuleSet) -> None:
    """The family name is weighed by how many records of the whole mirror hold it, those
    with a first name included: one Ackley says more than one of two hundred Smiths."""
    crm = [
        Person("ackley", "", "Ackley", company="Dube"),
        Person("smith", "", "Smith", company="Dube"),
        *(Person(f"s{i}", "Ann", "Smith", company=f"Co {i}") for i in range(200)),
        *(Person(f"o{i}", "Ann", f"Other{i}", company=f"Co {i}") for i in range(200)),
    ]
    m = Matcher(rules, crm)

    def name_weight(shown: str, record: str) -> float:
        result = m.match(Profile("p", platform="x", display_name=shown, bio="at Dube"))
        [cand] = [c for c in result.candidates if c.person_id == record]
        return next(c.weight for c in cand.contributions if c.comparison == "name")

    assert name_weight("Jackie Ackley", "ackley") > name_weight("Jackie Smith", "smith") + 2


def test_records_without_a_first_name_are_each_read_from_their_own_email(
    rules: RuleSet,
) -> None:
    """Two "Smith" records with no first name at one company: the scorer must not take
    the second's outcome for the first's because their name fields are the same."""
    crm = [
        Person("anna", "", "Smith", email="anna.smith@acme.com", company="Acme", city="Oslo"),
        Person("soren", "", "Smith", email="soren.smith@acme.com", company="Acme", city="Oslo"),
    ]
    result = Matcher(rules, crm).match(
        Profile("p", platform="x", display_name="Søren Smith", bio="at Acme", location="Oslo")
    )
    levels = {
        c.person_id: next(x.level for x in c.contributions if x.comparison == "name")
        for c in result.candidates
    }
    assert levels == {"soren": "exact", "anna": "different"}
    assert result.link is not None and result.link.person_id == "soren"
