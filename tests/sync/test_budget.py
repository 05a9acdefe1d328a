"""The shared rate limit keeps every worker of a CRM connection under the CRM's own limit."""

from __future__ import annotations

import time
from typing import Any

import pytest

from enrich.sync.budget import WindowLimiter


def test_calls_past_the_window_limit_wait_for_the_next_window() -> None:
    limiter = WindowLimiter("test-local", per_window=3, window_s=0.5)
    start = time.monotonic()
    waited = [limiter.acquire() for _ in range(4)]
    assert waited[:3] == [0.0, 0.0, 0.0]
    assert waited[3] > 0 and time.monotonic() - start >= waited[3] * 0.9


@pytest.mark.redis
def test_two_workers_share_one_budget_through_redis(redis_server: Any) -> None:
    from redis import Redis

    Redis.from_url(redis_server.url).flushall()
    first = WindowLimiter("shared", per_window=4, window_s=2.0, redis_url=redis_server.url)
    second = WindowLimiter("shared", per_window=4, window_s=2.0, redis_url=redis_server.url)
    # Align to the start of a window so all five calls fall into the same one.
    time.sleep(2.0 - time.time() % 2.0 + 0.01)
    waits = [first.acquire(), second.acquire(), first.acquire(), second.acquire(), first.acquire()]
    assert waits[:4] == [0.0] * 4 and waits[4] > 0


def test_a_manual_pull_spends_the_daily_budget_like_the_scheduled_one(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner
    from sqlalchemy import create_engine

    from enrich.cli import cli
    from enrich.db import upgrade
    from enrich.sandbox import Sandbox
    from enrich.sync.budget import used_today
    from tests.sync.harness import people_seed

    url = f"sqlite:///{tmp_path / 'pull.db'}"
    upgrade(url)
    with Sandbox(seed=people_seed(5)) as sandbox:
        for key, value in {
            "DATABASE_URL": url,
            "ENRICH_ENV": "test",
            **sandbox.env("salesforce"),
        }.items():
            monkeypatch.setenv(key, value)
        result = CliRunner().invoke(cli, ["crm", "pull"])
        assert result.exit_code == 0, result.output
        calls = int(result.output.split(" in ")[-1].split()[0])
        assert calls == sandbox.requests_count(side="salesforce") > 0
    engine = create_engine(url)
    assert used_today(engine, "salesforce") == calls
    engine.dispose()
