"""Batch deciding (``enrich match``, backfills): the same links and review pairs as ``match``."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from enrich.errors import ConfigError
from enrich.matching.batch import decide_many
from enrich.matching.cli import match
from enrich.matching.comparators import COMPARATORS, FAST_LEVELS
from enrich.matching.forked import shared_chunks
from enrich.matching.profile import Person, Profile
from enrich.matching.rules import Blocking, RuleSet, parse_rules
from enrich.matching.scorer import Decision, Matcher

# A FEBRL-like rule set: names plus address fields compared as plain strings.
ADDRESS_RULES = """
version: addr-1
prior_weight: -8
thresholds: {link: 0.0, review: -4.0, ambiguity_margin: 1.0}
blocking:
  keys: [name, initial, exact:extra.postcode, exact:extra.number+extra.street]
  max_postings: 1000
  max_candidates: 40
left:
  id: id
  columns: {display_name: [given, family], extra.number: number, extra.street: street,
            extra.postcode: postcode, extra.city: city}
right:
  id: id
  columns: {first_name: given, last_name: family, extra.number: number,
            extra.street: street, extra.postcode: postcode, extra.city: city}
comparisons:
  - name: name
    comparator: person_name
    left: {name: display_name}
    right: {first_name: first_name, last_name: last_name}
    levels:
      exact: {weight: 10.0, tf_weight: 1.0, tf_min_bits: -3.0, tf_max_bits: 3.0}
      nickname: 8
      initial: 4
      fuzzy: 7
      first_name_last_initial: 3
      last_name_only: 3
      first_name_only: 2
      initials_only: 1
      different: -4
  - name: number
    comparator: string
    left: {value: extra.number}
    right: {value: extra.number}
    levels: {exact: 4, close: 1, fuzzy: 0, different: -2}
  - name: street
    comparator: string
    left: {value: extra.street}
    right: {value: extra.street}
    levels: {exact: 7, close: 5, fuzzy: 2, different: -3}
  - name: postcode
    comparator: string
    left: {value: extra.postcode}
    right: {value: extra.postcode}
    levels: {exact: 6, close: 2, fuzzy: 1, different: -3}
  - name: city
    comparator: string
    left: {value: extra.city}
    right: {value: extra.city}
    levels:
      exact: {weight: 4.0, tf_weight: 1.0, tf_min_bits: -2.0, tf_max_bits: 2.0}
      close: 3
      fuzzy: 1
      different: -2
