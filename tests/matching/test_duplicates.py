"""One person held twice in the CRM: which records are duplicates, and which one a profile
is linked to."""

from __future__ import annotations

from dataclasses import replace

import pytest

from enrich.errors import ConfigError
from enrich.matching.batch import decide_many
from enrich.matching.duplicates import Duplicates, pairs
from enrich.matching.profile import Person, Profile
from enrich.matching.rules import RuleSet, dump_rules, parse_rules
from enrich.matching.scorer import DUPLICATES, Decision, Matcher

RULE = Duplicates()


def _person(pid: str, first: str = "Robert", last: str = "Smith", **kw: str) -> Person:
    return Person(pid, first, last, **kw)


def test_same_name_and_company_are_duplicates_whatever_the_legal_form() -> None:
    a = _person("a", company="Acme Inc.", email="rsmith@acme.com")
    b = _person("b", company="ACME", email="bob.smith@gmail.com")
    assert RULE.are_duplicates(a, b)


def test_a_nickname_and_a_shared_phone_are_duplicates() -> None:
    a = _person("a", phone="+1 (415) 555-0134")
    b = _person("b", first="Bob", phone="415.555.0134")
    assert RULE.are_duplicates(a, b)


def test_same_company_domain_or_linkedin_profile_are_duplicates() -> None:
    assert RULE.are_duplicates(
        _person("a", email="rsmith@acme.com"), _person("b", email="robert@mail.acme.com")
    )
    assert RULE.are_duplicates(
        _person("a", linkedin_url="https://www.linkedin.com/in/rsmith-42/"),
        _person("b", linkedin_url="linkedin.com/in/RSmith-42"),
    )


def test_namesakes_at_two_employers_are_not_duplicates() -> None:
    a = _person("a", company="Acme", email="rsmith@acme.com", city="Boston")
    b = _person("b", company="Globex", email="rsmith@globex.com", city="Boston")
    assert not RULE.are_duplicates(a, b)


def test_a_name_alone_or_evidence_alone_is_not_a_duplicate() -> None:
    assert not RULE.are_duplicates(_person("a", city="Boston"), _person("b", city="Boston"))
    other = _person("b", first="Jane", last="Doe", company="Acme")
    assert not RULE.are_duplicates(_person("a", company="Acme"), other)
    no_first = _person("b", first="", company="Acme")
    assert not RULE.are_duplicates(_person("a", company="Acme"), no_first)


def test_email_local_part_counts_only_beside_a_free_mail_address() -> None:
    rule = Duplicates(evidence=("email_local",))
    work = _person("a", email="r.smith@acme.com")
    assert rule.are_duplicates(work, _person("b", email="R.Smith+crm@gmail.com"))
    assert not rule.are_duplicates(work, _person("b", email="r.smith@globex.com"))
    assert not RULE.are_duplicates(work, _person("b", email="r.smith@gmail.com"))


def test_pairs_finds_each_pair_once_with_its_evidence_and_drops_crowded_keys() -> None:
    people = [
        _person("a", company="Acme", phone="4155550134"),
        _person("b", first="Bob", company="Acme Inc", phone="415-555-0134"),
        _person("c", company="Globex"),
        _person("d", first="Jane", last="Doe", company="Acme"),
    ]
    found = list(pairs(people, RULE))
    assert [(p.first, p.second, p.evidence) for p in found] == [(0, 1, ("company", "phone"))]
    crowd = [_person(str(i), company="Acme") for i in range(5)]
    assert len(list(pairs(crowd, Duplicates(max_group=5)))) == 10
    assert list(pairs(crowd, Duplicates(max_group=4))) == []


# A profile that both records of one Robert Smith match strongly, and the two records.
PROFILE = Profile(
    "p", platform="x", display_name="Robert Smith", bio="CTO at Acme", location="Boston, MA"
)
LEAD = _person("lead", company="Acme", city="Boston", record_type="lead", modified_at="2026-05-01")
CONTACT = _person(
    "contact", company="Acme Inc.", city="Boston", record_type="contact", modified_at="2025-01-01"
)


def _match(rules: RuleSet, people: list[Person], profile: Profile = PROFILE) -> Decision | str:
    result = Matcher(rules, people).match(profile)
    return result.link.person_id if result.link else result.decision


