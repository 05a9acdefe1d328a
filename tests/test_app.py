"""The app shell: health, JSON errors everywhere, settings checks, the command line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask import request
from flask.testing import FlaskClient
from sqlalchemy import create_engine, inspect

from enrich import runtime
from enrich.app import create_app
from enrich.cli import cli
from enrich.config import Settings
from enrich.db import upgrade
from enrich.errors import ConfigError
from tests.conftest import make_settings


def test_healthz_reports_database_and_queue(client: FlaskClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json == {"status": "ok", "checks": {"database": "ok", "queue": "ok (embedded)"}}


def test_unknown_route_and_wrong_method_get_json_errors(client: FlaskClient) -> None:
    missing = client.get("/nope")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    wrong = client.get("/webhooks/standard/acme")
    assert wrong.status_code == 405 and wrong.json["error"]["status"] == 405


def test_production_refuses_placeholder_secrets(database_url: str) -> None:
    settings = make_settings(database_url, env="production", secret_key="changeme")
    with pytest.raises(ConfigError, match="ENRICH_SECRET_KEY"):
        settings.check_production()


def test_malformed_standard_webhook_secret_is_a_config_error(database_url: str) -> None:
    settings = make_settings(database_url, standard_webhook_secrets="acme=not-a-secret")
    with pytest.raises(ConfigError, match="source=whsec_"):
        settings.standard_secrets()


def test_postgres_urls_get_the_psycopg_driver(database_url: str) -> None:
    assert make_settings("postgres://u:p@h/db").database_url == "postgresql+psycopg://u:p@h/db"


def test_db_upgrade_creates_every_table(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    tables = set(inspect(create_engine(settings.database_url)).get_table_names())
    assert {"raw_event", "touchpoint", "crm_record", "identity_link", "sync_request"} <= tables


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["worker"],
        ["scheduler"],
        ["db", "upgrade"],
        ["crm", "pull"],
        ["sync"],
        ["events", "replay"],
        ["demo"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_a_command_needing_a_crm_says_which_settings_are_missing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CRM", "salesforce")
    for name in ("SALESFORCE_SESSION_ID", "SALESFORCE_USERNAME", "SALESFORCE_INSTANCE_URL"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli, ["crm", "pull"])
    assert result.exit_code == 1
    assert "SALESFORCE_SESSION_ID" in result.output and "Traceback" not in result.output


def test_a_web_process_keeps_the_collector_off_its_long_lived_heap(database_url: str) -> None:
    # A full collection of the app's heap held the GIL for ~100 ms under load (bench/ingest.py).
    import gc

    from enrich import runtime
    from enrich.db import upgrade
    from enrich.server import build_wsgi_app

    upgrade(database_url)
    gc.unfreeze()
    app = build_wsgi_app(make_settings(database_url))
    try:
        assert gc.get_freeze_count() > 10_000  # the modules, tables and caches loaded so far
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        gc.unfreeze()
        scheduler = app.extensions.get("enrich.scheduler")
        if scheduler is not None:
            scheduler.stop()
        runtime.uninstall()


def test_production_answers_with_hsts(database_url: str) -> None:
    settings = make_settings(database_url, env="production", secret_key="s" * 40)
    upgrade(database_url)
    app = create_app(settings)
    try:
        answer = app.test_client().get("/healthz")
        assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        runtime.uninstall()


def test_forwarded_for_counts_only_behind_a_configured_proxy(database_url: str) -> None:
    upgrade(database_url)
    for proxies, expected in ((0, "127.0.0.1"), (1, "198.51.100.7")):
        app = create_app(make_settings(database_url, trusted_proxies=proxies))
        app.add_url_rule("/whoami", "whoami", lambda: request.remote_addr or "")
        try:
            answer = app.test_client().get("/whoami", headers={"X-Forwarded-For": "198.51.100.7"})
            assert answer.get_data(as_text=True) == expected
        finally:
            runtime.uninstall()
