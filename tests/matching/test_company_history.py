"""A company's history: the CRM's company named in a bio as a former name or a former
employer, or a new brand a CRM field lists among the company's other names, is the same
employer, not another one (issue 23, "company history")."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from enrich.errors import ConfigError
from enrich.matching.cli import match
from enrich.matching.profile import Person, Profile
from enrich.matching.rules import RuleSet, parse_rules
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


RENAMED = Person(
    "jane", "Jane", "Doe", company="Oldco Inc", former_names="Newco; Newco Labs", city="Boston"
)


@pytest.mark.parametrize(
    "bio",
    ["Head of Sales at Newco", "Head of Sales at Newco Labs", "Head of Sales @ NEWCO"],
)
def test_a_new_brand_the_crm_field_lists_is_the_same_employer(rules: RuleSet, bio: str) -> None:
    result = Matcher(rules, [RENAMED]).match(
        Profile("p", platform="x", display_name="Jane Doe", bio=bio, location="Boston, MA")
    )
    [company] = [c for c in result.candidates[0].contributions if c.comparison == "company"]
    assert company.level == "exact"
    assert "another name of 'Oldco Inc'" in company.explanation
    assert result.decision is Decision.LINK


def test_a_company_the_field_does_not_list_is_still_another_employer(rules: RuleSet) -> None:
    assert _company_level_of(rules, RENAMED, "Head of Sales at Globex") == "different"
    # Without the field the new brand is another employer, as before.
    assert _company_level(rules, "Head of Sales at Newco") == ("different", Decision.NONE)


def _company_level_of(rules: RuleSet, person: Person, bio: str) -> str:
    result = Matcher(rules, [person]).match(
        Profile("p", platform="x", display_name="Jane Doe", bio=bio, location="Boston, MA")
    )
    [level] = [c.level for c in result.candidates[0].contributions if c.comparison == "company"]
    return level


def test_enrich_match_reads_the_former_names_from_the_column_the_rules_map(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "rules.yaml"
    shipped = (Path(__file__).parents[2] / "enrich/matching/default_rules.yaml").read_text()
    rules.write_text(
        shipped.replace("version: social-default", "version: renamed-test").replace(
            "    twitter_handle: twitter_handle\n",
            "    twitter_handle: twitter_handle\n    former_names: Former_Names__c\n",
            1,
        )
    )
    (tmp_path / "p.csv").write_text(
        "key,platform,user_id,handle,display_name,bio,location,url,email\n"
        "p1,x,1,janed,Jane Doe,Head of Sales at Newco,Boston,,\n"
    )
    (tmp_path / "c.csv").write_text(
        "id,first_name,last_name,email,company,title,city,country,linkedin_url,"
        "twitter_handle,Former_Names__c\n"
        "c1,Jane,Doe,,Oldco Inc,,Boston,,,,Newco\n"
    )
    out = tmp_path / "links.csv"
    done = CliRunner().invoke(
        match,
        [
            "--left",
            str(tmp_path / "p.csv"),
            "--right",
            str(tmp_path / "c.csv"),
            "--rules",
            str(rules),
            "--out",
            str(out),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "p1,c1," in out.read_text() and ",link," in out.read_text()


def test_a_new_brand_on_the_crm_companys_own_website_is_not_another_employer(
    rules: RuleSet,
) -> None:
    """The account's website domain: the bio says "Newco", the profile's site is
    ocgroup.com, the domain of the record's email: a rename, not a job change."""
    person = Person("jane", "Jane", "Doe", email="jane@ocgroup.com", company="Oldco Inc")
    result = Matcher(rules, [person]).match(
        Profile(
            "p",
            platform="linkedin",
            display_name="Jane Doe",
            bio="Head of Sales at Newco",
            website="https://www.ocgroup.com",
            location="Boston",
        )
    )
    levels = {c.comparison: c.level for c in result.candidates[0].contributions}
    assert levels["company"] == "no_mention"
    assert levels["domain"] == "exact"
    # ... and another site says nothing for it: the other brand stays another employer.
    other = Matcher(rules, [person]).match(
        Profile(
            "p",
            platform="linkedin",
            display_name="Jane Doe",
            bio="Head of Sales at Newco",
            website="https://newco.io",
        )
    )
    assert {c.comparison: c.level for c in other.candidates[0].contributions}["company"] == (
        "different"
    )


def test_a_misspelt_former_names_mapping_is_refused_with_the_fields_known() -> None:
    shipped = (Path(__file__).parents[2] / "enrich/matching/default_rules.yaml").read_text()
    text = shipped.replace(
        "    twitter_handle: twitter_handle\n",
        "    twitter_handle: twitter_handle\n    former_name: Former_Names__c\n",
        1,
    )
    with pytest.raises(ConfigError) as err:
        parse_rules(text, "rules.yaml")
    assert "right.columns: unknown field 'former_name'" in str(err.value)
    assert "former_names" in str(err.value)
