"""Fixtures and helpers of the hardening suite: a real app on a real SQLite file (module-scoped,
so hypothesis can reuse it across examples), correctly signed requests for each receiver, and an
`enrich serve` child process bound to a free port."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from enrich import runtime
from enrich.app import create_app
from enrich.config import Settings
from enrich.db import upgrade
from tests import servers
from tests.conftest import (
    LINKEDIN_SECRET,
    META_SECRET,
    STANDARD_SECRET,
    X_SECRET,
    make_settings,
)
from tests.integration.conftest import Process
from tests.signing import linkedin_headers, meta_headers, standard_headers, x_headers

# Every secret value the test deployment knows: none may ever appear in a log.
SECRETS = (
    STANDARD_SECRET,
    STANDARD_SECRET.removeprefix("whsec_"),
    X_SECRET,
    META_SECRET,
    LINKEDIN_SECRET,
)

# receiver → (path, function(body) -> correctly signed headers)
SIGNERS: dict[str, tuple[str, Callable[[bytes], dict[str, str]]]] = {
    "standard": ("/webhooks/standard/acme", lambda b: standard_headers(STANDARD_SECRET, b)),
    "x": ("/webhooks/x", lambda b: x_headers(X_SECRET, b)),
    "meta": ("/webhooks/meta", lambda b: meta_headers(META_SECRET, b)),
    "linkedin": ("/webhooks/linkedin", lambda b: linkedin_headers(LINKEDIN_SECRET, b)),
}
SIGNATURE_HEADER = {
    "standard": "webhook-signature",
    "x": "x-twitter-webhooks-signature",
    "meta": "X-Hub-Signature-256",
    "linkedin": "X-LI-Signature",
}


def valid_body(receiver: str, n: int = 0, *, actor: str | None = None) -> bytes:
    """A well-formed delivery for each receiver (n makes it a distinct delivery)."""
    if receiver == "standard":
        return json.dumps(
            {
                "type": "touchpoint.created",
                "data": {
                    "platform": "linkedin",
                    "kind": "comment",
                    "id": f"tp-{n}",
                    "text": "hello",
                    "actor": {"id": actor or f"urn:li:person:{n}", "name": "A Person"},
                },
            }
        ).encode()
    if receiver == "x":
        return json.dumps(
            {
                "for_user_id": "1490000000",
                "favorite_events": [
                    {
                        "id": f"fav{n}",
                        "created_at": "Mon Nov 24 10:00:00 +0000 2026",
                        "favorited_status": {"id_str": "555", "user": {"id_str": "1490000000"}},
                        "user": {"id_str": actor or f"u{n}", "screen_name": f"user{n}"},
                    }
                ],
            }
        ).encode()
    if receiver == "meta":
        return json.dumps(
            {
                "object": "page",
                "entry": [
                    {
                        "id": "1031000000",
                        "time": 1764000000,
                        "changes": [
                            {
                                "field": "feed",
                                "value": {
                                    "item": "comment",
                                    "verb": "add",
                                    "comment_id": f"c{n}",
                                    "post_id": "1031_1",
                                    "from": {"id": actor or f"fb{n}", "name": "A Person"},
                                    "message": "hi",
                                    "created_time": 1764000000,
                                },
                            }
                        ],
                    }
                ],
            }
        ).encode()
    return json.dumps(
        {
            "type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS",
            "notifications": [
                {
                    "notificationId": n + 1000,
                    "action": "LIKE",
                    "organizationalEntity": "urn:li:organization:2414183",
                    "actor": actor or f"urn:li:person:p{n}",
                    "sourcePost": "urn:li:share:1",
                    "lastModifiedAt": 1764000000000,
                }
            ],
        }
    ).encode()


def assert_clean_answer(answer: Any) -> None:
    """No 5xx, and every refusal is the documented JSON error body without a traceback."""
    status = answer.status_code
    text = answer.get_data(as_text=True) if hasattr(answer, "get_data") else answer.text
    assert status < 500, (status, text[:500])
    assert "Traceback" not in text and 'File "' not in text
    if status >= 400:
        body = json.loads(text)
        assert set(body["error"]) == {"status", "code", "message"}
        assert body["error"]["status"] == status


@pytest.fixture(scope="module")
def hardening_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    database = tmp_path_factory.mktemp("hardening") / "enrich.db"
    settings = make_settings(f"sqlite:///{database}")
    upgrade(settings.database_url)
    return settings


@pytest.fixture(scope="module")
def module_app(hardening_settings: Settings) -> Iterator[Flask]:
    app = create_app(hardening_settings)
    yield app
    runtime.uninstall()


@pytest.fixture(scope="module")
def mclient(module_app: Flask) -> FlaskClient:
    return module_app.test_client()


class Served:
    """`enrich serve` as a real child process on a free port."""

    def __init__(self, settings: Settings, log: Path, *args: str) -> None:
        self.port = servers.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = Process(
            [
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
                "--threads",
                "4",
                *args,
            ],
            settings,
            log,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code in (200, 503):
                    return
            except requests.RequestException:
                pass
            if self.process.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"enrich serve did not start:\n{self.process.output()}")
            time.sleep(0.1)

    def post(
        self, path: str, body: bytes, headers: dict[str, str], timeout: float = 30
    ) -> requests.Response:
        return requests.post(self.url + path, data=body, headers=headers, timeout=timeout)

    def stop(self) -> None:
        self.process.stop()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(settings: Settings, *args: str, log: str = "serve.log") -> Served:
        served = Served(settings, tmp_path / log, *args)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


@pytest.fixture(scope="module")
def served_sqlite(
    hardening_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """`enrich serve` on the module's SQLite database."""
    served = Served(
        hardening_settings, tmp_path_factory.mktemp("served") / "serve.log", "--no-migrate"
    )
    yield served
    served.stop()


@pytest.fixture
def sandbox() -> Iterator[Any]:
    """The loopback CRM sandbox seeded with the sample contacts (as tests/integration has)."""
    from enrich.sandbox import SAMPLE_SEED, Sandbox

    with Sandbox(seed=SAMPLE_SEED) as sb:
        yield sb
