"""The attribution report in a real browser: the seeded pipeline's funnel, totals and credits
(tests/console/pipeline_seed.py), switching model and dimension, the CSV export (a post text
that starts like a formula stays text), and a screenshot for people to look at."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.console.conftest import DESKTOP, PHONE
from tests.console.pipeline_seed import FORMULA_POST, PERIOD, add_pipeline

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def test_the_report_shows_funnel_totals_and_credits_and_switches_model(
    revops_page: Any, live: str, engine: Engine
) -> None:
    add_pipeline(engine)
    page = revops_page
    page.goto(f"{live}/reports/attribution?{PERIOD}")
    assert page.locator("nav a[aria-current=page]").inner_text() == "Attribution"
    funnel = page.locator("#funnel svg").text_content()
    for label in ("Engaged people", "Matched to CRM people", "Influenced wins"):
        assert label in funnel
    usd = page.locator("#totals tbody tr", has_text="USD")
    assert "$48,000" in usd.inner_text() and "$53,000" in usd.inner_text()
    assert "12,000 EUR" in page.locator("#totals tbody tr", has_text="EUR").inner_text()
    rows = page.locator("section.credits[data-currency=USD] table tbody tr")
    assert {rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())} == {
        "linkedin",
        "x",
    }
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.goto(f"{live}/reports/attribution?{PERIOD}&dimension=post")
        page.screenshot(path=str(SHOTS / f"attribution-{size_name}.png"), full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the report scrolls sideways by {overflow}px at {size_name}"
    page.set_viewport_size(DESKTOP)
    page.select_option("select[name=model]", "first")
    page.select_option("select[name=dimension]", "platform")
    page.click("#attribution-form button")
    page.wait_for_url("**model=first**")
    first = page.locator("section.credits[data-currency=USD] table tbody tr").first
    assert "linkedin" in first.inner_text() and "$48,000" in first.inner_text()
    assert page.js_errors == []


def test_the_csv_export_keeps_a_formula_looking_post_as_text(
    revops_page: Any, live: str, engine: Engine
) -> None:
    add_pipeline(engine)
    page = revops_page
    page.goto(f"{live}/reports/attribution?{PERIOD}&dimension=post")
    with page.expect_download() as download:
        page.click("#csv")
    saved = download.value
    assert saved.suggested_filename == "attribution-2026-01-01-2026-03-31-linear-post.csv"
    rows = list(csv.DictReader(io.StringIO(Path(saved.path()).read_text(encoding="utf-8"))))
    labels = {r["label"] for r in rows}
    assert "'" + " ".join(FORMULA_POST.split())[:80] in labels
    assert not any(r["label"].startswith(("=", "+", "-", "@")) for r in rows)
    usd = {r["label"]: float(r["pipeline"]) for r in rows if r["currency"] == "USD"}
    assert sorted(usd.values()) == [24000.0, 24000.0]


def test_a_backwards_period_is_a_400_page_that_says_so(revops_page: Any, live: str) -> None:
    page = revops_page
    answer = page.goto(f"{live}/reports/attribution?start=2026-03-01&end=2026-01-01")
    assert answer.status == 400
    assert "start must be on or before end" in page.locator("main").inner_text()
    assert page.request.get(f"{live}/reports/attribution.csv?model=best").status == 400
