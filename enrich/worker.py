"""`enrich worker` with REDIS_URL: an rq worker that rides out Redis outages of any length.

Redis is only a hint that work is waiting (the database holds the work), so losing it must never
end the worker. rq's `Worker.work()` quits on any exception its loop meets, and a Redis outage
raises from many places of that loop (waiting for a job, the heartbeat, the bookkeeping after a
job that already ran). `ResilientWorker` catches Redis's connection errors at each of those
places, waits for Redis with backoff, and carries on; the sweeper re-enqueues whatever the outage
dropped. Any other reason to quit is a real failure: the worker exits non-zero, so that
`Restart=on-failure` supervisors start it again. SIGTERM is rq's warm shutdown: the job running
finishes, then the worker exits 0.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import SimpleWorker
from rq.worker import WorkerStatus
from sqlalchemy.engine import make_url

log = logging.getLogger("enrich.worker")
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
T = TypeVar("T")

EXIT_OK = 0
EXIT_FAILED = 1


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def wait_for_redis(
    redis: Redis,
    url: str,
    stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Block until Redis answers a PING (backoff 0.5 s doubling to 5 s); False if `stop()`
    became true first."""
    delay = 0.5
    while not stop():
        try:
            redis.ping()
            return True
        except REDIS_DOWN as exc:
            log.warning("waiting for Redis at %s: %s", safe_url(url), exc)
            sleep(delay)
            delay = min(delay * 2, 5.0)
    return False


class ResilientWorker(SimpleWorker):
    """Jobs run in this process, not in a child forked per job: the matcher index and the scorer
    (built from the whole mirror) then live as long as the worker. Each step of rq's loop that
    talks to Redis waits out an outage instead of ending the loop."""

    redis_url = ""

    def _ride_out(
        self, step: Callable[..., T], *args: Any, default: T, retry: bool, **kwargs: Any
    ) -> T:
        while True:
            try:
                return step(*args, **kwargs)
            except REDIS_DOWN as exc:
                log.warning("lost Redis during %s: %s", step.__name__, exc)
                if not wait_for_redis(
                    self.connection, self.redis_url, stop=lambda: bool(self._stop_requested)
                ):
                    return default
                if not retry:
                    return default

    def subscribe(self) -> None:
        # rq's command channel (`rq` CLI shutdown/kill-horse commands, unused by enrich) runs a
        # pub/sub thread that rq's teardown stops *after* unsubscribing: the thread then waits
        # up to its 60 s poll for a subscription that never comes, and a SIGTERM'd idle worker
        # hangs for a minute before exiting. Without the channel there is nothing to wait for.
        pass

    def request_stop(self, signum: Any, frame: Any) -> None:
        # SIGTERM / Ctrl-C. Busy, rq's warm shutdown lets the job finish. Idle, rq raises
        # StopRequested wherever the worker is, and in a Redis read redis-py turns it into a
        # connection error that rq's dequeue loop retries for ever: the worker never stops.
        # SystemExit is not caught on the way; rq's teardown still runs (a `finally`).
        self._stop_requested = True
        if self.get_state() == WorkerStatus.BUSY:
            rq_worker: Any = super()  # rq leaves request_stop unannotated
            rq_worker.request_stop(signum, frame)
            return
        log.info("stop requested while idle: exiting")
        raise SystemExit(EXIT_OK)

    def dequeue_job_and_maintain_ttl(self, *args: Any, **kwargs: Any) -> Any:
        # Waiting for a job: try again once Redis is back (None would end the loop in burst).
        return self._ride_out(
            super().dequeue_job_and_maintain_ttl, *args, default=None, retry=True, **kwargs
        )

    def execute_job(self, *args: Any, **kwargs: Any) -> None:
        # The job's own work is in the database; what failed is rq's bookkeeping around it.
        # Running it again would only repeat an idempotent job: carry on instead.
        self._ride_out(super().execute_job, *args, default=None, retry=False, **kwargs)

    def heartbeat(self, *args: Any, **kwargs: Any) -> None:
        self._ride_out(super().heartbeat, *args, default=None, retry=False, **kwargs)

    def run_maintenance_tasks(self) -> None:
        self._ride_out(super().run_maintenance_tasks, default=None, retry=False)

    def check_for_suspension(self, *args: Any, **kwargs: Any) -> None:
        self._ride_out(super().check_for_suspension, *args, default=None, retry=False, **kwargs)


def run(redis: Redis, url: str, queue_name: str, *, burst: bool = False) -> int:
    """Work until told to stop; the process's exit code."""
    while True:
        # A worker that starts during an outage waits for Redis instead of exiting.
        wait_for_redis(redis, url)
        worker = ResilientWorker([queue_name], connection=redis)
        worker.redis_url = url
        try:
            worker.work(burst=burst, with_scheduler=False)
        except REDIS_DOWN as exc:  # registering or deregistering the worker itself
            log.warning("lost Redis: %s", exc)
            if worker._stop_requested:
                return EXIT_OK
            continue
        if worker._stop_requested or burst:
            return EXIT_OK
        # rq's loop quit on an exception it logged above ("found an unhandled exception").
        try:
            redis.ping()
        except REDIS_DOWN:
            continue  # an outage after all: start again once Redis is back
        log.error(
            "the worker quit on an unexpected error (logged above); exiting with status %d "
            "so that a supervisor restarts it",
            EXIT_FAILED,
        )
        return EXIT_FAILED
