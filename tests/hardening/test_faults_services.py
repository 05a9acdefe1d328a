"""Faults of the scale-out services, with real processes: PostgreSQL stopped under a running web
app (503, then recovery without a restart, and nothing acknowledged that was not stored), and
redis-server stopped and restarted empty while signed webhooks arrive (rq mode: `enrich serve`
+ `enrich worker` + `enrich scheduler`): every acknowledged webhook ends processed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlmodel import Session, func, select

from enrich.db import make_engine, upgrade
from enrich.models import EventStatus, RawEvent, Touchpoint
from tests import servers
from tests.conftest import make_settings, wait_until
from tests.hardening.conftest import SIGNERS, valid_body
from tests.integration.conftest import Process, postgres_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
FIGURES: dict[str, Any] = {}


@pytest.fixture
def own_postgres() -> Iterator[servers.Server]:
    """A PostgreSQL of this test alone: it is stopped and started again."""
    server = servers.start_postgres()
    yield server
    server.stop()


class Sender(threading.Thread):
    """Posts distinct signed deliveries one after another, as a platform would, and records
    every answer (a 503 is retried later by the platform: here, by the next round)."""

    def __init__(self, url: str, receiver: str = "standard") -> None:
        super().__init__(daemon=True)
        self.url, self.receiver = url, receiver
        self.answers: list[tuple[str, int, str]] = []  # (key, status, error code)
        self.stop_event = threading.Event()
        self.n = 0

    def run(self) -> None:
        path, sign = SIGNERS[self.receiver]
        while not self.stop_event.is_set():
            self.n += 1
            body = valid_body(self.receiver, self.n)
            try:
                answer = requests.post(self.url + path, data=body, headers=sign(body), timeout=15)
                code = (
                    answer.json().get("error", {}).get("code", "")
                    if answer.status_code >= 400
                    else answer.json()["status"]
                )
                self.answers.append((f"tp-{self.n}", answer.status_code, code))
                assert "Traceback" not in answer.text
            except requests.RequestException as exc:
                self.answers.append((f"tp-{self.n}", 0, type(exc).__name__))
            time.sleep(0.02)

    def finish(self) -> list[tuple[str, int, str]]:
        self.stop_event.set()
        self.join(30)
        return self.answers


def rq_workers(redis: servers.Server) -> int:
    from redis import Redis
    from rq import Worker

    return len(Worker.all(connection=Redis.from_url(redis.url)))


def count(engine: Any, model: Any, *where: Any) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(model).where(*where)).one())


def test_postgres_down_is_503_and_recovers_without_restart(
    own_postgres: servers.Server, tmp_path: Path, serve: Callable[..., Any]
) -> None:
    settings = make_settings(postgres_database(own_postgres), sweep_after_s=1.0)
    upgrade(settings.database_url)
    served = serve(settings, "--no-migrate")
    sender = Sender(served.url)
    sender.start()
    wait_until(lambda: len(sender.answers) >= 10, timeout=20)
    servers.halt(own_postgres)
    down_at = time.monotonic()
    wait_until(lambda: sum(1 for a in sender.answers if a[1] == 503) >= 10, timeout=30)
    health = requests.get(served.url + "/healthz", timeout=10)
    assert health.status_code == 503 and health.json()["checks"]["database"].startswith(
        "unreachable"
    )
    servers.resume(own_postgres)
    down_s = time.monotonic() - down_at
    mark = len(sender.answers)
    wait_until(lambda: any(a[1] == 200 for a in sender.answers[mark:]), timeout=30)
    recovered_after = next(i for i, a in enumerate(sender.answers[mark:]) if a[1] == 200)
    wait_until(lambda: len(sender.answers) >= mark + recovered_after + 10, timeout=20)
    answers = sender.finish()

    statuses = {a[1] for a in answers}
    assert statuses <= {200, 503}, statuses  # never a 500, never a dropped connection
    assert all(a[2] == "storage_unavailable" for a in answers if a[1] == 503)
    acked = {a[0] for a in answers if a[1] == 200}
    engine = make_engine(settings)
    try:
        with Session(engine) as s:
            stored = {r.delivery_id for r in s.exec(select(RawEvent))}
            stored_keys = {json.loads(r.body)["data"]["id"] for r in s.exec(select(RawEvent))}
        # Acknowledge only what is stored: every 2xx has its raw event, no 503 has one.
        assert acked <= stored_keys, acked - stored_keys
        refused = {a[0] for a in answers if a[1] == 503}
        assert not (refused & stored_keys), refused & stored_keys
        assert len(stored) == len(acked)
        wait_until(
            lambda: count(engine, RawEvent, RawEvent.status == EventStatus.PENDING) == 0, timeout=30
        )
        assert count(engine, Touchpoint) == len(acked)
    finally:
        engine.dispose()
    served.stop()
    assert "unexpected error" not in served.process.output()
    FIGURES["postgres"] = {
        "answers": len(answers),
        "acked": len(acked),
        "refused_503": len(refused),
        "down_s": round(down_s, 2),
        "503s_after_restart": recovered_after,
    }
    print("FIGURES", FIGURES["postgres"])


@pytest.mark.redis
def test_redis_restart_loses_no_acknowledged_webhook(
    postgres_server: servers.Server, tmp_path: Path, serve: Callable[..., Any]
) -> None:
    redis = servers.start_redis()
    try:
        settings = make_settings(
            postgres_database(postgres_server), redis_url=redis.url, sweep_after_s=1.0
        )
        upgrade(settings.database_url)
        served = serve(settings, "--no-migrate")
        worker = Process(["worker"], settings, tmp_path / "worker.log")
        scheduler = Process(["scheduler"], settings, tmp_path / "scheduler.log")
        engine = make_engine(settings)
        try:
            wait_until(lambda: rq_workers(redis), timeout=30)  # up before Redis goes away
            sender = Sender(served.url)
            sender.start()
            wait_until(lambda: len(sender.answers) >= 20, timeout=20)
            # Down for 10 s while jobs run: rq's loop meets the outage mid-job (the heartbeat
            # after a job), which once made the worker quit with status 0 (issue 15).
            servers.halt(redis)
            mark = len(sender.answers)
            time.sleep(10)
            during = sender.answers[mark:]
            assert len(during) >= 20
            servers.resume(redis)  # back, empty: every queued hint is gone
            back_at = time.monotonic()
            later = len(sender.answers)
            wait_until(lambda: len(sender.answers) >= later + 20, timeout=30)
            answers = sender.finish()
            acked = [a for a in answers if a[1] == 200]
            # Redis is only a hint: deliveries are acknowledged while it is down.
            assert all(a[1] == 200 for a in during), during
            assert {a[1] for a in answers} == {200}
            wait_until(lambda: count(engine, Touchpoint) == len(acked), timeout=90)
            settle_s = time.monotonic() - back_at
            assert count(engine, RawEvent, RawEvent.status == EventStatus.PENDING) == 0
            assert count(engine, RawEvent) == len(acked)
            worker_survived = worker.proc.poll() is None  # the rq worker rode out the outage
            assert worker_survived, worker.output()[-3000:]
            assert "lost Redis" in worker.output()
            worker.stop()  # SIGTERM: rq's warm shutdown, then a clean exit
            assert worker.proc.returncode == 0, worker.output()[-3000:]
        finally:
            engine.dispose()
            worker.stop()
            scheduler.stop()
            served.stop()
        FIGURES["redis"] = {
            "acked": len(acked),
            "acked_while_down": len(during),
            "all_processed_s_after_restart": round(settle_s, 2),
            "worker_survived": worker_survived,
        }
        print("FIGURES", FIGURES["redis"])
        assert "unexpected error" not in served.process.output()
    finally:
        redis.stop()


@pytest.mark.redis
def test_a_worker_started_while_redis_is_down_waits_for_it_then_works(
    postgres_server: servers.Server, tmp_path: Path, serve: Callable[..., Any]
) -> None:
    redis = servers.start_redis()
    try:
        settings = make_settings(
            postgres_database(postgres_server), redis_url=redis.url, sweep_after_s=1.0
        )
        upgrade(settings.database_url)
        served = serve(settings, "--no-migrate")
        servers.halt(redis)
        worker = Process(["worker"], settings, tmp_path / "worker.log")
        scheduler = Process(["scheduler"], settings, tmp_path / "scheduler.log")
        engine = make_engine(settings)
        try:
            path, sign = SIGNERS["standard"]
            body = valid_body("standard")
            answer = requests.post(served.url + path, data=body, headers=sign(body), timeout=10)
            assert answer.status_code == 200  # stored; the hint to Redis is lost
            wait_until(lambda: "waiting for Redis" in worker.output(), timeout=30)
            assert worker.proc.poll() is None
            servers.resume(redis)
            wait_until(lambda: count(engine, Touchpoint) == 1, timeout=60)
            assert worker.proc.poll() is None and rq_workers(redis) == 1
        finally:
            engine.dispose()
            worker.stop()
            scheduler.stop()
    finally:
        redis.stop()
