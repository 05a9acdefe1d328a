"""Working the console in a real browser: review with the keyboard, rules with preview, a
person's page (user text stays text), dead-letter replay, erasing a person."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from enrich.models import AuditLog, IdentityLink, LinkStatus, RuleSet, SyncRequest, Touchpoint
from tests.console import seed

pytestmark = pytest.mark.browser


def test_three_review_items_worked_with_the_keyboard(
    revops_page: Any, live: str, client: FlaskClient, engine: Engine
) -> None:
    seed.add_people(engine)
    pids = seed.review_profiles(client, engine, 3)
    page = revops_page
    page.goto(live + "/review")
    assert page.locator("h1 .count").inner_text() == "3"
    page.keyboard.press("?")
    assert page.locator("dialog#help").is_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("j")  # skip the first profile for now
    page.wait_for_url(f"{live}/review?at={pids[1]}")
    page.keyboard.press("c")  # confirm the second
    page.wait_for_selector("text=Confirmed")
    page.goto(f"{live}/review?at={pids[0]}")
    page.keyboard.press("r")  # reject the first's best candidate
    page.wait_for_selector("text=Rejected")
    page.goto(f"{live}/review?at={pids[2]}")
    page.keyboard.press("c")
    page.wait_for_selector("text=Confirmed")
    with Session(engine) as session:
        links = {
            link.profile_id: link
            for link in session.exec(
                select(IdentityLink).where(IdentityLink.decided_by == "rita@example.com")
            )
            if link.status != LinkStatus.PENDING
            and link.score
            == max(
                other.score
                for other in session.exec(
                    select(IdentityLink).where(IdentityLink.profile_id == link.profile_id)
                )
            )
        }
        assert links[pids[1]].status == links[pids[2]].status == LinkStatus.CONFIRMED
        assert links[pids[0]].status == LinkStatus.REJECTED
        # (the candidates a confirmation turns down are logged too, "because" of it)
        actions = [
            a.action
            for a in session.exec(select(AuditLog).order_by(AuditLog.id))
            if "because" not in (a.detail or {})
        ]
        assert actions.count("link_confirmed") == 2 and actions.count("link_rejected") == 1
        assert session.exec(select(SyncRequest)).all()  # the CRM will hear about it
    assert page.js_errors == []


def test_edit_match_rules_preview_save_and_roll_back(
    revops_page: Any, live: str, client: FlaskClient, engine: Engine
) -> None:
    seed.add_people(engine)
    seed.review_profiles(client, engine, 2)
    page = revops_page
    page.goto(live + "/rules/match")
    editor = page.locator("#rules-body")
    text = editor.input_value()
    editor.fill(text.replace("review: 2.0", "review: oops"))
    page.click("button[value=validate]")
    assert "thresholds.review" in page.locator("#rules-error").inner_text()
    editor = page.locator("#rules-body")
    editor.fill(
        text.replace("review: 2.0", "review: 6.0").replace(
            "version: social-default-7", "version: stricter-review"
        )
    )
    page.click("#preview-button")
    page.wait_for_selector("[data-count=review_dropped] strong")
    assert page.locator("[data-count=review_dropped] strong").inner_text() == "2"
    page.fill("input[name=comment]", "fewer weak name-only reviews")
    page.click("button[value=save]")
    page.wait_for_selector("text=Saved and activated version 1")
    editor = page.locator("#rules-body")
    editor.fill(editor.input_value().replace("review: 6.0", "review: 5.0"))
    page.click("button[value=save]")  # same `version:` name, different rules: refused
    assert "already names different match rules" in page.locator("#rules-error").inner_text()
    editor = page.locator("#rules-body")
    editor.fill(editor.input_value().replace("version: stricter-review", "version: review-5"))
    page.click("button[value=save]")
    page.wait_for_selector("text=Saved and activated version 2")
    page.click("text=Roll back to this")
    page.wait_for_selector("text=Version 1 is active again")
    assert "rollback v1 (was 2)" in page.locator(".history").inner_text()
    with Session(engine) as session:
        [active] = session.exec(select(RuleSet).where(RuleSet.active == True)).all()  # noqa: E712
        assert (active.version, active.created_by) == ("1", "rita@example.com")
    assert page.js_errors == []


def test_a_person_page_and_user_text_stays_text(
    revops_page: Any, live: str, client: FlaskClient, engine: Engine
) -> None:
    ids = seed.add_people(engine)
    evil = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'
    seed.deliver(
        client,
        engine,
        {
            "id": "li-evil",
            "email": "dana.whitfield@northwind.example",
            "name": "Dana <b>W</b>",
            "bio": evil,
            "handle": "dana",
        },
        text="I <3 <script>alert(1)</script> zero trust",
    )
    page = revops_page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(live + "/people?q=@dana")
    page.click("text=Dana Whitfield")
    page.wait_for_url(f"{live}/people/{ids['dana.whitfield@northwind.example']}")
    assert page.locator(".bio").inner_text() == evil
    assert "<script>alert(1)</script>" in page.locator(".timeline").inner_text()
    assert page.locator(".profile strong").first.inner_text() == "Dana <b>W</b>"
    assert page.evaluate("window.__xss") is None and dialogs == []
    assert page.locator("text=comment").first.is_visible()


def test_replay_a_dead_letter(
    revops_page: Any, live: str, client: FlaskClient, engine: Engine
) -> None:
    letter = seed.park(
        engine,
        seed.deliver(client, engine, {"id": "x-1"}, kind="like"),
        "normalise failed: KeyError 'actor'",
    )
    page = revops_page
    page.goto(live + "/sync")
    row = page.locator(f"#letter-{letter}")
    assert "KeyError" in row.inner_text()
    row.locator("button", has_text="Replay").click()
    page.wait_for_selector("text=1 dead letter re-queued")
    assert "replayed" in page.locator(f"#letter-{letter}").inner_text().lower()


def test_erase_a_person_after_typing_the_confirmation(
    revops_page: Any, live: str, client: FlaskClient, engine: Engine
) -> None:
    ids = seed.add_people(engine)
    seed.deliver(client, engine, {"id": "li-erase", "email": "priya@fabrikam.example"})
    page = revops_page
    page.goto(live + "/privacy?q=fabrikam")
    page.click("text=Priya Natarajan")
    page.fill("#confirm", "yes please")
    page.click("button.danger")
    assert (
        "type the confirmation exactly: priya@fabrikam.example"
        in page.locator(".flash.error").inner_text()
    )
    page.fill("#confirm", "priya@fabrikam.example")
    page.click("button.danger")
    page.wait_for_selector("text=Erased")
    with Session(engine) as session:
        assert session.exec(select(Touchpoint)).all() == []
    assert ids["priya@fabrikam.example"]
