"""docs/MATCHING.md documents every comparator and blocking key family the code knows."""

from __future__ import annotations

from pathlib import Path

import pytest

from enrich.matching.catalog import CATALOG
from enrich.matching.rules import BLOCKING_KEYS, EXACT_KEY

DOC = Path(__file__).resolve().parents[2] / "docs" / "MATCHING.md"


def _section(heading: str) -> str:
    """The text under a "## <heading>..." heading, up to the next "## " heading."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def _rows(section: str) -> dict[str, list[str]]:
    """Table rows by the backticked name in their first cell (the first table's row wins)."""
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        rows.setdefault(cells[0].strip("`"), cells)
    return rows


COMPARATORS = _rows(_section("3. Comparator reference"))


def test_the_reference_names_only_comparators_of_the_catalog() -> None:
    assert set(COMPARATORS) == set(CATALOG)


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_a_comparator_row_lists_its_roles_levels_and_options(name: str) -> None:
    spec = CATALOG[name]
    _, _, left, right, optional, levels, options = COMPARATORS[name]
    for role in spec.left_roles:
        assert f"`{role}`" in left, f"{name}: left role {role} missing"
    for role in spec.right_roles:
        assert f"`{role}`" in right, f"{name}: right role {role} missing"
    for role in spec.optional_roles:
        assert f"`{role}`" in optional, f"{name}: optional role {role} missing"
    assert levels == ", ".join(f"`{lv}`" for lv in spec.levels), f"{name}: levels differ"
    for opt, ospec in spec.options.items():
        assert f"`{opt}` {ospec.default} [{ospec.low}, {ospec.high}]" in options, (
            f"{name}: option {opt} missing or its default/range differ"
        )


def test_every_blocking_key_family_is_documented() -> None:
    families = _rows(_section("1. How a match is decided"))
    for family in BLOCKING_KEYS:
        assert family in families, f"blocking key family {family!r} is not documented"
    assert f"{EXACT_KEY}<field>" in families
