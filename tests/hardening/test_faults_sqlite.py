"""SQLite faults against a real `enrich serve`: the database locked by another process's write
transaction, opened read-only, or full (the file-size limit of the server process reached).
Each is a 503 with the JSON error body and Retry-After, never a 2xx; after the fault clears, the
same delivery is accepted exactly once."""

from __future__ import annotations

import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, func, select

from enrich.db import make_engine, upgrade
from enrich.models import RawEvent, Touchpoint
from tests.conftest import make_settings, wait_until
from tests.hardening.conftest import SIGNERS, valid_body
from tests.integration.conftest import Process, settings_env

BUSY_MS = 300


def assert_503(answer: Any) -> None:
    assert answer.status_code == 503, answer.text[:300]
    assert answer.headers["Retry-After"] == "5"
    assert answer.json()["error"]["code"] == "storage_unavailable"
    assert "Traceback" not in answer.text


def counts(settings: Any, delivery_id: str) -> tuple[int, int]:
    engine = make_engine(settings)
    try:
        with Session(engine) as s:
            raws = s.exec(
                select(func.count())
                .select_from(RawEvent)
                .where(RawEvent.delivery_id == delivery_id)
            ).one()
            tps = s.exec(select(func.count()).select_from(Touchpoint)).one()
            return int(raws), int(tps)
    finally:
        engine.dispose()


def test_locked_database_is_503_then_accepted_exactly_once(
    tmp_path: Path, serve: Callable[..., Any]
) -> None:
    path = tmp_path / "enrich.db"
    settings = make_settings(f"sqlite:///{path}", sqlite_busy_timeout_ms=BUSY_MS)
    upgrade(settings.database_url)
    served = serve(settings, "--no-migrate")
    route, sign = SIGNERS["standard"]
    body = valid_body("standard", 1)
    headers = sign(body)

    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        timings = []
        for _ in range(3):  # the sender retries; every retry is refused while locked
            started = time.monotonic()
            assert_503(served.post(route, body, headers))
            timings.append(time.monotonic() - started)
        assert max(timings) < 5, timings  # bounded by ENRICH_SQLITE_BUSY_TIMEOUT_MS, not 5 s
        health = served.post(route, body, headers)
        assert health.status_code == 503
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert counts(settings, headers["webhook-id"]) == (0, 0)

    first = served.post(route, body, headers)
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    again = served.post(route, body, headers)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    wait_until(lambda: counts(settings, headers["webhook-id"]) == (1, 1), timeout=20)
    served.stop()
    assert "Traceback" not in served.process.output()
    pytest.locked_timings = timings  # type: ignore[attr-defined]  (reported by the docs run)


def test_read_only_database_is_503(tmp_path: Path, serve: Callable[..., Any]) -> None:
    path = tmp_path / "enrich.db"
    upgrade(f"sqlite:///{path}")
    # Opened read-only (as a read-only mount or volume would be): every write fails.
    settings = make_settings(
        f"sqlite:///file:{path}?mode=ro&uri=true", sqlite_busy_timeout_ms=BUSY_MS
    )
    served = serve(settings, "--no-migrate")
    for receiver, (route, sign) in sorted(SIGNERS.items()):
        body = valid_body(receiver, 7)
        assert_503(served.post(route, body, sign(body)))
    served.stop()
    log = served.process.output()
    # The web path logs one line per refusal; only background jobs (the sweeper, which also
    # cannot write) may log a traceback, as any failed job does.
    assert "readonly database" in log and "unexpected error" not in log


def test_full_database_is_503_then_accepted_once_space_returns(
    tmp_path: Path, serve: Callable[..., Any]
) -> None:
    """The server's file-size limit (RLIMIT_FSIZE) stands in for a full disk: SQLite's writes
    past it fail with EFBIG, the same path as ENOSPC (an I/O error on write)."""
    path = tmp_path / "enrich.db"
    settings = make_settings(f"sqlite:///{path}", sqlite_busy_timeout_ms=BUSY_MS)
    upgrade(settings.database_url)
    limit = path.stat().st_size + 64 * 1024

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    from tests.hardening.conftest import Served

    served = Served.__new__(Served)
    port = __import__("tests.servers", fromlist=["free_port"]).free_port()
    served.port, served.url = port, f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    proc = Process.__new__(Process)
    proc.log, proc._out = log, open(log, "ab")  # noqa: SIM115
    proc.proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "enrich",
            "serve",
            "--no-migrate",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=settings_env(settings),
        stdout=proc._out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=limited,
    )
    served.process = proc
    try:
        wait_until(lambda: _up(served.url), timeout=30)
        route, sign = SIGNERS["standard"]
        big = valid_body("standard", 9).replace(b'"hello"', b'"' + b"h" * 9000 + b'"')
        bodies = [big.replace(b"tp-9", f"tp-9-{i}".encode()) for i in range(40)]
        signed = [(b, sign(b)) for b in bodies]
        answers = [served.post(route, b, h).status_code for b, h in signed]
        assert set(answers) <= {200, 503}
        # Once the log is checkpointed its space is reused, so a 200 may follow a 503 (and is
        # stored); when the database file cannot grow either, it stays full.
        assert answers[-10:] == [503] * 10, answers
    finally:
        proc.stop()
    log_text = proc.output()
    assert "storage unavailable" in log_text and "unexpected error" not in log_text
    # Space back (a server without the limit): a delivery is stored again.
    with sqlite3.connect(path) as conn:
        stored = conn.execute("SELECT count(*) FROM raw_event").fetchone()[0]
    assert stored == answers.count(200)  # every 200 was stored, no 503 was
    again = serve(settings, "--no-migrate", log="serve2.log")
    for (body, headers), answer in zip(signed, answers, strict=True):
        # The sender retries what was refused: stored now, once; what was accepted stays once.
        expected = "accepted" if answer == 503 else "duplicate"
        assert again.post(route, body, headers).json()["status"] == expected
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM raw_event").fetchone()[0] == len(signed)
    pytest.full_answers = answers


def _up(url: str) -> bool:
    import requests

    try:
        return requests.get(url + "/healthz", timeout=2).status_code in (200, 503)
    except requests.RequestException:
        return False
