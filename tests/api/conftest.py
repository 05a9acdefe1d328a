"""API fixtures: the app on a fresh database, tokens per role, seeded people and review items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from enrich import runtime
from tests.console import seed


@pytest.fixture
def engine(app: Flask) -> Engine:
    return runtime.current().engine


@dataclass
class Api:
    """A test client that speaks JSON with a bearer token."""

    client: FlaskClient
    token: str | None

    def call(
        self, method: str, url: str, json: Any = None, token: str | None = "default", **kw: Any
    ) -> Any:
        headers = dict(kw.pop("headers", {}))
        secret = self.token if token == "default" else token
        if secret is not None:
            headers["Authorization"] = f"Bearer {secret}"
        return self.client.open(url, method=method, json=json, headers=headers, **kw)

    def get(self, url: str, **kw: Any) -> Any:
        return self.call("GET", url, **kw)

    def post(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.call("POST", url, json=json, **kw)


@pytest.fixture
def tokens(engine: Engine) -> dict[str, str]:
    return {role: seed.token(engine, role) for role in ("admin", "revops", "viewer")}


@pytest.fixture
def admin(client: FlaskClient, tokens: dict[str, str]) -> Api:
    return Api(client, tokens["admin"])


@pytest.fixture
def revops(client: FlaskClient, tokens: dict[str, str]) -> Api:
    return Api(client, tokens["revops"])


@pytest.fixture
def viewer(client: FlaskClient, tokens: dict[str, str]) -> Api:
    return Api(client, tokens["viewer"])


@pytest.fixture
def people(client: FlaskClient, engine: Engine) -> dict[str, int]:
    """The seeded contacts (email -> record id) and one engaged, auto-linked person."""
    ids = seed.add_people(engine)
    seed.deliver(
        client,
        engine,
        {
            "id": "li-dana",
            "email": "dana.whitfield@northwind.example",
            "name": "Dana Whitfield",
            "handle": "danawhit",
        },
        text="Great thread on zero trust and cloud security",
    )
    return ids


@pytest.fixture
def pending(client: FlaskClient, engine: Engine, people: dict[str, int]) -> list[int]:
    """Three profiles in the review queue; returns their profile ids."""
    return seed.review_profiles(client, engine, 3)


def error(answer: Any) -> tuple[int, str]:
    """(status, code) of an error answer, after checking the body has the shared shape."""
    body = answer.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"status", "code", "message"}, body
    assert body["error"]["status"] == answer.status_code
    assert body["error"]["message"]
    return answer.status_code, body["error"]["code"]
