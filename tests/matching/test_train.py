"""Training the weights from a mirror and its profiles (``enrich match train``)."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from enrich.matching.cli import match
from enrich.matching.profile import Person, Profile
from enrich.matching.rules import RuleSet, dump_rules, load_rules, parse_rules
from enrich.matching.scorer import Matcher
from enrich.matching.train import LINK_PRECISION, REVIEW_PROBABILITY, Training, bits_of, train

FIRST = ["Anna", "Ben", "Carla", "Dmitri", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas"]
LAST = [
    "Keller",
    "Lund",
    "Moreau",
    "Novak",
    "Okafor",
    "Pereira",
    "Quist",
    "Rossi",
    "Sato",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weiss",
    "Xu",
    "Yilmaz",
    "Zhou",
]
CITIES = ["Berlin", "Lisbon", "Osaka", "Lagos", "Lima", "Oslo"]


def _world(seed: int = 1) -> tuple[list[Person], list[Profile], dict[str, str]]:
    """600 CRM people and 300 profiles: half of them of a CRM person (name, city and
    employer as the CRM has them), half strangers; and which is whose."""
    r = random.Random(seed)
    people = [
        Person(
            f"c{i}",
            r.choice(FIRST),
            r.choice(LAST),
            company=f"Firm{r.randrange(80)}",
            city=r.choice(CITIES),
        )
        for i in range(600)
    ]
    profiles, truth = [], {}
    for j in range(300):
        if j % 2 == 0:
            p = r.choice(people)
            truth[f"p{j}"] = p.id
        else:
            p = Person(
                "x", r.choice(FIRST), r.choice(LAST), company=f"Other{j}", city=r.choice(CITIES)
            )
        profiles.append(
            Profile(
                f"p{j}",
                display_name=f"{p.first_name} {p.last_name}",
                bio=f"Engineer at {p.company}",
                location=p.city,
            )
        )
    return people, profiles, truth


@pytest.fixture(scope="module")
def trained(rules: RuleSet) -> Training:
    people, profiles, _ = _world()
    return train(rules, people, profiles, random_pairs=6000)


def _level(t: Training, comparison: str, level: str) -> tuple[float | None, float | None]:
    c = next(c for c in t.changes if c.comparison == comparison and c.level == level)
    return c.m, c.u


def test_u_is_how_often_random_pairs_reach_a_level(trained: Training) -> None:
    _, u_same_city = _level(trained, "location", "city")
    assert u_same_city == pytest.approx(1 / len(CITIES), abs=0.03)
    _, u_other_name = _level(trained, "name", "different")
    _, u_first_name_only = _level(trained, "name", "other_family_name")
    assert u_other_name is not None and u_first_name_only is not None
    assert u_other_name + u_first_name_only > 0.9


def test_random_pairs_of_the_same_person_do_not_count_as_different_people(
    rules: RuleSet,
) -> None:
    """In a small CRM a random pair is often the profile's own record (1 in 40 here), and
    those agree on the full name: their raw share would weigh a name by how often it is the
    person's own, not by how often other people share it (never here: every name is unique)."""
    people = [
        Person(f"c{i}", FIRST[i % 10], LAST[i // 10], company=f"Firm{i}", city=CITIES[i % 6])
        for i in range(40)
    ]
    profiles = [
        Profile(
            f"p{i}",
            display_name=f"{p.first_name} {p.last_name}",
            bio=f"Engineer at {p.company}",
            location=p.city,
        )
        for i, p in enumerate(people)
    ]
    t = train(rules, people, profiles, random_pairs=4000)
    _, u_name = _level(t, "name", "exact")
    assert u_name is not None and u_name < 0.1 / len(people)
    # Other people do share a city: its other holders among the records, on average.
    others = sum(sum(q.city == p.city for q in people) - 1 for p in people) / len(people)
    _, u_city = _level(t, "location", "city")
    assert u_city == pytest.approx(others / len(people), abs=0.025)


def test_m_says_what_the_person_s_own_profile_shows(trained: Training) -> None:
    m_city, _ = _level(trained, "location", "city")
    m_other_city, _ = _level(trained, "location", "different")
    assert m_city is not None and m_other_city is not None
    assert m_city > 0.8 > 0.05 > m_other_city  # the prior (0.55 of 50 pairs) holds it back a little


def test_the_prior_is_the_share_of_profiles_in_the_crm_over_its_records(trained: Training) -> None:
    assert trained.match_share == pytest.approx(0.5, abs=0.08)
    pi = trained.match_share
    assert trained.rules.prior_weight == pytest.approx(math.log2(pi / (600 * (1 - pi))), abs=1e-3)


def test_review_is_the_log_odds_of_a_probability(trained: Training) -> None:
    assert trained.rules.thresholds.review_probability == REVIEW_PROBABILITY == 0.2
    assert trained.rules.thresholds.review == pytest.approx(bits_of(0.2)) == pytest.approx(-2.0)
    assert bits_of(0.99) == pytest.approx(6.63, abs=0.01)


def test_link_is_lowered_only_where_the_model_expects_precise_links(
    rules: RuleSet, trained: Training
) -> None:
    """Link at 0.99, or lower as long as the links on the training profiles are expected
    right ``link_precision`` of the time: a property of the set of links, so the last pair
    admitted may be less likely than that. In this world every link rests on a name, a
    city and an employer (p ~0.99 each): 0.997 of them cannot be expected right."""
    assert trained.rules.thresholds.link_probability == 0.99
    assert trained.expected_links is not None and trained.expected_links[0] < LINK_PRECISION
    people, profiles, _ = _world()
    lenient = train(rules, people, profiles, random_pairs=6000, link_precision=0.95)
    th = lenient.rules.thresholds
    assert th.link_probability is not None and 0.5 <= th.link_probability < 0.99
    assert th.link == pytest.approx(bits_of(th.link_probability))
    assert lenient.expected_links is not None
    precision, links = lenient.expected_links
    assert precision >= 0.95 and links > 100
    assert f"link at probability {th.link_probability}" in lenient.report()


def test_a_link_probability_given_is_kept(rules: RuleSet) -> None:
    people, profiles, _ = _world()
    t = train(rules, people, profiles, random_pairs=3000, link_probability=0.99)
    assert t.rules.thresholds.link_probability == 0.99 and t.expected_links is None


def test_fixed_levels_keep_their_weight(rules: RuleSet, trained: Training) -> None:
    before = next(c for c in rules.comparisons if c.name == "identifier").level("exact")
    assert before.fixed
    after = next(c for c in trained.rules.comparisons if c.name == "identifier").level("exact")
    assert after == before


def test_trained_rules_round_trip_and_name_what_changed(trained: Training) -> None:
    assert parse_rules(dump_rules(trained.rules)) == trained.rules
    assert trained.rules.version == "social-default-7-trained"
    report = trained.report()
    assert "location.city:" in report and "identifier.exact: +25.00 -> +25.00  fixed" in report


def test_trained_weights_link_the_people_of_the_crm(trained: Training) -> None:
    people, profiles, truth = _world(seed=2)
    m = Matcher(trained.rules, people)
    results = {p.key: m.match(p) for p in profiles}
    links = {k: r.link.person_id for k, r in results.items() if r.link}
    assert sum(truth.get(k) == v for k, v in links.items()) >= 0.95 * len(links)
    offered = sum(
        any(c.person_id == v and c.decision.value != "none" for c in results[k].candidates)
        for k, v in truth.items()
    )
    assert offered >= 0.9 * len(truth)


def test_review_decisions_are_labels(rules: RuleSet) -> None:
    """Rejecting every pair of the profiles says none of them is in the CRM."""
    people, profiles, truth = _world()
    rejected = {(k, v): False for k, v in truth.items()}
    t = train(rules, people, profiles, labels=rejected, random_pairs=3000)
    assert t.labels == len(rejected)
    assert t.match_share < 0.2


def test_probabilities_must_be_in_order(rules: RuleSet) -> None:
    people, profiles, _ = _world()
    with pytest.raises(ValueError, match="review probability < link probability"):
        train(rules, people, profiles, link_probability=0.9, review_probability=0.95)


def test_enrich_match_train_writes_rules_enrich_match_reads(tmp_path: Path) -> None:
    people, profiles, truth = _world()
    (tmp_path / "p.csv").write_text(
        "key,platform,user_id,handle,display_name,bio,location,url,email\n"
        + "".join(f"{p.key},,,,{p.display_name},{p.bio},{p.location},,\n" for p in profiles),
        encoding="utf-8",
    )
    (tmp_path / "c.csv").write_text(
        "id,first_name,last_name,email,company,title,city,country,linkedin_url,"
        "twitter_handle\n"
        + "".join(
            f"{c.id},{c.first_name},{c.last_name},,{c.company},,{c.city},,,\n" for c in people
        ),
        encoding="utf-8",
    )
    k, v = next(iter(truth.items()))
    (tmp_path / "d.csv").write_text(
        f"left_id,right_id,decision\n{k},{v},confirmed\n", encoding="utf-8"
    )
    args = [
        "train",
        "--left",
        tmp_path / "p.csv",
        "--right",
        tmp_path / "c.csv",
        "--decisions",
        tmp_path / "d.csv",
        "--out",
        tmp_path / "r.yaml",
        "--version",
        "t1",
    ]
    result = CliRunner().invoke(match, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    assert "1 review decisions" in result.output
    assert load_rules(tmp_path / "r.yaml").version == "t1"
    result = CliRunner().invoke(
        match,
        [
            "--left",
            str(tmp_path / "p.csv"),
            "--right",
            str(tmp_path / "c.csv"),
            "--rules",
            str(tmp_path / "r.yaml"),
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "(rules t1)" in result.output


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("left,right\n", "expected the header left_id,right_id,decision"),
        ("left_id,right_id,decision\np1,c1,maybe\n", "line 2: decision 'maybe' is neither"),
    ],
)
def test_a_bad_decisions_file_is_refused_by_line(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "d.csv").write_text(body, encoding="utf-8")
    result = CliRunner().invoke(
        match,
        [
            "train",
            "--left",
            "p.csv",
            "--right",
            "c.csv",
            "--decisions",
            str(tmp_path / "d.csv"),
            "--out",
            str(tmp_path / "r.yaml"),
        ],
    )
    assert result.exit_code == 1
    assert message in result.output


def test_training_tells_its_progress_in_order(rules: RuleSet) -> None:
    people, profiles, _ = _world()
    said: list[tuple[str, float]] = []
    train(rules, people, profiles, random_pairs=3000, progress=lambda *a: said.append(a))
    phases = [p for p, _ in said]
    assert phases[0] == "random pairs" and phases[-1] == "EM" and "candidates" in phases
    assert phases == sorted(phases, key=["random pairs", "candidates", "EM"].index)
    done = [d for _, d in said]
    assert done == sorted(done) and done[0] >= 0.0 and done[-1] < 1.0
