"""The embedded queue: a keyed (coalesced) job runs once at a time, and no hint is lost."""

from __future__ import annotations

import threading

from enrich.queue import EmbeddedQueue
from tests.conftest import wait_until


def test_a_keyed_job_hinted_while_it_runs_runs_once_more_after_it_never_beside_it() -> None:
    queue = EmbeddedQueue(threads=4)
    release = threading.Event()
    running, most, runs = 0, 0, 0
    guard = threading.Lock()

    def job() -> None:
        nonlocal running, most, runs
        with guard:
            running += 1
            runs += 1
            most = max(most, running)
        release.wait(5)
        with guard:
            running -= 1

    try:
        assert queue.enqueue(job, key="ingest")
        wait_until(lambda: runs == 1)
        for _ in range(10):  # a burst of hints while the first run is busy
            assert queue.enqueue(job, key="ingest")
        release.set()
        wait_until(lambda: runs == 2 and running == 0)
        assert most == 1  # never two runs of one key side by side
        assert queue.enqueue(job, key="ingest")  # idle again: a hint starts a run at once
        wait_until(lambda: runs == 3 and running == 0)
    finally:
        release.set()
        queue.shutdown()
