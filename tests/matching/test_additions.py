"""Term frequencies, initials, "Bob S." blocking, generic columns, and the backfill path."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from enrich.errors import ConfigError
from enrich.matching.cli import match
from enrich.matching.comparators import COMPARATORS
from enrich.matching.profile import Person, Profile
from enrich.matching.rules import Blocking, Comparison, Level, RuleSet, dump_rules, parse_rules
from enrich.matching.scorer import Matcher


def _p(display_name: str = "", **kw: str) -> Profile:
    return Profile(
        key=kw.pop("key", "p"), platform=kw.pop("platform", "x"), display_name=display_name, **kw
    )


def _name_weight(m: Matcher, shown: str, person_id: str) -> float:
    cand = next(c for c in m.match(_p(shown)).candidates if c.person_id == person_id)
    return next(c.weight for c in cand.contributions if c.comparison == "name")


def test_rare_surname_agreement_outweighs_common_surname(rules: RuleSet) -> None:
    people = [Person(f"js{i}", "John", "Smith", company=f"Co{i}") for i in range(30)]
    people += [Person(f"o{i}", f"Name{i}", f"Family{i}") for i in range(200)]
    people.append(Person("rare", "Ignatius", "Quarshie", company="Acme"))
    m = Matcher(rules, people)
    common = _name_weight(m, "John Smith", "js0")
    rare = _name_weight(m, "Ignatius Quarshie", "rare")
    assert rare > common + 2.0
    why = next(
        c.explanation
        for c in m.match(_p("Ignatius Quarshie")).candidates[0].contributions
        if c.comparison == "name"
    )
    assert "1 CRM record has this name" in why


def test_common_name_with_city_only_is_reviewed_not_linked(rules: RuleSet) -> None:
    people = [
        Person(f"js{i}", "John", "Smith", company=f"Co{i}", city=f"Town{i}") for i in range(30)
    ]
    people.append(Person("nyc", "John", "Smith", company="Acme", city="New York"))
    r = Matcher(rules, people).match(_p("John Smith", handle="johnsmith", location="NYC"))
    assert r.link is None


@pytest.mark.parametrize(
    ("shown", "level"),
    [
        ("J.S.", "initials_only"),
        ("JS 🚀", "initials_only"),
        ("J. S.", "initials_only"),
        ("K.D.", "different"),
        ("Jo", "first_name_only"),
    ],
)
def test_initials_only_display_name(rules: RuleSet, shown: str, level: str) -> None:
    rule = next(c for c in rules.comparisons if c.comparator == "person_name")
    got = COMPARATORS["person_name"](
        {"name": (shown,)}, {"first_name": ("Jo",), "last_name": ("Smith",)}, rule
    )
    assert got[0] == level


def test_bob_s_reaches_robert_smith_through_blocking(rules: RuleSet) -> None:
    people = [
        Person("rs", "Robert", "Smith", company="Acme", city="Boston"),
        Person("other", "Mary", "Jones", company="Acme", city="Boston"),
    ]
    m = Matcher(rules, people)
    assert [p.id for p in m.candidates(_p("Bob S."))] == ["rs"]
    levels = {c.comparison: c.level for c in m.match(_p("Bob S.")).candidates[0].contributions}
    assert levels["name"] == "first_name_last_initial"


def test_rule_file_without_a_newer_level_still_loads(rules: RuleSet) -> None:
    text = dump_rules(rules)
    assert "initials_only" in text
    lines = text.splitlines()
    at = lines.index("    initials_only:")
    assert lines[at + 1].startswith("      weight:")
    old = "\n".join(lines[:at] + lines[at + 2 :])  # the level and its weight
    loaded = parse_rules(old)
    name = next(c for c in loaded.comparisons if c.comparator == "person_name")
    assert name.level("initials_only") == name.level("different")


def test_term_frequency_needs_a_level_that_has_a_term(rules: RuleSet) -> None:
    comp = next(c for c in rules.comparisons if c.comparator == "location")
    levels = tuple(replace(lv, tf_weight=1.0) if lv.label == "city" else lv for lv in comp.levels)
    with pytest.raises(ConfigError, match="no term frequency to adjust by"):
        Comparison(comp.name, comp.comparator, comp.left, comp.right, levels, comp.options)


def test_tf_bounds_are_validated() -> None:
    with pytest.raises(ConfigError, match="tf_min_bits <= 0 <= tf_max_bits"):
        Level("exact", weight_bits=5.0, tf_weight=1.0, tf_min_bits=1.0)
    assert Level("exact", weight_bits=5.0, tf_weight=1.0, tf_max_bits=2.0).tf_bits(1, 64.0) == 2.0


def test_exact_blocking_key_must_name_a_shared_field() -> None:
    assert Blocking(("exact:extra.postcode",)).keys == ("exact:extra.postcode",)
    with pytest.raises(ConfigError, match="must name a field both sides have"):
        Blocking(("exact:first_name",))


def test_match_many_in_two_processes_equals_one_by_one(matcher: Matcher) -> None:
    profiles = [
        _p(n, key=str(i), bio="at Acme")
        for i, n in enumerate(["Bob Smith", "Jane Doe", "John Miller", "Zed Quux"] * 5)
    ]
    assert list(matcher.match_many(profiles, workers=2, chunk_size=3)) == [
        matcher.match(p) for p in profiles
    ]


RULES = """
version: generic-1
prior_weight: -10
thresholds: {link: 0, review: -5}
blocking: {keys: [name, "exact:extra.postcode"]}
left:
  id: rid
  columns: {display_name: [given, family], extra.postcode: postcode, extra.dob: dob}
right:
  id: rid
  columns: {first_name: given, last_name: family, extra.postcode: postcode, extra.dob: dob}
comparisons:
  - name: name
    comparator: person_name
    left: {name: display_name}
    right: {first_name: first_name, last_name: last_name}
    levels: {exact: 8, nickname: 6, initial: 3, fuzzy: 6, first_name_last_initial: 2,
             last_name_only: 3, first_name_only: 1, initials_only: 0, different: -5}
  - name: dob
    comparator: string
    left: {value: extra.dob}
    right: {value: extra.dob}
    levels:
      exact: {weight: 10, tf_weight: 1.0}
      close: 5
      fuzzy: 1
      different: -5
"""


def test_any_columns_can_be_compared_with_a_rules_file(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "a.csv").write_text(
        "rid,given,family,postcode,dob\na1,michaela,neumann,4223,19151111\n"
        "a2,kim,li,2000,19800101\n",
        encoding="utf-8",
    )
    (tmp_path / "b.csv").write_text(
        "rid,given,family,postcode,dob\nb1,micheala,neumann,4223,19151111\n"
        "b2,kim,lee,3000,19700101\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        match,
        [
            "--left",
            str(tmp_path / "a.csv"),
            "--right",
            str(tmp_path / "b.csv"),
            "--rules",
            str(tmp_path / "r.yaml"),
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "o.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert [r.split(",")[:2] + [r.split(",")[3]] for r in rows] == [["a1", "b1", "link"]]
