"""A company's history in a bio: the CRM's company named as a former name or a former employer
is the same employer, not another one (issue 23, "company history")."""

from __future__ import annotations

import pytest

from enrich.matching.profile import Person, Profile
from enrich.matching.rules import RuleSet
from enrich.matching.scorer import Decision, Matcher

JANE = Person("jane", "Jane", "Doe", company="Oldco Inc", city="Boston")


def _company_level(rules: RuleSet, bio: str) -> tuple[str, Decision]:
    result = Matcher(rules, [JANE]).match(
        Profile("p", platform="x", display_name="Jane Doe", bio=bio, location="Boston, MA")
    )
    [level] = [c.level for c in result.candidates[0].contributions if c.comparison == "company"]
    return level, result.decision


@pytest.mark.parametrize(
    "bio",
    [
        "Head of Sales at Newco (formerly Oldco)",  # renamed: the CRM has the old name
        "Head of Sales at Newco, ex-Oldco",  # moved on: the CRM record is still hers
        "Head of Sales @ Newco. Previously Oldco.",
    ],
)
def test_the_crm_company_named_as_the_past_is_the_same_employer(rules: RuleSet, bio: str) -> None:
    assert _company_level(rules, bio) == ("exact", Decision.LINK)
