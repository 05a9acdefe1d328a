"""Expired sessions and tokens: Salesforce renews its session once with the connected app's
refresh token and carries on; when it cannot (or on HubSpot, where a private app token cannot
be renewed), enrich raises one clear alert, keeps the work pending and stops calling the CRM
instead of collecting 401s in a loop."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from enrich.config import Settings
from enrich.deadletters import replay
from enrich.models import DeadLetter, SyncRequest
from enrich.sandbox import Sandbox
from enrich.services.stats import sync_health
from enrich.sync import alerts
from enrich.sync.connect import make_adapter
from enrich.sync.mirror import pull_job
from enrich.sync.writer import sync_pending
from tests.conftest import make_settings
from tests.sync.harness import World, people_seed

TOKEN = "POST /services/oauth2/token"


def letters(world: World) -> list[DeadLetter]:
    with Session(world.rt.engine) as s:
        return list(s.exec(select(DeadLetter)))


def pending(world: World) -> list[SyncRequest]:
    with Session(world.rt.engine) as s:
        return list(s.exec(select(SyncRequest)))


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=people_seed(10)) as sb:
        yield sb


def refreshing_world(tmp_path: Path, sandbox: Sandbox, **overrides: Any) -> World:
    return World(
        tmp_path,
        sandbox,
        "salesforce",
        salesforce_refresh_token=sandbox.refresh_token,
        salesforce_client_id=sandbox.client_id,
        salesforce_login_url=sandbox.salesforce_url,
        **overrides,
    )


def test_an_expired_salesforce_session_is_refreshed_once_and_the_write_lands(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    world = refreshing_world(tmp_path, sandbox)
    try:
        world.ingest([("person1@acme.example", "comment", "hello")])
        sandbox.expire_session("salesforce")
        stats = sync_pending()
        assert stats["written"] == 2 and stats["activities"] == 1
        assert sandbox.requests_count(TOKEN) == 1
        assert letters(world) == [] and pending(world) == []
        contact = sandbox.contact("person1@acme.example")
        assert contact is not None and contact["Social_Score__c"] > 0
        # The next job of this process starts with the refreshed session: no second refresh.
        world.ingest([("person2@acme.example", "like", None)])
        assert sync_pending()["written"] >= 1
        assert sandbox.contact("person2@acme.example")["Social_Score__c"] > 0
        assert sandbox.requests_count(TOKEN) == 1
    finally:
        world.close()


def refreshing_settings(tmp_path: Path, sandbox: Sandbox, **overrides: Any) -> Settings:
    return make_settings(
        f"sqlite:///{tmp_path / 'sessions.db'}",
        crm="salesforce",
        salesforce_instance_url=sandbox.salesforce_url,
        salesforce_session_id=sandbox.session_id,
        salesforce_ca_bundle=str(sandbox.ca_path),
        salesforce_refresh_token=sandbox.refresh_token,
        salesforce_client_id=sandbox.client_id,
        salesforce_login_url=sandbox.salesforce_url,
        **overrides,
    )


def one_job(settings: Settings) -> None:
    """What a job does with the CRM: build its adapter from settings, make a call."""
    list(make_adapter(settings).pull("account", None))


def refused(sandbox: Sandbox) -> int:
    return sum(1 for e in sandbox.request_log()["recent"] if e["status"] == 401)


def test_jobs_after_a_refresh_start_from_the_refreshed_session(
    tmp_path: Path, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    settings = refreshing_settings(tmp_path, sandbox)
    running = make_adapter(settings)  # a job that started before the session expired
    sandbox.expire_session("salesforce")
    sandbox.reset_log()
    with caplog.at_level(logging.DEBUG):
        one_job(settings)  # 401, one token call
        one_job(settings)  # starts from the refreshed session
        assert (sandbox.requests_count(TOKEN), refused(sandbox)) == (1, 1)
        # The job already running meets the 401 too, and takes the session kept by the first.
        list(running.pull("account", None))
    assert (sandbox.requests_count(TOKEN), refused(sandbox)) == (1, 2)
    assert sandbox.session_id not in caplog.text  # a credential: never logged
    assert sandbox.refresh_token not in caplog.text


@pytest.mark.redis
def test_workers_share_the_refreshed_session_through_redis(
    tmp_path: Path, sandbox: Sandbox, redis_server: Any
) -> None:
    from redis import Redis

    from tests.integration.conftest import settings_env

    redis = Redis.from_url(redis_server.url)
    redis.flushall()
    settings = refreshing_settings(tmp_path, sandbox, redis_url=redis_server.url)
    sandbox.expire_session("salesforce")
    sandbox.reset_log()
    one_job(settings)
    assert (sandbox.requests_count(TOKEN), refused(sandbox)) == (1, 1)
    # Another worker process: its job starts from the session this one refreshed.
    code = (
        "from enrich.config import load_settings\n"
        "from enrich.sync.connect import make_adapter\n"
        "print(len(list(make_adapter(load_settings(env_file=None)).pull('account', None))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 0
    assert (sandbox.requests_count(TOKEN), refused(sandbox)) == (1, 1)
    [key] = redis.keys("enrich:salesforce-session:*")
    assert 0 < redis.ttl(key) <= 3600  # kept briefly
    assert sandbox.refresh_token.encode() not in key


def test_a_failed_refresh_raises_one_clear_alert_and_no_401_loop(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    world = refreshing_world(tmp_path, sandbox)
    try:
        world.ingest([("person1@acme.example", "comment", "hello")])
        good_token = sandbox.refresh_token
        sandbox.expire_session("salesforce")
        sandbox.revoke_refresh_token()
        assert sync_pending() == {"auth_failed": 1}
        [alert] = letters(world)
        assert alert.kind == "crm_auth"
        assert "could not be refreshed (invalid_grant" in alert.error
        assert "SALESFORCE_REFRESH_TOKEN" in alert.error
        # Nothing is the records' fault: they wait, with no attempt spent.
        assert {r.attempts for r in pending(world)} == {0}
        with Session(world.rt.engine) as s:
            assert sync_health(s, world.settings)["crm_alert"] == alert.error
        sandbox.reset_log()
        world.ingest([("person2@acme.example", "like", None)])
        assert sync_pending() == {"auth_failed": 1}
        assert pull_job() == {}
        assert sandbox.requests_count() == 0  # no call at all while the alert is open
        assert len(letters(world)) == 1
        # An admin fixes the connected app and replays the alert: the work lands.
        sandbox.sf_api.refresh_token = good_token
        assert replay(world.rt.engine) == 1
        assert sync_pending()["written"] >= 2
        assert pending(world) == []
        for email in ("person1@acme.example", "person2@acme.example"):
            assert sandbox.contact(email)["Social_Score__c"] > 0
    finally:
        world.close()


def test_an_expired_session_without_a_refresh_token_says_what_to_set(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    world = World(tmp_path, sandbox, "salesforce")
    try:
        world.ingest([("person1@acme.example", "comment", "hello")])
        sandbox.expire_session("salesforce")
        assert sync_pending() == {"auth_failed": 1}
        [alert] = letters(world)
        assert "INVALID_SESSION_ID" in alert.error and "SALESFORCE_SESSION_ID" in alert.error
        assert len(pending(world)) == 2
    finally:
        world.close()


def test_an_expired_hubspot_token_alerts_and_new_credentials_lift_the_alert(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    world = World(tmp_path, sandbox, "hubspot")
    try:
        world.ingest([("person1@acme.example", "comment", "hello")])
        sandbox.expire_session("hubspot")
        assert sync_pending() == {"auth_failed": 1}
        [alert] = letters(world)
        assert "HUBSPOT_ACCESS_TOKEN" in alert.error
        assert alerts.open_alert(world.rt.engine, world.settings) is not None
        rotated = world.settings.model_copy(update={"hubspot_access_token": sandbox.access_token})
        assert alerts.open_alert(world.rt.engine, rotated) is None  # and it is closed now
        assert alerts.open_alert(world.rt.engine, world.settings) is None
    finally:
        world.close()
