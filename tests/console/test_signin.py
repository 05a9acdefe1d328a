"""Signing in to the console in a real browser: wrong password, rate limit, no open redirect,
and a form post without the CSRF token refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from tests.console import seed
from tests.console.conftest import sign_in

pytestmark = pytest.mark.browser


def test_wrong_password_then_right_one(page: Any, live: str, engine: Engine) -> None:
    email = seed.user(engine, "ana@example.com", "viewer")
    page.goto(live + "/people")
    assert page.url.startswith(live + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert page.locator(".flash.error").inner_text() == "wrong email or password"
    page.fill("input[name=password]", seed.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live + "/people")  # back where she was going
    assert page.locator("header.top").get_by_text(email).is_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "enrich_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["secure"]


def test_five_failures_lock_the_email_for_this_address(
    page: Any, live: str, engine: Engine
) -> None:
    email = seed.user(engine, "bo@example.com", "viewer")
    for _ in range(5):
        sign_in(page, live, email, "guess-guess-guess")
        assert "wrong email or password" in page.locator(".flash.error").inner_text()
    sign_in(page, live, email)  # even the right password now waits
    assert "too many failed sign-ins" in page.locator(".flash.error").inner_text()
    assert page.url.startswith(live + "/login")


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_next_must_be_a_local_path(page: Any, live: str, engine: Engine, target: str) -> None:
    email = seed.user(engine, "cy@example.com", "viewer")
    page.goto(f"{live}/login?next={target}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", seed.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live + "/")


def test_a_form_post_without_the_csrf_token_is_refused(
    revops_page: Any, live: str, client: Any
) -> None:
    # Same browser, same session cookie; only the token is missing, as in a forged post.
    answer = revops_page.request.post(live + "/sync/replay", form={"all": "1"})
    assert answer.status == 400
    assert "Form expired" in answer.text()
    answer = revops_page.request.post(
        live + "/sync/replay", form={"all": "1", "csrf_token": "forged"}
    )
    assert answer.status == 400
