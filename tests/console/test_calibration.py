"""The match rules page says what reviewers' decisions say about the scores."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from enrich.models import LinkStatus
from tests.console import seed

CURRENT = "social-default-7"  # the shipped rules: review 2.0, link 7.5


def test_the_card_shows_decided_pairs_per_bin_and_the_threshold_what_ifs(
    revops_page: Any, live: str, engine: Engine
) -> None:
    record = seed.add_people(engine)["rokafor@contoso.example"]
    C, R, P = LinkStatus.CONFIRMED, LinkStatus.REJECTED, LinkStatus.PENDING
    seed.decided_links(
        engine,
        record,
        [
            (4.0, C, CURRENT, "rita", None),
            (4.2, C, CURRENT, "rita", None),
            (4.8, R, CURRENT, "rita", None),
            (8.0, R, CURRENT, "rita", None),
            (0.0, C, None, "rita", seed.REVIEWER_CHOSEN),  # linked by hand: no score to judge
            (5.5, P, CURRENT, "matcher", None),
        ],
    )
    page = revops_page
    page.goto(live + "/rules/match")
    card = page.locator("#calibration")
    assert card.locator("h2").inner_text() == "What reviewers say about the scores"
    assert "4 pairs people decided under rules social-default-7, 2 confirmed" in card.inner_text()
    rows = {
        cells[0]: cells[1:]
        for cells in (
            [c.strip() for c in row.inner_text().split("\t")]
            for row in card.locator("table.calibration tbody tr").all()
        )
    }
    assert rows["4–5"] == ["3", "2", "67 %", "21–94 %"]
    assert rows["≥ 7.5"] == ["1", "0", "0 %", "0–79 %"]
    assert rows["3–4"] == ["0", "0", "—", "—"]
    lines = card.locator("ul.what-if li").all_inner_texts()
    assert lines[0].startswith(
        "2: 2 of 4 decided pairs at or above it confirmed (50 %, 95 % CI 15–85 %)"
    )
    assert lines[0].endswith("1 pending link would be linked automatically.")
    assert lines[-1].startswith("7.5 (now): 0 of 1 decided pairs")
    assert lines[-1].endswith("0 pending links would be linked automatically.")
    assert "biased sample" in card.inner_text()
    assert page.js_errors == []


def test_the_card_says_so_when_nobody_decided_anything_yet(revops_page: Any, live: str) -> None:
    page = revops_page
    page.goto(live + "/rules/match")
    empty = page.locator("#calibration-empty")
    assert "Nobody has confirmed or rejected" in empty.inner_text()
    assert page.locator("#calibration table").count() == 0
    page.goto(live + "/rules/topics")
    assert page.locator("#calibration").count() == 0
