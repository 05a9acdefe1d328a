"""Browser fixtures: the app on a real HTTP server in a thread, Debian's Chromium driven by
Playwright (no downloaded browser), a signed-in page helper."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine
from werkzeug.serving import make_server

from enrich import runtime
from tests.console import seed

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def engine(app: Flask) -> Engine:
    return runtime.current().engine


@pytest.fixture
def live(app: Flask) -> Iterator[str]:
    """The app served over real HTTP on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(5000)
    yield context
    context.close()


@pytest.fixture
def page(context: Any) -> Any:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    return page


def sign_in(
    page: Any, base: str, email: str, password: str = seed.PASSWORD, path: str = "/login"
) -> None:
    page.goto(base + path)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


@pytest.fixture
def revops_page(page: Any, live: str, engine: Engine) -> Callable[..., Any]:
    """Sign a revops user in and return the page."""
    email = seed.user(engine, "rita@example.com", "revops")
    sign_in(page, live, email)
    page.wait_for_url(live + "/")
    return page
