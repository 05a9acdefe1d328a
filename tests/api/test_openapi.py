"""The OpenAPI document is honest (every route is in it) and the API survives being fuzzed from
it by schemathesis: whatever it sends, no answer is a 5xx and every error has the shared shape."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from enrich import runtime
from enrich.api.openapi import DOCUMENT
from enrich.app import create_app
from enrich.db import upgrade
from tests.conftest import make_settings
from tests.console import seed

ADMIN_TOKEN = "fuzz-admin-token-0123456789abcdef"


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_every_api_route_is_documented(app: Flask) -> None:
    routes = {
        (_openapi_path(r.rule), m.lower())
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/v1")
        for m in r.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, ops in DOCUMENT["paths"].items() for method in ops}
    assert routes == documented


def test_the_document_is_served(client: FlaskClient) -> None:
    body = client.get("/api/v1/openapi.json").get_json()
    assert body["openapi"] == "3.1.0" and "/api/v1/review" in body["paths"]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for the whole fuzz run, with people, review items and a dead letter."""
    folder: Path = tmp_path_factory.mktemp("fuzz")
    config = make_settings(f"sqlite:///{folder / 'enrich.db'}", admin_token=ADMIN_TOKEN)
    upgrade(config.database_url)
    app = create_app(config)
    engine = runtime.current().engine
    client = app.test_client()
    seed.add_people(engine)
    seed.review_profiles(client, engine, 2)
    seed.park(engine, seed.deliver(client, engine, {"id": "fuzz-dl"}, kind="like"))
    yield app
    runtime.uninstall()


schema = schemathesis.openapi.from_dict(DOCUMENT)


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_request_from_the_schema_gets_a_5xx(case: schemathesis.Case, fuzz_app: Flask) -> None:
    response = case.call(app=fuzz_app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["status"] == response.status_code and error["code"] and error["message"]
