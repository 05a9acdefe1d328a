"""The match-rules page keeps the YAML, in an editor a developer would recognise (monospaced,
line numbers, the error beside its line), names the rules by their own version, and says
what they do in words a RevOps reader can check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from enrich.services import rulesets

pytestmark = pytest.mark.browser

BROKEN = ("      exact: {weight: 7.0}", "      exact: {weight: lots}")


def test_the_header_names_the_rules_and_the_summary_says_what_they_do(
    revops_page: Any, live: str
) -> None:
    page = revops_page
    page.goto(live + "/rules/match")
    assert "social-default-7" in page.locator("[data-active]").inner_text()
    assert "version default" not in page.locator("main").inner_text()
    plain = page.locator("#rules-plain").inner_text()
    assert "At 7.5 points or more enrich links the profile by itself" in plain
    assert "From 2 to 7.5 points the pair waits in the review queue" in plain
    assert "never changed by the matcher" in plain
    assert "Bayes" not in plain and "bits" not in plain
    assert "the same: +7.0" in page.locator("table.evidence tr", has_text="company").inner_text()


def test_the_editor_is_monospaced_with_line_numbers(revops_page: Any, live: str) -> None:
    page = revops_page
    page.goto(live + "/rules/match")
    area = page.locator("#rules-body")
    font = area.evaluate("el => getComputedStyle(el).fontFamily")
    assert "monospace" in font
    lines = area.input_value().count("\n") + 1
    assert page.locator(".gutter li").count() == lines
    area.press("Control+End")
    area.type("\n# one more line")
    assert page.locator(".gutter li").count() == lines + 1


def test_a_validation_error_sits_beside_its_line(
    revops_page: Any, live: str, tmp_path: Path
) -> None:
    page = revops_page
    page.goto(live + "/rules/match")
    text = rulesets.KINDS["match"].default_text().replace(*BROKEN, 1)
    line = text.splitlines().index(BROKEN[1]) + 1
    page.locator("#rules-body").fill(text)
    page.click("button[value=validate]")
    assert page.locator("#rules-error").inner_text().startswith(f"Line {line}: ")
    marked = page.locator(".gutter li.error")
    assert marked.inner_text() == str(line)
    note = page.locator(".line-note")
    assert "expected a number, got 'lots'" in note.inner_text()
    # beside the line: the note's top is where the marked line number is
    assert abs(note.bounding_box()["y"] - marked.bounding_box()["y"]) < 4
    page.screenshot(path=str(tmp_path / "rules-error.png"))
    note.click()
    selected = page.locator("#rules-body").evaluate(
        "el => el.value.slice(el.selectionStart, el.selectionEnd)"
    )
    assert selected == BROKEN[1]
