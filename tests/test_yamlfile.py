"""Every YAML (or JSON) text enrich reads goes through one strict loader: a key written twice is
refused with both lines, never silently overwritten by the last one; a key is the text as
written; malformed text is a ConfigError with its line, never a parser traceback."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

from enrich.errors import ConfigError
from enrich.matching.rules import parse_rules
from enrich.scoring import ScoringConfig, Taxonomy
from enrich.yamlfile import load_yaml
from tests.conftest import make_settings

SHIPPED_RULES = resources.files("enrich.matching").joinpath("default_rules.yaml").read_text()


def _line_of(text: str, line: str) -> int:
    return text.splitlines().index(line) + 1


def test_match_rules_refuse_a_second_link_threshold_with_both_lines() -> None:
    first = _line_of(SHIPPED_RULES, "  link: 7.5")
    text = SHIPPED_RULES.replace("  link: 7.5\n", "  link: 7.5\n  link: 1.0\n", 1)
    with pytest.raises(ConfigError) as caught:
        parse_rules(text, "rules.yaml")
    assert str(caught.value) == (
        f"rules.yaml:{first + 1}: duplicate key 'link' (first on line {first}); "
        "remove or rename one"
    )


def test_match_rules_keep_the_level_named_null() -> None:
    # YAML would resolve a bare `null:` key to None; the loader keeps keys as written.
    rules = parse_rules(SHIPPED_RULES)
    assert all("null" in {lv.label for lv in c.levels} for c in rules.comparisons)


def _fields(tmp_path: Path, text: str) -> object:
    path = tmp_path / "fields.yaml"
    path.write_text(text, encoding="utf-8")
    return make_settings(f"sqlite:///{tmp_path / 'f.db'}", crm="salesforce", crm_fields=str(path))


def _accounts(tmp_path: Path, text: str) -> object:
    path = tmp_path / "accounts.yaml"
    path.write_text(text, encoding="utf-8")
    return make_settings(f"sqlite:///{tmp_path / 'a.db'}", accounts=str(path)).social_accounts()


READERS: dict[str, tuple[Callable[[Path, str], object], str, str]] = {
    "scoring config": (
        lambda _, text: ScoringConfig.from_yaml(text, "scoring.yaml"),
        "version: 1\npoints:\n  like: 1\n  like: 2\n",
        "scoring.yaml:4: duplicate key 'like' (first on line 3)",
    ),
    "topic taxonomy": (
        lambda _, text: Taxonomy.from_yaml(text, "topics.yaml"),
        "topics:\n  - name: a\n    keywords: [x]\n    keywords: [y]\n",
        "topics.yaml:4: duplicate key 'keywords' (first on line 3)",
    ),
    "CRM field map": (
        _fields,
        "salesforce:\n  write:\n    score: A__c\n    score: B__c\n",
        "fields.yaml:4: duplicate key 'score' (first on line 3)",
    ),
    "social accounts": (
        _accounts,
        "- platform: x\n  id: '1'\n  name: a\n  id: '2'\n",
        "accounts.yaml:4: duplicate key 'id' (first on line 2)",
    ),
}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_every_reader_refuses_a_duplicate_key_with_its_line(tmp_path: Path, reader: str) -> None:
    read, text, message = READERS[reader]
    with pytest.raises(ConfigError, match="duplicate key") as caught:
        read(tmp_path, text)
    assert message in str(caught.value)


def test_inline_json_settings_are_read_by_the_same_loader() -> None:
    with pytest.raises(ConfigError, match=r"ENRICH_CRM_FIELDS:1: duplicate key 'write'"):
        make_settings("sqlite://", crm="salesforce", crm_fields='{"write": {}, "write": {}}')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1, 2\n", r"^t\.yaml:2:1: malformed YAML"),
        ("a: \x01\n", r"^t\.yaml: malformed YAML: unacceptable character"),
        ("[1]: x\n", r"^t\.yaml:1: keys must be text"),
    ],
)
def test_malformed_text_is_a_config_error_that_says_where(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_yaml(text, "t.yaml")


def test_lines_are_remembered_for_every_key_and_item() -> None:
    data = load_yaml("a: 1\nb:\n  - x\n  - y\nnull: 2\n", "t.yaml")
    assert data == {"a": 1, "b": ["x", "y"], "null": 2}
    assert data.key_lines == {"a": 1, "b": 2, "null": 5}
    assert data["b"].item_lines == [3, 4]