"""

FIRST = ["john", "jon", "robert", "bob", "mary", "maria", "anna", "ann", "liam", "noah"]
FAMILY = ["smith", "smyth", "jones", "brown", "taylor", "lee", "nguyen", "white"]
STREETS = ["high street", "station road", "church lane", "mill road", "park avenue"]
CITIES = ["springfield", "riverton", "lakeside", "hillview"]


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 3 or rng.random() < 0.6:
        return s
    i = rng.randrange(1, len(s))
    return s[:i] + s[i + 1 :]


def _world(seed: int) -> tuple[list[Person], list[Profile]]:
    """People sharing names, streets and cities; profiles of some with typos, of others not."""
    rng = random.Random(seed)
    people, profiles = [], []
    for i in range(400):
        given, family = rng.choice(FIRST), rng.choice(FAMILY)
        number, street = str(rng.randint(1, 30)), rng.choice(STREETS)
        postcode, city = str(rng.randint(2000, 2040)), rng.choice(CITIES)
        extra = (("number", number), ("street", street), ("postcode", postcode), ("city", city))
        people.append(Person(f"c{i}", given.title(), family.title(), extra=extra))
        if rng.random() < 0.7:
            noisy = tuple((k, _typo(rng, v) if rng.random() < 0.3 else v) for k, v in extra)
            if rng.random() < 0.2:
                noisy = tuple((k, "" if k == "postcode" else v) for k, v in noisy)
            profiles.append(
                Profile(f"p{i}", display_name=f"{_typo(rng, given)} {family}", extra=noisy)
            )
    return people, profiles


def _expected(m: Matcher, profiles: list[Profile]) -> list[tuple[str, tuple[object, ...]]]:
    return [
        (r.profile_key, tuple(c for c in r.candidates if c.decision is not Decision.NONE))
        for r in map(m.match, profiles)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batch_writes_exactly_the_links_and_reviews_match_decides(seed: int) -> None:
    people, profiles = _world(seed)
    m = Matcher(parse_rules(ADDRESS_RULES, "addr.yaml"), people)
    expected = _expected(m, profiles)
    assert any(c.decision is Decision.LINK for _, cs in expected for c in cs)
    assert any(c.decision is Decision.REVIEW for _, cs in expected for c in cs)
    assert list(decide_many(m, profiles)) == expected


def test_batch_agrees_with_match_under_the_social_default_rules(matcher: Matcher) -> None:
    profiles = [
        Profile(
            "a", "x", handle="bob_s", display_name="Bob Smith", bio="VP Eng @ Acme", location="NYC"
        ),
        Profile("b", "x", display_name="Robert Smith"),
        Profile("c", "x", handle="janed_real", display_name="Jane D."),
        Profile("d", "x", display_name="John Miller", bio="at Hooli", location="London"),
        Profile("e", "x", display_name="Jose Garcia Lopez", location="Madrid"),
        Profile("f", "x", display_name="Zed Quux"),
    ]
    assert list(decide_many(matcher, profiles)) == _expected(matcher, profiles)


def test_batch_in_two_processes_equals_one() -> None:
    people, profiles = _world(4)
    m = Matcher(parse_rules(ADDRESS_RULES, "addr.yaml"), people)
    one = list(decide_many(m, profiles, workers=1, chunk_size=50))
    assert list(decide_many(m, profiles, workers=2, chunk_size=50)) == one


def test_index_built_in_two_processes_equals_one() -> None:
    people, profiles = _world(5)
    rules = parse_rules(ADDRESS_RULES, "addr.yaml")
    one, two = Matcher(rules, people), Matcher(rules, people, workers=2)
    assert two.index_stats() == one.index_stats()
    assert [two.match(p) for p in profiles] == [one.match(p) for p in profiles]
    assert list(decide_many(two, profiles, workers=2, chunk_size=50)) == _expected(one, profiles)


def test_a_failure_in_a_forked_worker_is_raised_in_the_caller() -> None:
    def work(i: int) -> int:
        if i == 5:
            raise ValueError(f"chunk {i} failed")
        return i

    with pytest.raises(ValueError, match="chunk 5 failed"), shared_chunks(work, 10, 1) as results:
        list(results)
    with shared_chunks(work, 5, 1) as results:
        assert list(results) == [0, 1, 2, 3, 4]


def test_exact_key_on_several_fields_blocks_on_all_of_them_together() -> None:
    rules = replace(
        parse_rules(ADDRESS_RULES, "addr.yaml"),
        blocking=Blocking(("exact:extra.number+extra.street",)),
    )
    same = (("number", "12"), ("street", "High Street"))
    people = [
        Person("same-address", "Ann", "Lee", extra=same),
        Person("same-street", "Ann", "Lee", extra=(("number", "14"), ("street", "High Street"))),
        Person("no-number", "Ann", "Lee", extra=(("street", "High Street"),)),
    ]
    m = Matcher(rules, people)
    got = m.candidates(
        Profile(
            "p", display_name="Mary Jones", extra=(("number", "12"), ("street", "high  street"))
        )
    )
    assert [p.id for p in got] == ["same-address"]
    no_number = Profile("q", display_name="Ann Lee", extra=(("street", "High Street"),))
    assert m.candidates(no_number) == []


def test_exact_key_fields_are_each_validated() -> None:
    assert Blocking(("exact:extra.a+extra.b",)).keys == ("exact:extra.a+extra.b",)
    with pytest.raises(ConfigError, match="'exact:extra.a\\+city' must name a field both sides"):
        Blocking(("exact:extra.a+city",))
    with pytest.raises(ConfigError, match="must name a field both sides"):
        Blocking(("exact:extra.a+",))


def test_cli_output_is_the_same_with_one_or_two_workers(tmp_path: Path) -> None:
    people, profiles = _world(5)
    head = "id,given,family,number,street,postcode,city\n"

    def row(rid: str, given: str, family: str, extra: tuple[tuple[str, str], ...]) -> str:
        e = dict(extra)
        return (
            ",".join(
                [rid, given, family]
                + [e.get(k, "") for k in ("number", "street", "postcode", "city")]
            )
            + "\n"
        )

    (tmp_path / "right.csv").write_text(
        head + "".join(row(p.id, p.first_name, p.last_name, p.extra) for p in people)
    )
    (tmp_path / "left.csv").write_text(
        head + "".join(row(p.key, *p.display_name.split(" ", 1), p.extra) for p in profiles)
    )
    (tmp_path / "rules.yaml").write_text(ADDRESS_RULES)
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"links{workers}.csv"
        result = CliRunner().invoke(
            match,
            [
                "--left",
                str(tmp_path / "left.csv"),
                "--right",
                str(tmp_path / "right.csv"),
                "--rules",
                str(tmp_path / "rules.yaml"),
                "--out",
                str(out),
                "--workers",
                workers,
            ],
        )
        assert result.exit_code == 0, result.output
        outs.append(out.read_text())
    assert outs[0] == outs[1]
    assert outs[0].count(",link,") > 50


DISPLAY_PARTS = [
    "Bob",
    "Robert",
    "Rob",
    "J.",
    "J",
    "Jane",
    "Jon",
    "John",
    "Smith",
    "Smyth",
    "Smth",
    "van der Berg",
    "Berg",
    "García López",
    "Garcia",
    "Lopez",
    "Liz",
    "Elizabeth",
    "Ann",
    "Anna",
    "Lee",
    "Le",
    "PhD",
    "JS",
    "K.D.",
    "Zed",
    "Quux",
]
CRM_NAMES = [
    ("Robert", "Smith"),
    ("John", "Smith"),
    ("Jane", "Doe"),
    ("Priya", "van der Berg"),
    ("José", "García López"),
    ("Elizabeth", "Lee"),
    ("Ann", "Berg"),
    ("", "Smith"),
    ("Zed", ""),
    ("Kim", "Do"),
]


def test_person_name_fast_level_is_the_comparator_s_whenever_it_answers(rules: RuleSet) -> None:
    rule = next(c for c in rules.comparisons if c.comparator == "person_name")
    fast = FAST_LEVELS["person_name"]
    level = fast.bind(rule)
    rng = random.Random(7)
    answered = 0
    for _ in range(3000):
        shown = " ".join(rng.sample(DISPLAY_PARTS, rng.randint(1, 3)))
        first, last = rng.choice(CRM_NAMES)
        left = {"name": (shown,), "handle": ()}
        right = {"first_name": (first,) if first else (), "last_name": (last,) if last else ()}
        got = level(fast.prepare(left), fast.prepare_right(right))
        if got is not None:
            answered += 1
            assert got == COMPARATORS["person_name"](left, right, rule)[0], (shown, first, last)
    assert answered > 300  # it does answer for names that have nothing in common
