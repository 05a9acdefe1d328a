"""Retry policies: how often a failed job is tried again and how long it waits, as data.

Modelled on rq's `Retry(max=..., interval=...)`: a policy is a value, and the code that
retries asks it two questions — is this attempt the last one (`exhausted`), and when is the
next one due (`wait`). Every retry limit of enrich is one of the policies below.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` tries, waiting `base_s * 2**attempts` (capped at `cap_s`, with jitter so
    that workers do not retry in step) between them. A wait the other side asked for
    (Retry-After) is taken as given: it says when to come back, and doubling it would only make
    a throttled backlog wait longer than it has to; it is not a fault either, so it never
    exhausts the attempts (`exhausted(..., throttled=True)` is False)."""

    max_attempts: int
    base_s: float = 1.0
    cap_s: float = 900.0
    jitter: float = 0.5  # the wait is drawn from [(1 - jitter) * w, w]

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_s <= 0 or self.cap_s < self.base_s:
            raise ValueError("a retry policy needs max_attempts >= 1 and 0 < base_s <= cap_s")
        if not 0.0 <= self.jitter < 1.0:
            raise ValueError("jitter must be in [0, 1)")

    def exhausted(self, attempts: int, *, throttled: bool = False) -> bool:
        """Whether `attempts` tries are all this policy allows (then: dead-letter)."""
        return not throttled and attempts >= self.max_attempts

    def wait(self, attempts: int, retry_after: float = 0.0) -> timedelta:
        """How long to wait after the `attempts`-th failed try."""
        if retry_after > 0:
            return timedelta(seconds=retry_after * random.uniform(1.0, 1.0 + self.jitter / 5))
        ceiling = min(self.base_s * 2.0**attempts, self.cap_s)
        return timedelta(seconds=ceiling * random.uniform(1.0 - self.jitter, 1.0))


# A CRM write: six tries over about a minute, then the dead-letter table (replayable).
CRM_WRITE = RetryPolicy(max_attempts=6, base_s=1.0)
# A webhook delivery whose processing fails (a normaliser bug, not the network): five tries.
DELIVERY = RetryPolicy(max_attempts=5)
# Reading a lead-form response from Meta or LinkedIn: six tries over about half an hour (a lead
# Meta says does not exist yet may be a replication delay), then dead-lettered or parked.
LEAD_READ = RetryPolicy(max_attempts=6, base_s=15.0, cap_s=900.0)
