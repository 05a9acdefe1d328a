"""Job queue: rq on Redis when `REDIS_URL` is set, a thread pool inside the process otherwise.

The queue is only a hint that work is waiting. The work itself is durable in the database
(pending raw events, sync requests), so a lost Redis or a killed worker loses nothing: the
sweeper (`enrich.pipeline.sweep`) re-enqueues whatever has waited too long.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from enrich.config import Settings
from enrich.db import retry_conflicts
from enrich.errors import StorageUnavailable

log = logging.getLogger(__name__)
QUEUE_NAME = "enrich"
HINT_DEBOUNCE_S = 0.2


class JobQueue(Protocol):
    kind: str

    def enqueue(self, func: Callable[..., Any], *args: Any, key: str | None = None) -> bool:
        """Queue `func(*args)`; `key` drops a duplicate already waiting. False if it could not."""

    def started(self, key: str) -> None:
        """A coalesced job (`key`) has started: hints enqueued from now on need a new run."""

    def idle(self, key: str, seconds: float) -> None:
        """A running coalesced job with nothing left waits here before it looks once more;
        a hint for `key` may end the wait early."""

    def ping(self) -> None: ...

    def shutdown(self) -> None: ...


class EmbeddedQueue:
    """Runs jobs on a background thread pool in this process (the embedded default).

    A keyed job runs at most once at a time: a hint given while it runs asks for one more run
    after it (instead of a second run beside it, which would only contend for the same rows and
    take a pool thread per hint).
    """

    kind = "embedded"

    def __init__(self, threads: int, run_jobs: bool = True) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="enrich-job")
        self._waiting: set[str] = set()
        self._running: set[str] = set()
        self._again: set[str] = set()
        self._hinted: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._run_jobs = run_jobs

    def enqueue(self, func: Callable[..., Any], *args: Any, key: str | None = None) -> bool:
        if not self._run_jobs:
            return False
        if key is not None:
            with self._lock:
                if key in self._waiting:
                    return True
                if key in self._running:
                    self._again.add(key)
                    self._hint(key).set()  # wakes the run if it is idling (`idle`)
                    return True
                self._waiting.add(key)
        return self._submit(func, args, key)

    def _submit(self, func: Callable[..., Any], args: tuple[Any, ...], key: str | None) -> bool:
        try:
            self._pool.submit(self._run, func, args, key)
        except RuntimeError:  # pool shut down: the sweeper of the next start picks it up
            if key is not None:
                with self._lock:
                    self._waiting.discard(key)
            return False
        return True

    def _run(self, func: Callable[..., Any], args: tuple[Any, ...], key: str | None) -> None:
        if key is not None:
            with self._lock:
                self._waiting.discard(key)
                self._running.add(key)
        try:
            retry_conflicts(func, *args)
        except StorageUnavailable as exc:  # down or locked: an operating condition, not a bug
            log.error(
                "job %s%r stopped: %s",
                getattr(func, "__name__", func),
                args,
                exc,
            )
        except Exception:
            log.exception("job %s%r failed", getattr(func, "__name__", func), args)
        finally:
            if key is not None:
                with self._lock:
                    self._running.discard(key)
                    again = key in self._again and key not in self._waiting
                    self._again.discard(key)
                    if again:
                        self._waiting.add(key)
                if again:
                    self._submit(func, args, key)

    def started(self, key: str) -> None:
        return None  # `_run` already moved the key from waiting to running

    def _hint(self, key: str) -> threading.Event:
        return self._hinted.setdefault(key, threading.Event())

    def idle(self, key: str, seconds: float) -> None:
        with self._lock:
            hint = self._hint(key)
        hint.wait(seconds)
        hint.clear()

    def ping(self) -> None:
        return None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)


class RQQueue:
    """Enqueues on Redis for `enrich worker` / `rq worker` processes."""

    kind = "rq"

    def __init__(self, redis_url: str) -> None:
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self.queue = Queue(QUEUE_NAME, connection=self.redis)
        self._hinted: dict[str, float] = {}

    def enqueue(self, func: Callable[..., Any], *args: Any, key: str | None = None) -> bool:
        from redis.exceptions import RedisError

        if key is not None:
            now = time.monotonic()
            # Skip the round trip for a hint given moments ago: a coalesced job re-reads the
            # database HINT_DEBOUNCE_S after it runs dry, so it still sees this work.
            if now - self._hinted.get(key, -1e9) < HINT_DEBOUNCE_S:
                return True
            self._hinted[key] = now
        try:
            # One waiting job per key: a burst of hints becomes one run. The job clears the
            # marker when it starts (`started`); the expiry only guards against a lost job.
            if key is not None and not self.redis.set(f"enrich:pending:{key}", 1, nx=True, ex=60):
                return True
            if key is None:
                self.queue.enqueue(func, *args, job_timeout=600, result_ttl=60, failure_ttl=86400)
            else:
                self.queue.enqueue(
                    run_keyed, key, func, *args, job_timeout=600, result_ttl=60, failure_ttl=86400
                )
        except RedisError as exc:
            # The work is in the database; the sweeper enqueues it again when Redis is back.
            log.warning("could not enqueue %s: %s", getattr(func, "__name__", func), exc)
            return False
        return True

    def started(self, key: str) -> None:
        from redis.exceptions import RedisError

        with contextlib.suppress(RedisError):  # the marker expires by itself
            self.redis.delete(f"enrich:pending:{key}")

    def idle(self, key: str, seconds: float) -> None:
        time.sleep(seconds)  # hints from other processes arrive as new jobs, not wake-ups

    def ping(self) -> None:
        self.redis.ping()

    def shutdown(self) -> None:
        self.redis.close()


def run_keyed(key: str, func: Callable[..., Any], *args: Any) -> Any:
    """rq entry point of a coalesced job: free its key first (on the Redis the job came from),
    so hints given while it runs enqueue the next run (a killed run's key expires by itself)."""
    from redis.exceptions import RedisError
    from rq import get_current_job

    job = get_current_job()
    if job is not None:
        with contextlib.suppress(RedisError):
            job.connection.delete(f"enrich:pending:{key}")
    return retry_conflicts(func, *args)


def make_queue(settings: Settings, *, run_jobs: bool = True) -> JobQueue:
    if settings.redis_url:
        return RQQueue(settings.redis_url)
    return EmbeddedQueue(settings.worker_threads, run_jobs=run_jobs)
