"""Which stored profiles a new or changed CRM record sends back to the matcher."""

from __future__ import annotations

from enrich.matching.blocking import person_keys, profile_keys, rematch_keys
from enrich.matching.profile import Person, Profile
from enrich.matching.rules import default_rules

FAMILIES = default_rules().blocking.keys


def reaches(person: Person, profile: Profile) -> bool:
    return bool(
        rematch_keys(person_keys(person, FAMILIES)) & rematch_keys(profile_keys(profile, FAMILIES))
    )


def person(first: str, last: str, **kw: str) -> Person:
    return Person(id="1", first_name=first, last_name=last, **kw)


def profile(name: str, handle: str = "", **kw: str) -> Profile:
    return Profile(key="p", platform="x", user_id="1", handle=handle, display_name=name, **kw)


def test_a_record_reaches_the_profiles_that_name_it_in_any_form() -> None:
    robert = person("Robert", "Smith", email="rs@acme.example")
    assert reaches(robert, profile("Bob Smith"))  # a nickname with another initial
    assert reaches(robert, profile("R. Smith"))
    assert reaches(robert, profile("", handle="smithr"))
    assert reaches(robert, profile("Bob S."))
    assert reaches(robert, profile("Someone", email="rs@acme.example"))
    assert reaches(
        person("Dana", "Whitfield", twitter_handle="@dw_data"), profile("DW", handle="dw_data")
    )


def test_a_record_does_not_reach_people_it_cannot_be() -> None:
    robert = person("Robert", "Smith")
    assert not reaches(robert, profile("Jane Doe", handle="janedoe"))
    assert not reaches(robert, profile("Robert Jones"))


def test_a_profile_keeps_far_fewer_rematch_keys_than_blocking_keys() -> None:
    p = profile(
        "Jonathan Rossi | CFO at Apexleaf",
        handle="jrossi_apexleaf",
        bio="CFO. Opinions my own",
        location="Singapore",
    )
    keys = profile_keys(p, FAMILIES)
    assert len(rematch_keys(keys)) * 3 < len(keys)