def test_duplicates_link_to_the_contact_rather_than_going_to_review(rules: RuleSet) -> None:
    assert _match(rules, [LEAD, CONTACT]) == "contact"
    link = Matcher(rules, [LEAD, CONTACT]).match(PROFILE).link
    assert link is not None
    [note] = [c for c in link.contributions if c.comparison == DUPLICATES]
    assert note.weight == 0.0
    assert "kept contact contact over lead lead" in note.explanation


def test_survivor_criteria_apply_in_the_order_the_rules_give(rules: RuleSet) -> None:
    two_leads = [LEAD, replace(CONTACT, record_type="lead")]
    assert _match(rules, two_leads) == "lead"  # no contact: the most recently changed
    mailed = replace(PROFILE, email="robert@acme.com")
    with_mail = [LEAD, replace(CONTACT, email="ROBERT@acme.com")]
    by_mail = replace(rules, duplicates=Duplicates(survivor=("exact_email", "contact")))
    assert _match(by_mail, [replace(LEAD, email="robert@acme.com"), CONTACT], mailed) == "lead"
    assert _match(by_mail, with_mail, mailed) == "contact"
    recent = replace(rules, duplicates=Duplicates(survivor=("recent",)))
    assert _match(recent, [LEAD, CONTACT]) == "lead"


def test_without_survivor_criteria_duplicates_go_to_review(rules: RuleSet) -> None:
    off = replace(rules, duplicates=Duplicates(survivor=()))
    assert _match(off, [LEAD, CONTACT]) is Decision.REVIEW


def test_a_strong_namesake_outside_the_duplicates_still_sends_to_review(rules: RuleSet) -> None:
    # The two records of one Robert Smith (Acme, another title) and another Robert Smith
    # (the title, no company): the margin is measured to him, not to the duplicate.
    stale = [replace(r, title="VP Sales") for r in (LEAD, CONTACT)]
    namesake = _person("other", title="CTO", city="Boston", email="rs@initech.com")
    result = Matcher(rules, [*stale, namesake]).match(PROFILE)
    scores = {c.person_id: c.score for c in result.candidates}
    assert scores["contact"] >= rules.thresholds.link
    assert scores["contact"] - scores["other"] < rules.thresholds.ambiguity_margin
    assert result.decision is Decision.REVIEW
    assert {c.person_id for c in result.reviews} == {"lead", "contact", "other"}


def test_batch_deciding_links_the_same_survivor(rules: RuleSet) -> None:
    m = Matcher(rules, [LEAD, CONTACT, _person("x", first="Jane", company="Initech")])
    [(_, batch)] = decide_many(m, [PROFILE])
    assert [(c.person_id, c.decision) for c in batch] == [("contact", Decision.LINK)]


def test_the_rules_file_configures_duplicates_and_dumps_them_back(rules: RuleSet) -> None:
    data = dump_rules(rules).rstrip() + (
        "\nduplicates: {evidence: [phone, company], survivor: [recent], max_group: 5}\n"
    )
    parsed = parse_rules(data, "r.yaml")
    assert parsed.duplicates == Duplicates(("phone", "company"), ("recent",), 5)
    assert parse_rules(dump_rules(parsed)) == parsed
    assert "duplicates" not in dump_rules(rules)  # the default is not written out


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("{survivor: [oldest]}", "duplicates.survivor: unknown 'oldest'; known: contact,"),
        ("{evidence: [name]}", "duplicates.evidence: unknown 'name'; known: email_local,"),
        ("{evidence: []}", "duplicates.evidence: at least one is needed"),
        ("{survivor: contact}", "duplicates.survivor: expected a list, got 'contact'"),
        ("{survivor: [contact, contact]}", "names one item twice"),
        ("{max_group: 1}", "duplicates.max_group must be an integer >= 2, got 1"),
        ("{keep: [contact]}", "duplicates: unknown key 'keep'; expected one of evidence,"),
        ("[contact]", "duplicates: expected a mapping"),
    ],
)
def test_a_bad_duplicates_section_is_refused_with_its_place(
    rules: RuleSet, section: str, message: str
) -> None:
    with pytest.raises(ConfigError) as e:
        parse_rules(dump_rules(rules).rstrip() + f"\nduplicates: {section}\n", "r.yaml")
    assert str(e.value).startswith("r.yaml: ") and message in str(e.value)
