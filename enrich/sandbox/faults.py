"""Run-time faults and quota limits of the sandbox.

Production CRMs throttle, time out, expire sessions and have bad minutes; the sync
workers must survive all of it, so the sandbox can misbehave on demand. `Faults` are
random (from a seeded RNG, so a failing test replays the same way) or deterministic
("fail the next N calls"); `Limits` are the quotas the real services enforce (Salesforce
daily allocation, HubSpot rolling 10 s burst, daily and search-per-second limits).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, fields
from typing import Any

FAULT_KINDS = ("429", "503", "401", "late", "lost")


@dataclass
class Faults:
    """Faults injected before a request reaches the CRM logic.

    rate_429 / rate_503 / rate_401 / rate_late / rate_lost are probabilities in [0, 1]: "429"
    is the CRM's own throttling answer (HubSpot 429 + Retry-After; Salesforce 403
    REQUEST_LIMIT_EXCEEDED, or with `sf_throttle_status=429` an HTTP 429 + Retry-After),
    "401" an expired session, "late" a call the CRM carries out but answers `late_ms` later,
    "lost" a call the CRM holds for `late_ms` and only then carries out (a client that timed
    out meanwhile cannot know its write is still coming: a retry may overtake it).
    `retry_after_s` is the Retry-After of an injected 429. `fail_next` answers the next N
    calls with `fail_with`. `delay_ms` slows every answer down.
    """

    rate_429: float = 0.0
    rate_503: float = 0.0
    rate_401: float = 0.0
    rate_late: float = 0.0
    rate_lost: float = 0.0
    late_ms: int = 2000
    retry_after_s: int = 1
    sf_throttle_status: int = 403
    delay_ms: int = 0
    fail_next: int = 0
    fail_with: str = "503"
    seed: int = 0

    def validate(self) -> None:
        for name in ("rate_429", "rate_503", "rate_401", "rate_late", "rate_lost"):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be a probability between 0 and 1, got {value!r}")
        if self.delay_ms < 0 or self.late_ms < 0 or self.fail_next < 0:
            raise ValueError("delay_ms, late_ms and fail_next must not be negative")
        if self.retry_after_s < 1:
            raise ValueError("retry_after_s must be at least 1 (Retry-After is whole seconds)")
        if self.sf_throttle_status not in (403, 429):
            raise ValueError("sf_throttle_status must be 403 (REQUEST_LIMIT_EXCEEDED) or 429")
        if str(self.fail_with) not in FAULT_KINDS:
            raise ValueError(f"fail_with must be one of {', '.join(FAULT_KINDS)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Limits:
    """Quotas. Defaults are generous except HubSpot search (about 5/s, as in production)."""

    sf_daily: int = 100_000
    hs_ten_secondly: int = 1_000
    hs_daily: int = 1_000_000
    hs_search_per_second: int = 5
    # HubSpot indexes new records for search a few seconds after they are created: a search
    # sees no record younger than this (0 = at once).
    hs_search_lag_ms: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def update_dataclass(obj: Any, changes: dict[str, Any]) -> None:
    """Apply `changes` to a dataclass, refusing unknown names (a typo must not pass silently)."""
    known = {f.name: f for f in fields(obj)}
    unknown = sorted(set(changes) - set(known))
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(known)}")
    for name, value in changes.items():
        kind = known[name].type
        if kind in ("float", float):
            value = float(value)
        elif kind in ("int", int):
            value = int(value)
        elif kind in ("str", str):
            value = str(value)
        setattr(obj, name, value)


class FaultInjector:
    """Decides, per request, whether a fault fires. One per CRM side; thread-safe."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self.faults = faults or Faults()
        self._rng = random.Random(self.faults.seed)
        self.fired: Counter[str] = Counter()  # faults injected so far, by kind

    def configure(self, **changes: Any) -> Faults:
        with self._lock:
            candidate = Faults(**self.faults.to_dict())
            update_dataclass(candidate, changes)
            candidate.validate()
            if "seed" in changes or candidate.seed != self.faults.seed:
                self._rng = random.Random(candidate.seed)
            self.faults = candidate
            return candidate

    def clear(self) -> None:
        with self._lock:
            self.faults = Faults(seed=self.faults.seed)

    def draw(self) -> tuple[str | None, float]:
        """(fault kind or None, delay in seconds) for one request."""
        with self._lock:
            f = self.faults
            delay = f.delay_ms / 1000.0
            if f.fail_next > 0:
                f.fail_next -= 1
                self.fired[f.fail_with] += 1
                return f.fail_with, delay
            # One draw per kind keeps the sequence reproducible whatever the rates are.
            for kind, rate in (
                ("401", f.rate_401),
                ("429", f.rate_429),
                ("503", f.rate_503),
                ("late", f.rate_late),
                ("lost", f.rate_lost),
            ):
                if self._rng.random() < rate:
                    self.fired[kind] += 1
                    return kind, delay
            return None, delay

    def answer_late(self) -> None:
        """Hold back the answer of a call that was carried out ("late"), or the call itself
        ("lost")."""
        time.sleep(self.faults.late_ms / 1000.0)


class Window:
    """A rolling-window counter (timestamps of accepted calls within `seconds`)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._times: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] >= self.seconds:
            self._times.popleft()

    def count(self, now: float | None = None) -> int:
        self._trim(time.monotonic() if now is None else now)
        return len(self._times)

    def retry_after(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        self._trim(now)
        return max(0.0, self.seconds - (now - self._times[0])) if self._times else 0.0

    def hit(self, now: float | None = None) -> None:
        self._times.append(time.monotonic() if now is None else now)

    def reset(self) -> None:
        self._times.clear()
