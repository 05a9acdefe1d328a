"""Storing a delivery on SQLite: the group commit's own insert, exactly once per delivery id.

Every test runs twice: with the insert through SQLite's C API (enrich/db/sqlite_direct.py, the
default where the library is found) and through the sqlite3 module (where it is not).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from enrich.db import make_engine, sqlite_direct, writers_lock
from enrich.db.group_commit import GroupCommit
from enrich.errors import StorageUnavailable
from enrich.models import EventStatus, RawEvent
from tests.conftest import make_settings
from webhooks.store import committer, store_raw_event


@pytest.fixture(autouse=True, params=["C API", "sqlite3 module"])
def insert_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "sqlite3 module":
        monkeypatch.setattr(sqlite_direct, "available", lambda: False)
    else:
        assert sqlite_direct.available()  # CI's Python links SQLite dynamically
    return str(request.param)


def test_concurrent_deliveries_and_their_retries_are_stored_once_each(database_url: str) -> None:
    engine = make_engine(make_settings(database_url))
    answers: list[tuple[str, int, bool]] = []
    lock = threading.Lock()

    def sender(n: int) -> None:
        # Every id is sent by two threads at once (a platform retrying a slow delivery).
        for i in range(40):
            delivery_id = f"msg_{(n // 2) * 40 + i}"
            raw_id, created = store_raw_event(
                engine,
                source="standard:acme",
                delivery_id=delivery_id,
                body=b'{"n": 1}',
                headers={"Webhook-Id": delivery_id, "Authorization": "Bearer secret"},
            )
            with lock:
                answers.append((delivery_id, raw_id, created))

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with Session(engine) as session:
        stored = {r.delivery_id: r for r in session.exec(select(RawEvent))}
    assert len(stored) == 160 and len(answers) == 320
    for delivery_id, raw_id, _ in answers:  # both senders are told the same row
        assert stored[delivery_id].id == raw_id
    created = [delivery_id for delivery_id, _, was_created in answers if was_created]
    assert sorted(created) == sorted(stored)  # one "accepted" per delivery, one "duplicate"
    row = stored["msg_0"]  # read back through the ORM as the processing job reads it
    assert isinstance(row.received_at, datetime) and row.received_at.tzinfo is not None
    assert row.headers == {"webhook-id": "msg_0"}  # credentials are never kept
    assert (row.body, row.status, row.attempts, row.known_account) == (
        b'{"n": 1}',
        EventStatus.PENDING,
        0,
        True,
    )
    engine.dispose()


def pending_row(delivery_id: str) -> dict[str, object]:
    """What `store_raw_event` hands the group commit for one delivery."""
    return {
        "source": "standard:acme",
        "delivery_id": delivery_id,
        "account": None,
        "known_account": True,
        "received_at": datetime.now().astimezone(),
        "headers": {},
        "body": delivery_id.encode(),
        "status": EventStatus.PENDING,
        "attempts": 0,
    }


def committer_on(url: str, **settings: Any) -> GroupCommit:
    from enrich.db import upgrade

    upgrade(url)
    return committer(make_engine(make_settings(url, **settings)))


def test_a_batch_is_one_statement_and_each_row_gets_its_own_id(tmp_path) -> None:
    committer = committer_on(f"sqlite:///{tmp_path / 'batch.db'}")
    engine = committer.engine
    connection = committer._open()

    def insert(*delivery_ids: str) -> list[tuple[int, bool]]:
        rows = [committer._insert.params(pending_row(d)) for d in delivery_ids]
        return committer._insert.run(connection, rows, committer._direct)

    first = insert(*(f"m{i}" for i in range(5)))
    # A retry of m1 and m3, a new m5 sent twice in the same batch, a new m6.
    second = insert("m1", "m5", "m3", "m5", "m6")

    with Session(engine) as session:
        ids = {r.delivery_id: r.id for r in session.exec(select(RawEvent))}
    assert first == [(ids[f"m{i}"], True) for i in range(5)]
    assert second == [
        (ids["m1"], False),
        (ids["m5"], True),
        (ids["m3"], False),
        (ids["m5"], False),
        (ids["m6"], True),
    ]
    connection.close()
    engine.dispose()


def test_many_requests_handing_the_commit_over_each_get_their_own_answer(tmp_path) -> None:
    committer = committer_on(f"sqlite:///{tmp_path / 'handover.db'}")
    engine = committer.engine
    committer.MAX_ROUNDS = 1  # a leader hands over after every batch: the most hand-overs
    answers: dict[str, list[tuple[int, bool]]] = {}
    failures: list[BaseException] = []
    lock = threading.Lock()

    def sender(n: int) -> None:
        for i in range(60):
            delivery_id = f"msg_{(n % 12) * 60 + i}"  # two senders per id
            try:
                result = committer.store(pending_row(delivery_id))
            except BaseException as exc:  # noqa: BLE001 - any failure fails the test below
                failures.append(exc)
                continue
            with lock:
                answers.setdefault(delivery_id, []).append(result)

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    with Session(engine) as session:
        ids = {r.delivery_id: r.id for r in session.exec(select(RawEvent))}
    assert len(ids) == 720 and sum(len(a) for a in answers.values()) == 1440
    for delivery_id, results in answers.items():
        assert sorted(results) == [(ids[delivery_id], False), (ids[delivery_id], True)]
    engine.dispose()


@contextmanager
def writers_lock_held_elsewhere(engine: Engine) -> Iterator[threading.Event]:
    """The writers' lock held by another thread (the other worker's leader, a processing job)
    until the yielded event is set, at the latest when the block ends."""
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with writers_lock(engine).held():
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    try:
        yield release
    finally:
        release.set()
        thread.join()


def test_a_commit_waits_for_the_writers_lock_then_stores(tmp_path) -> None:
    committer = committer_on(f"sqlite:///{tmp_path / 'wait.db'}")
    with writers_lock_held_elsewhere(committer.engine) as release:
        threading.Timer(0.2, release.set).start()
        started = time.monotonic()
        raw_id, created = committer.store(pending_row("after-the-wait"))
        waited = time.monotonic() - started

    assert created and waited >= 0.15
    with Session(committer.engine) as session:
        assert session.get(RawEvent, raw_id).delivery_id == "after-the-wait"
    committer.engine.dispose()


def test_a_writers_lock_held_past_the_busy_timeout_is_a_503_and_stores_nothing(tmp_path) -> None:
    committer = committer_on(f"sqlite:///{tmp_path / 'stuck.db'}", sqlite_busy_timeout_ms=100)
    with writers_lock_held_elsewhere(committer.engine), pytest.raises(StorageUnavailable):
        committer.store(pending_row("refused"))
    assert committer.store(pending_row("later")) == (1, True)  # the sender's retry
    committer.engine.dispose()
