"""Shared fixtures: settings on a fresh SQLite file, the app, a client; real servers on demand."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from enrich import runtime
from enrich.app import create_app
from enrich.config import Settings, load_settings
from enrich.db import upgrade
from tests import servers

STANDARD_SECRET = "whsec_" + base64.b64encode(b"enrich-test-secret-0123456789abcdef").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"some-other-secret-0123456789abcdef").decode()
X_SECRET = "x-consumer-secret-for-tests"
META_SECRET = "meta-app-secret-for-tests"
META_VERIFY_TOKEN = "meta-verify-token-for-tests"
LINKEDIN_SECRET = "linkedin-client-secret-for-tests"


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "database_url": database_url,
        "redis_url": None,
        "crm": "none",
        "standard_webhook_secrets": f"acme={STANDARD_SECRET}",
        "x_consumer_secret": X_SECRET,
        "meta_app_secret": META_SECRET,
        "meta_verify_token": META_VERIFY_TOKEN,
        "linkedin_client_secret": LINKEDIN_SECRET,
        "worker_threads": 2,
        # Tests write to the CRM sandbox when they sync; the window's own tests set one.
        "sync_window_s": 0.0,
    }
    values.update(overrides)
    return load_settings(env_file=None, **values)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'enrich.db'}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    upgrade(settings.database_url)
    app = create_app(settings)
    yield app
    runtime.uninstall()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy; fail with a clear message otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[servers.Server]:
    server = servers.start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[servers.Server]:
    server = servers.start_postgres()
    yield server
    server.stop()


# One browser for the whole run, shared by every suite that drives one (tests/console,
# tests/embed): two Playwright sync instances cannot be alive at once.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    playwright = playwright_api.sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()
    playwright.stop()
