"""The daily CRM API budget: enrich never spends more than its share of the org's allocation.

Calls are counted per CRM connection and UTC day in `ApiUsage` (shared by every worker through
the database). Near the budget, writes wait for the next day and the console says so; a bug can
never burn the whole org's quota.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from enrich.config import Settings
from enrich.db import rowcount, session_scope
from enrich.models import ApiUsage, utcnow


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def used_today(engine: Engine, crm: str) -> int:
    with Session(engine) as session:
        row = session.exec(
            select(ApiUsage).where(ApiUsage.crm == crm, ApiUsage.day == today())
        ).first()
        return row.calls if row else 0


def charge(engine: Engine, crm: str, calls: int, limit_seen: int | None = None) -> None:
    """Add `calls` to today's count (atomically, so concurrent workers add up)."""
    if calls <= 0 and limit_seen is None:
        return
    day = today()
    values: dict[str, object] = {"calls": ApiUsage.calls + calls, "updated_at": utcnow()}
    if limit_seen is not None:
        values["limit_seen"] = limit_seen
    with session_scope(engine) as session:
        hit = rowcount(
            session.execute(
                update(ApiUsage)
                .where(col(ApiUsage.crm) == crm, col(ApiUsage.day) == day)
                .values(**values)
            )
        )
    if hit:
        return
    try:
        with session_scope(engine) as session:
            session.add(ApiUsage(crm=crm, day=day, calls=calls, limit_seen=limit_seen))
    except IntegrityError:  # another worker created today's row first
        charge(engine, crm, calls, limit_seen)


def remaining(engine: Engine, crm: str, budget: int) -> int:
    return budget - used_today(engine, crm)


def daily_limit(engine: Engine, settings: Settings) -> int:
    """The configured budget, lowered to a share of the org's allocation once the CRM told it
    (`CrmAdapter.api_limit`, recorded by `charge`)."""
    with Session(engine) as session:
        seen = session.exec(
            select(ApiUsage.limit_seen)
            .where(ApiUsage.crm == settings.crm, col(ApiUsage.limit_seen).is_not(None))
            .order_by(col(ApiUsage.id).desc())
        ).first()
    if seen:
        return min(int(settings.crm_daily_budget), int(seen * settings.crm_budget_share))
    return int(settings.crm_daily_budget)


class WindowLimiter:
    """At most `per_window` CRM calls per `window_s` across every worker of this connection.

    With Redis the count is shared (INCR on a key per window); embedded, it is this process's.
    A caller over the limit sleeps until the next window (plus jitter, so workers do not stampede),
    which keeps enrich under HubSpot's rolling 10-second limit instead of collecting 429s.
    """

    def __init__(
        self, name: str, per_window: int, window_s: float = 10.0, redis_url: str | None = None
    ) -> None:
        self.name, self.per_window, self.window_s = name, per_window, window_s
        self._redis = None
        if redis_url:
            from redis import Redis

            self._redis = Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self._lock = threading.Lock()
        self._local: dict[int, int] = {}

    def _count(self, window: int) -> int:
        if self._redis is not None:
            from redis.exceptions import RedisError

            key = f"enrich:rate:{self.name}:{window}"
            try:
                pipe = self._redis.pipeline()
                pipe.incr(key)
                pipe.expire(key, int(self.window_s) * 2 + 1)
                return int(pipe.execute()[0])
            except RedisError:
                pass  # fall back to this process's count rather than stop syncing
        with self._lock:
            self._local = {w: n for w, n in self._local.items() if w >= window}
            self._local[window] = self._local.get(window, 0) + 1
            return self._local[window]

    def acquire(self) -> float:
        """Wait for a slot; returns the seconds waited."""
        waited = 0.0
        while True:
            now = time.time()
            window = int(now // self.window_s)
            if self._count(window) <= self.per_window:
                return waited
            pause = (window + 1) * self.window_s - now + random.uniform(0, 0.2 * self.window_s)
            time.sleep(pause)
            waited += pause
