"""A card route answers only when its CRM is configured, and (when set) only for the HubSpot
account enrich belongs to."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from enrich import runtime
from enrich.app import create_app
from enrich.config import Settings
from enrich.db import upgrade
from enrich.errors import ConfigError
from tests.conftest import make_settings
from tests.embed.conftest import (
    HS_CONTACT,
    HS_SECRET,
    PUBLIC,
    SF_CONTACT,
    hubspot_headers,
    hubspot_path,
    salesforce_headers,
)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(
        database_url, hubspot_client_secret=HS_SECRET, hubspot_portal_id="778", public_url=PUBLIC
    )


def test_another_hubspot_account_is_403(client: FlaskClient) -> None:
    path = hubspot_path("card", "0-1", HS_CONTACT)  # portalId=777
    answer = client.get(path, headers=hubspot_headers("GET", PUBLIC + path))
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "wrong_portal"


def test_an_unconfigured_crm_is_404_naming_the_setting(client: FlaskClient) -> None:
    answer = client.get(
        f"/embed/salesforce/card?recordId={SF_CONTACT}", headers=salesforce_headers()
    )
    assert answer.status_code == 404
    assert "SALESFORCE_CARD_KEY" in answer.get_json()["error"]["message"]


def test_a_short_salesforce_card_key_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least 32 characters"):
        make_settings(f"sqlite:///{tmp_path / 'x.db'}", salesforce_card_key="too-short")


def test_the_preview_is_not_served_in_production(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    upgrade(url)
    app: Flask = create_app(make_settings(url, env="production", secret_key="k" * 40))
    try:
        assert app.test_client().get(f"/embed/preview/{SF_CONTACT}").status_code == 404
    finally:
        runtime.uninstall()
