"""The job queues: a keyed (coalesced) job runs once at a time, and no hint is lost."""

from __future__ import annotations

import logging
import threading

import pytest
from rq import SimpleWorker

from enrich.errors import StorageUnavailable
from enrich.queue import EmbeddedQueue, RQQueue
from tests.conftest import wait_until
from tests.servers import Server


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


def test_a_job_that_finds_the_database_unavailable_says_so_in_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A locked or unreachable database is an operating condition: one error line, no
    traceback (a bug in a job keeps its traceback)."""
    queue = EmbeddedQueue(threads=1)

    def scan() -> None:
        raise StorageUnavailable("database unavailable: database is locked")

    def broken() -> None:
        raise KeyError("a bug")

    try:
        with caplog.at_level(logging.ERROR, logger="enrich.queue"):
            queue.enqueue(scan, key="scan")
            queue.enqueue(broken, key="broken")
            wait_until(lambda: len(caplog.records) == 2)
    finally:
        queue.shutdown()
    by_message = {r.getMessage().split("(")[0]: r for r in caplog.records}
    unavailable, bug = by_message["job scan"], by_message["job broken"]
    assert "stopped: database unavailable: database is locked" in unavailable.getMessage()
    assert unavailable.exc_info is None and bug.exc_info is not None


def test_a_hint_ends_the_idle_wait_of_the_running_job_at_once() -> None:
    queue = EmbeddedQueue(threads=2)
    waited: list[float] = []

    def job() -> None:
        import time

        if waited:
            return  # the run after it (the hint also asked for one): nothing left to do
        start = time.monotonic()
        queue.idle("ingest", 5.0)  # a run with nothing left, looking once more later
        waited.append(time.monotonic() - start)

    try:
        assert queue.enqueue(job, key="ingest")
        wait_until(lambda: "ingest" in queue._running)
        queue.enqueue(job, key="ingest")  # a delivery arrives meanwhile
        wait_until(lambda: waited)
        assert waited[0] < 1.0
    finally:
        queue.shutdown()


RUNS: list[str] = []


def record(label: str) -> None:
    RUNS.append(label)


@pytest.mark.redis
def test_on_redis_a_burst_of_hints_is_one_job_and_the_key_frees_when_it_starts(
    redis_server: Server,
) -> None:
    queue = RQQueue(redis_server.url)
    queue.redis.flushdb()
    RUNS.clear()
    try:
        assert queue.enqueue(record, "first", key="ingest")
        for _ in range(5):
            assert RQQueue(redis_server.url).enqueue(record, "again", key="ingest")
        assert queue.queue.count == 1  # one waiting job for the key

        SimpleWorker([queue.queue], connection=queue.redis).work(burst=True)
        assert RUNS == ["first"]
        assert not queue.redis.exists("enrich:pending:ingest")  # freed by the job itself

        assert RQQueue(redis_server.url).enqueue(record, "next", key="ingest")
        assert queue.queue.count == 1  # a hint after the run started is a new job
    finally:
        queue.redis.flushdb()
        queue.shutdown()
