"""Undoing a wrong link from the person page in a real browser: "Not this person" on an
automatic link, and moving a profile to the right record; RevOps only."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from enrich.models import AuditLog, IdentityLink, LinkStatus
from tests.console import seed
from tests.console.conftest import sign_in

pytestmark = pytest.mark.browser
DANA = "dana.whitfield@northwind.example"


def _auto_linked_dana(client: FlaskClient, engine: Engine) -> tuple[dict[str, int], int]:
    ids = seed.add_people(engine)
    seed.deliver(
        client,
        engine,
        {"id": "li-dana", "email": DANA, "name": "Dana Whitfield", "handle": "danawhit"},
        text="Zero trust for cloud security",
    )
    with Session(engine) as session:
        link = session.exec(select(IdentityLink).where(IdentityLink.record_id == ids[DANA])).one()
    assert link.status == LinkStatus.AUTO
    return ids, link.id


def test_not_this_person_on_an_auto_link(
    revops_page: Any, live: str, client: FlaskClient, engine: Engine
) -> None:
    ids, link_id = _auto_linked_dana(client, engine)
    page = revops_page
    asked: list[str] = []
    page.on("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.goto(f"{live}/people/{ids[DANA]}")
    assert page.locator(".profile .status").text_content() == "auto"
    assert "comment" in page.locator(".timeline").inner_text()

    page.click(f"[data-link='{link_id}'] [data-action=unlink]")
    page.wait_for_selector("text=Unlinked: this profile is not this person")
    assert asked and "taken back" in asked[0]
    assert page.locator(".profile .status").text_content() == "rejected"
    assert page.locator("[data-action=unlink]").count() == 0  # nothing left to undo
    assert page.locator(".timeline").inner_text().strip() == "No touchpoints."
    decisions = page.locator("table.decisions tbody").inner_text()
    assert "rita@example.com" in decisions and "unlinked" in decisions and "was auto" in decisions
    with Session(engine) as session:
        assert session.get(IdentityLink, link_id).status == LinkStatus.REJECTED
        assert session.exec(select(AuditLog).where(AuditLog.action == "link_unlinked")).one()
    assert page.js_errors == []


def test_move_a_profile_to_the_right_record(
    revops_page: Any, live: str, client: FlaskClient, engine: Engine
) -> None:
    ids, link_id = _auto_linked_dana(client, engine)
    right = ids["dana@globex.example"]  # the other Dana Whitfield
    page = revops_page
    page.goto(f"{live}/people/{ids[DANA]}")
    page.click(f"[data-link='{link_id}'] [data-action=move]")
    page.fill(f"#move-{link_id} input[name=q]", "globex")
    page.click(f"#move-{link_id} button:has-text('Search')")
    found = page.locator(f"#move-{link_id} form.found")
    assert found.count() == 1 and "Globex" in found.inner_text()
    found.locator("button").click()
    page.wait_for_selector(f"text=Moved to record {right}")
    assert page.locator(".profile .status").text_content() == "rejected"
    assert "unlinked" in page.locator("table.decisions").inner_text()  # (because of the move)
    page.goto(f"{live}/people/{right}")
    assert page.locator(".profile .status").text_content() == "confirmed"
    assert "comment" in page.locator(".timeline").inner_text()
    assert f"from #{ids[DANA]} to #{right}" in page.locator("table.decisions").inner_text()
    assert page.js_errors == []


def test_viewers_see_no_undo_buttons_and_cannot_post(
    page: Any, live: str, client: FlaskClient, engine: Engine
) -> None:
    ids, link_id = _auto_linked_dana(client, engine)
    sign_in(page, live, seed.user(engine, "vera@example.com", "viewer"))
    page.wait_for_url(live + "/")
    page.goto(f"{live}/people/{ids[DANA]}")
    assert page.locator(".profile .status").text_content() == "auto"
    assert page.locator("[data-action=unlink], [data-action=move]").count() == 0
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    answer = page.request.post(
        f"{live}/people/{ids[DANA]}/links/{link_id}/unlink",
        form={"csrf_token": token},
        max_redirects=0,
    )
    assert answer.status == 403
    with Session(engine) as session:
        assert session.get(IdentityLink, link_id).status == LinkStatus.AUTO


def test_a_link_is_undone_only_from_its_own_record_page(
    revops_page: Any, live: str, client: FlaskClient, engine: Engine
) -> None:
    """A stale or forged form naming another record's page changes nothing."""
    ids, link_id = _auto_linked_dana(client, engine)
    page = revops_page
    other = next(rid for email, rid in ids.items() if email != DANA)
    page.goto(f"{live}/people/{other}")
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    answer = page.request.post(
        f"{live}/people/{other}/links/{link_id}/unlink", form={"csrf_token": token}
    )  # back on that page, with a message
    assert answer.ok and f"link {link_id} is not on record {other}" in answer.text()
    with Session(engine) as session:
        assert session.get(IdentityLink, link_id).status == LinkStatus.AUTO
