"""Who gets linked, who goes to review, and who is left alone."""

from __future__ import annotations

from dataclasses import replace

import pytest

from enrich.matching.duplicates import Duplicates
from enrich.matching.profile import Person, Profile
from enrich.matching.rules import Blocking, RuleSet
from enrich.matching.scorer import Decision, Matcher


def _p(display_name: str = "", **kw: str) -> Profile:
    return Profile(
        key=kw.pop("key", "p"), platform=kw.pop("platform", "x"), display_name=display_name, **kw
    )


def test_nickname_bob_links_to_robert_at_same_company(matcher: Matcher) -> None:
    r = matcher.match(_p("Bob Smith", handle="bob_s", bio="VP Eng @ Acme", location="NYC"))
    assert r.link is not None and r.link.person_id == "robert-acme"
    levels = {c.comparison: c.level for c in r.link.contributions}
    assert levels["name"] == "nickname" and levels["company"] == "exact"


def test_homonym_at_other_company_is_not_auto_linked(matcher: Matcher) -> None:
    r = matcher.match(_p("Robert Smith", handle="rsmith", bio="Founder at Vandelay Industries"))
    assert r.link is None


def test_homonym_in_other_city_is_not_auto_linked(matcher: Matcher) -> None:
    r = matcher.match(_p("Robert Smith", handle="robertsmith", location="Paris, France"))
    assert r.link is None


def test_same_name_without_corroboration_goes_to_review_not_link(matcher: Matcher) -> None:
    r = matcher.match(_p("Robert Smith", handle="robertsmith"))
    assert r.decision is Decision.REVIEW
    assert {c.person_id for c in r.reviews} == {"robert-acme", "robert-globex"}


def test_two_strong_candidates_are_both_sent_to_review(rules: RuleSet) -> None:
    twins = [
        Person("a", "Sam", "Lee", company="Acme", city="Boston"),
        Person("b", "Samuel", "Lee", company="Acme", city="Boston"),
    ]
    # By name and company they are one person's two records (test_duplicates.py): with
    # the survivor rule off they compete as namesakes do.
    rules = replace(rules, duplicates=Duplicates(survivor=()))
    r = Matcher(rules, twins).match(_p("Sam Lee", bio="CTO at Acme", location="Boston, MA"))
    assert r.link is None
    assert {c.person_id for c in r.reviews} == {"a", "b"}


def test_near_namesake_at_same_company_is_never_linked_in_its_place(matcher: Matcher) -> None:
    r = matcher.match(_p("Jon Miller", bio="Eng at Hooli", location="London, UK"))
    assert r.candidates[0].person_id == "jon-hooli"
    assert r.link is None or r.link.person_id == "jon-hooli"
    r = matcher.match(_p("John Miller", handle="johnmiller", bio="Eng at Hooli", location="London"))
    assert r.candidates[0].person_id == "john-hooli"
    assert r.link is None or r.link.person_id == "john-hooli"


def test_colleague_with_another_first_name_is_not_linked(matcher: Matcher) -> None:
    r = matcher.match(_p("Sarah Miller", bio="Design at Hooli", location="London"))
    assert r.decision is Decision.NONE


@pytest.mark.parametrize(
    "shown",
    [
        "Dr. Robert Smith, PhD | VP Eng at Acme 🚀",
        "ROBERT SMITH - Acme",
        "Smith, Robert",
        "𝐑𝐨𝐛𝐞𝐫𝐭 𝐒𝐦𝐢𝐭𝐡 @ Acme",
    ],
)
def test_display_name_noise_still_links(matcher: Matcher, shown: str) -> None:
    r = matcher.match(_p(shown, bio="Acme", location="New York, NY"))
    assert r.link is not None and r.link.person_id == "robert-acme"


def test_cyrillic_spelling_matches_transliterated_crm_name(matcher: Matcher) -> None:
    r = matcher.match(_p("Дмитрий Иванов", bio="CTO at Umbrella", location="Berlin"))
    assert r.link is not None and r.link.person_id == "dmitry"


def test_missing_diacritics_and_compound_family_name_link(matcher: Matcher) -> None:
    r = matcher.match(_p("Jose Garcia", bio="Sales @ Contoso", location="Madrid"))
    assert r.link is not None and r.link.person_id == "jose"


def test_acronym_of_company_counts(matcher: Matcher) -> None:
    r = matcher.match(_p("Priya Patel", bio="Research at IBM", location="SF"))
    assert r.link is not None and r.link.person_id == "ibm"


def test_stored_x_handle_is_decisive(matcher: Matcher) -> None:
    r = matcher.match(_p("JD ✨", handle="janed_real", platform="x"))
    assert r.link is not None and r.link.person_id == "jane-initech"


