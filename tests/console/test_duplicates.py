"""RevOps see the CRM's likely duplicate records on the console, the record kept first."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from enrich.console.rules_text import match_summary
from enrich.matching.duplicates import Duplicates
from enrich.matching.rules import RuleSet, default_rules
from enrich.models import CrmRecord
from enrich.services import duplicates
from tests.console import seed
from tests.console.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def rules() -> RuleSet:
    return default_rules()


def test_duplicate_pairs_are_listed_with_the_contact_kept(
    page: Any, live: str, engine: Engine
) -> None:
    seed.add_people(engine)
    seed.add_duplicate_leads(engine)
    duplicates.scan(engine)
    with Session(engine) as session:
        ids = {r.crm_id: r.id for r in session.exec(select(CrmRecord))}
    sign_in(page, live, seed.user(engine, "vera@example.com", "viewer"))
    page.wait_for_url(live + "/")
    page.goto(live + "/people")
    page.click("text=Likely duplicates")
    page.wait_for_url(live + "/people/duplicates")
    head = page.locator(".page-head").inner_text()
    assert "3 pairs of CRM records" in head and "Found by the scan of 20" in head
    rows = page.locator("table.duplicates tbody tr")
    assert rows.count() == 3
    dana = page.locator(f"tr[data-pair='{ids['0035g00000SEED0001']}-{ids['00Q5g0000LEAD0001']}']")
    cells = dana.locator("td")
    assert "salesforce contact" in cells.nth(0).inner_text()
    assert "salesforce lead" in cells.nth(1).inner_text()
    assert cells.nth(2).inner_text().strip() == "company"
    assert "convert the lead into the contact" in cells.nth(3).inner_text()
    cells.nth(1).locator("a").click()
    page.wait_for_url(f"{live}/people/{ids['00Q5g0000LEAD0001']}")
    assert page.locator("h1").inner_text() == "Dana Whitfield"
    assert page.js_errors == []


def test_an_empty_mirror_says_so_and_junk_cursors_show_the_first_page(
    page: Any, live: str, engine: Engine
) -> None:
    sign_in(page, live, seed.user(engine, "vera@example.com", "viewer"))
    page.wait_for_url(live + "/")
    for query in ("", "?cursor=x-1", "?cursor=" + "9" * 40):
        answer = page.goto(f"{live}/people/duplicates{query}")
        assert answer.status == 200
        assert page.locator("table.duplicates tbody").inner_text().strip() == (
            "No likely duplicates in the mirror."
        )
        assert "has not been scanned yet" in page.locator(".page-head").inner_text()


def test_the_rules_page_says_what_happens_to_duplicates_in_words(rules: RuleSet) -> None:
    said = match_summary(rules)["sentences"]
    assert isinstance(said, list)
    assert (
        "Two CRM records with the same name and the same company email domain, phone number, "
        "LinkedIn profile or company are taken for one person: a profile matching both is "
        "linked to one of them (the contact over the lead, then the record with the profile's "
        "email, then the record changed last)." in said
    )
    off = match_summary(replace(rules, duplicates=Duplicates(("phone",), ())))["sentences"]
    assert isinstance(off, list)
    assert (
        "Two CRM records with the same name and the same phone number are taken for one "
        "person, but a profile matching both still waits for review." in off
    )
