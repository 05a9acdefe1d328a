"""The development preview renders the card as a 300 px CRM column shows it: in a real
browser, with no sideways scrolling, and saved as screenshots for people to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.embed.conftest import SF_ACCOUNT, SF_CONTACT

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
COLUMN = {"width": 300, "height": 900}


def test_the_card_at_300_px_for_a_contact_an_account_and_an_unknown_record(
    revops_page: Any, live: str, world: dict[str, int]
) -> None:
    page = revops_page
    page.set_viewport_size(COLUMN)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, record in (
        ("contact", SF_CONTACT),
        ("account", SF_ACCOUNT),
        ("unknown", "003000000000777AAA"),
    ):
        page.goto(f"{live}/embed/preview/{record}")
        page.screenshot(path=str(SHOTS / f"card-{name}-300.png"), full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the {name} card scrolls sideways by {overflow}px at 300 px"
        if name == "contact":
            assert page.locator("[data-test=score]").inner_text().isdigit()
            assert page.get_by_text("Not this person").count() == 1
            assert page.locator("section[aria-label='recent touchpoints'] li").count() == 3
            hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.href)")
            assert hrefs and all(h.startswith("https://") for h in hrefs)
        elif name == "account":
            assert (
                "Dana Whitfield"
                in page.locator("section[aria-label='engaged people']").inner_text()
            )
            assert "Northwind renewal" in page.inner_text("body")
        else:
            assert page.locator("[data-test=empty]").inner_text() == "No social activity yet"
    assert page.js_errors == []


def test_the_preview_needs_a_console_sign_in(client: FlaskClient, world: dict[str, int]) -> None:
    answer = client.get(f"/embed/preview/{SF_CONTACT}")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
