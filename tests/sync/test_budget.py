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