def test_stored_linkedin_url_is_decisive(matcher: Matcher) -> None:
    r = matcher.match(
        _p("Anna K.", platform="linkedin", url="https://linkedin.com/in/Anna-Kowalski-42")
    )
    assert r.link is not None and r.link.person_id == "li"


def test_exact_email_links(matcher: Matcher) -> None:
    r = matcher.match(_p("P.", email="PPatel@ibm.com"))
    assert r.link is not None and r.link.person_id == "ibm"


def test_person_not_in_crm_gets_no_match(matcher: Matcher) -> None:
    r = matcher.match(_p("Zed Quux", handle="zq", bio="at Nowhere"))
    assert r.decision is Decision.NONE and r.link is None


def test_each_candidate_explains_every_comparison(matcher: Matcher, rules: RuleSet) -> None:
    r = matcher.match(_p("Bob Smith", bio="at Acme"))
    top = r.candidates[0]
    assert [c.comparison for c in top.contributions] == [c.name for c in rules.comparisons]
    assert top.score == pytest.approx(
        r.prior_weight + sum(c.weight for c in top.contributions), abs=5e-5
    )  # scores are kept to 4 decimals
    assert all(c.explanation for c in top.contributions)
    assert r.rule_version == rules.version


def test_over_frequent_blocking_keys_are_skipped(rules: RuleSet) -> None:
    many = [Person(str(i), "John", "Smith", company=f"Co{i}") for i in range(50)]
    capped = RuleSet(
        rules.version,
        rules.prior_weight,
        rules.thresholds,
        Blocking(("name",), max_postings=10, max_candidates=40),
        rules.comparisons,
    )
    m = Matcher(capped, many)
    assert m.candidates(_p("John Smith")) == []
    assert m.index_stats()["stopped_keys"] >= 1


def test_candidates_are_capped(rules: RuleSet) -> None:
    many = [Person(str(i), "John", "Smith", company=f"Co{i}") for i in range(50)]
    m = Matcher(rules, many)
    assert len(m.candidates(_p("John Smith"))) == rules.blocking.max_candidates


def test_a_capped_initial_and_family_name_keeps_the_namesakes_in_the_profiles_city(
    rules: RuleSet,
) -> None:
    """ "J. Rossi" shares one key with every J. Ross, Rossi and Russo: past the cap, the one
    in the profile's city is still compared, though it is the newest record."""
    elsewhere = [
        Person(str(i), first, last, city="Paris")
        for i, (first, last) in enumerate(
            (f, la)
            for f in (
                "James",
                "Jane",
                "Jason",
                "Jessica",
                "Joseph",
                "Julia",
                "Jonathan",
                "Jack",
                "Jennifer",
                "Jordan",
            )
            for la in ("Ross", "Rossi", "Russo", "Rose", "Reyes")
        )
    ]
    john = Person("john", "John", "Rossi", title="CFO", city="Singapore")
    m = Matcher(rules, [*elsewhere, john])
    assert len(elsewhere) > rules.blocking.max_candidates
    profile = _p("J. Rossi", handle="jrossi3", bio="CFO. Opinions my own", location="Singapore")
    assert "john" in {p.id for p in m.candidates(profile)}
    assert m.match(profile).candidates[0].person_id == "john"


def test_stated_title_tells_namesakes_apart(rules: RuleSet) -> None:
    namesakes = [
        Person("cfo", "Olivia", "Schmidt", company="Pixelmind", title="CFO", city="Berlin"),
        Person(
            "sales", "Olivia", "Schmidt", company="Apexloop", title="Head of Sales", city="Berlin"
        ),
    ]
    r = Matcher(rules, namesakes).match(
        _p(
            "Olivia Schmidt",
            handle="olivia_schmidt",
            bio="Head of Sales. Opinions my own",
            location="Berlin",
        )
    )
    assert r.link is not None and r.link.person_id == "sales"
    why = {c.comparison: c.explanation for c in r.link.contributions}
    assert "Head of Sales" in why["title"]


def test_initial_and_handle_spelling_the_name_link_like_the_full_name(rules: RuleSet) -> None:
    people = [
        Person("laura", "Laura", "Jones", company="Blueflow", city="Sydney"),
        Person("lucas", "Lucas", "Jones", company="Falconstack", city="Sydney"),
    ]
    r = Matcher(rules, people).match(
        _p("L. Jones", handle="laurajones51", bio="CTO at Blueflow", location="Sydney")
    )
    assert r.link is not None and r.link.person_id == "laura"
    level = next(c.level for c in r.link.contributions if c.comparison == "name")
    assert level == "exact"


def test_pet_name_spelled_another_way_still_finds_the_crm_name(rules: RuleSet) -> None:
    people = [Person("susan", "Susan", "Reed", company="Oscorp", city="Boston")]
    r = Matcher(rules, people).match(_p("Suzy Reed", bio="VP Eng @Oscorp", location="Boston"))
    assert r.link is not None and r.link.person_id == "susan"
