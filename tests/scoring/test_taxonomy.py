"""The topic taxonomy: the shipped default, and precise errors for what RevOps gets wrong."""

from __future__ import annotations

import pytest

from enrich.errors import ConfigError
from enrich.scoring import Taxonomy


def test_default_taxonomy_has_about_fifteen_b2b_topics(taxonomy: Taxonomy) -> None:
    names = {t.name for t in taxonomy.topics}
    assert 12 <= len(names) <= 25
    assert {"cloud-security", "data-engineering", "ai-ml", "crm-sales-ops", "devops"} <= names


def test_taxonomy_round_trips_through_dict(taxonomy: Taxonomy) -> None:
    assert Taxonomy.from_dict(taxonomy.to_dict()) == taxonomy


def test_malformed_yaml_names_the_line() -> None:
    text = "topics:\n  - name: a\n    keywords: [x, y\n  - name: b\n"
    with pytest.raises(ConfigError, match=r"taxonomy.yaml:\d+:\d+: malformed YAML"):
        Taxonomy.from_yaml(text)


def test_empty_topic_is_refused_with_its_line() -> None:
    text = "topics:\n  - name: good\n    keywords: [x]\n  - name: empty\n    keywords: []\n"
    with pytest.raises(ConfigError, match=r"taxonomy.yaml:4: topics\[1\]: topic 'empty' is empty"):
        Taxonomy.from_yaml(text)


def test_duplicate_topic_names_are_refused() -> None:
    text = "topics:\n  - name: a\n    keywords: [x]\n  - name: a\n    keywords: [y]\n"
    with pytest.raises(
        ConfigError, match=r":4: topics\[1\].name: duplicate topic name 'a' \(first at line 2\)"
    ):
        Taxonomy.from_yaml(text)


def test_duplicate_keys_are_refused_instead_of_silently_overwritten() -> None:
    text = "topics:\n  - name: a\n    keywords: [x]\n    keywords: [y]\n"
    with pytest.raises(ConfigError, match=r":4: duplicate key 'keywords' \(first on line 3\)"):
        Taxonomy.from_yaml(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("topics: {a: 1}\n", r"topics: must be a list"),
        (
            "topics:\n  - name: a\n    keywords: security\n",
            r":3: topics\[0\].keywords: must be a list",
        ),
        (
            "topics:\n  - name: a\n    keywords: [[x]]\n",
            r":3: topics\[0\].keywords\[0\]: must be text",
        ),
        ("topics:\n  - name: Bad Name\n    keywords: [x]\n", r"not a valid topic name"),
        ("topics:\n  - name: a\n    keyword: [x]\n", r"topics\[0\].keyword: unknown key"),
        ("topics:\n  - name: a\n    keywords: ['🚀']\n", r"no letters or digits"),
        ("topics: []\n", r"topics: is empty"),
        ("version: one\ntopics: []\n", r"version: must be an integer"),
        ("- a\n", r"must be a mapping"),
    ],
)
def test_bad_types_get_precise_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Taxonomy.from_yaml(text)


def test_missing_file_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        Taxonomy.from_file(tmp_path / "nope.yaml")


def test_user_added_language_terms_work() -> None:
    tax = Taxonomy.from_yaml(
        "topics:\n  - name: sec\n    phrases: [Sécurité réseau]\n    hashtags: ['#CyberSécurité']\n"
    )
    assert tax.match("la SECURITE RESEAU").topics == {"sec"}
    assert tax.match("vive la #cybersecurite").topics == {"sec"}
