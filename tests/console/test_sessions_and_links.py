"""Sessions end on the server, sign-in lockout cannot be raced, and only http(s) links are
rendered (issue 15, findings 6-9)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlmodel import select

from enrich.console.auth import MAX_FAILURES, SignInRefused, set_password, sign_in
from enrich.db import session_scope
from enrich.models import SocialProfile, Touchpoint
from tests.console import seed
from tests.console.conftest import sign_in as browser_sign_in


def test_a_burst_of_wrong_passwords_is_checked_at_most_max_failures_times(engine: Engine) -> None:
    email = seed.user(engine, "race@example.com", "viewer")
    outcomes: list[str] = []
    go = threading.Barrier(16)

    def attempt(password: str) -> None:
        go.wait()
        try:
            sign_in(engine, email, password, "203.0.113.9")
            outcomes.append("signed in")
        except SignInRefused as exc:
            outcomes.append("locked" if exc.status == 429 else "wrong")

    threads = [
        threading.Thread(target=attempt, args=(f"wrong password {i}",)) for i in range(15)
    ] + [threading.Thread(target=attempt, args=(seed.PASSWORD,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    checked = outcomes.count("wrong") + outcomes.count("signed in")
    assert checked <= MAX_FAILURES, outcomes
    assert outcomes.count("locked") >= 16 - MAX_FAILURES


@pytest.mark.browser
def test_a_cookie_captured_before_sign_out_opens_nothing_after_it(
    page: Any, live: str, engine: Engine
) -> None:
    email = seed.user(engine, "ada@example.com", "admin")
    browser_sign_in(page, live, email)
    page.wait_for_url(live + "/")
    stolen = {c["name"]: c["value"] for c in page.context.cookies()}
    assert (
        requests.get(
            live + "/tokens", cookies=stolen, allow_redirects=False, timeout=10
        ).status_code
        == 200
    )
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live + "/login*")
    after = requests.get(live + "/tokens", cookies=stolen, allow_redirects=False, timeout=10)
    assert after.status_code == 302 and "/login" in after.headers["Location"]
    browser_sign_in(page, live, email)  # signing in again works
    page.wait_for_url(live + "/")


@pytest.mark.browser
def test_a_password_change_ends_existing_sessions(page: Any, live: str, engine: Engine) -> None:
    email = seed.user(engine, "pat@example.com", "admin")
    browser_sign_in(page, live, email)
    page.wait_for_url(live + "/")
    set_password(engine, email=email, password="a brand new password")
    page.goto(live + "/tokens")
    assert page.url.startswith(live + "/login")


def test_javascript_urls_are_not_stored(client: FlaskClient, engine: Engine) -> None:
    seed.deliver(
        client,
        engine,
        {
            "id": "js-1",
            "name": "Eve",
            "url": "JavaScript:alert(1)",
            "website": "javascript:alert(2)",
        },
    )
    with session_scope(engine) as session:
        profile = session.exec(select(SocialProfile)).one()
        assert (profile.url, profile.website) == (None, None)


@pytest.mark.browser
def test_stored_javascript_urls_are_not_rendered_as_links(
    revops_page: Any, live: str, client: FlaskClient, engine: Engine
) -> None:
    seed.add_people(engine)
    [pid] = seed.review_profiles(client, engine, n=1)
    with session_scope(engine) as session:  # rows stored before normalisers refused them
        profile = session.get(SocialProfile, pid)
        assert profile is not None
        profile.url = "javascript:alert(1)"
        for tp in session.exec(select(Touchpoint).where(Touchpoint.profile_id == pid)):
            tp.post_url = "javascript:alert(2)"
    revops_page.goto(live + "/review")
    assert revops_page.locator("a[href^='javascript']").count() == 0
    assert "Dana Whitfield" in revops_page.content()  # the item is there, without the link
