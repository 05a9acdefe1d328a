"""Storing a delivery on SQLite: the group commit's own insert, exactly once per delivery id."""

from __future__ import annotations

import threading
from datetime import datetime

from sqlmodel import Session, select

from enrich.db import make_engine
from enrich.models import EventStatus, RawEvent
from tests.conftest import make_settings
from webhooks.store import GroupCommit, store_raw_event


def test_concurrent_deliveries_and_their_retries_are_stored_once_each(database_url: str) -> None:
    engine = make_engine(make_settings(database_url))
    answers: list[tuple[str, int, bool]] = []
    lock = threading.Lock()

    def sender(n: int) -> None:
        # Every id is sent by two threads at once (a platform retrying a slow delivery).
        for i in range(40):
            delivery_id = f"msg_{(n // 2) * 40 + i}"
            raw_id, created = store_raw_event(
                engine, source="standard:acme", delivery_id=delivery_id, body=b'{"n": 1}',
                headers={"Webhook-Id": delivery_id, "Authorization": "Bearer secret"})
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
        b'{"n": 1}', EventStatus.PENDING, 0, True)
    engine.dispose()


def pending_row(delivery_id: str) -> dict[str, object]:
    """What `store_raw_event` hands the group commit for one delivery."""
    return {"source": "standard:acme", "delivery_id": delivery_id, "account": None,
            "known_account": True, "received_at": datetime.now().astimezone(), "headers": {},
            "body": delivery_id.encode(), "status": EventStatus.PENDING, "attempts": 0}


def committer_on(url: str) -> GroupCommit:
    from enrich.db import upgrade

    upgrade(url)
    return GroupCommit(make_engine(make_settings(url)))


def test_a_batch_is_one_statement_and_each_row_gets_its_own_id(tmp_path) -> None:  # type: ignore[no-untyped-def]
    committer = committer_on(f"sqlite:///{tmp_path / 'batch.db'}")
    engine = committer.engine
    connection = committer._open()

    first = committer._insert.run(connection, [pending_row(f"m{i}") for i in range(5)])
    # A retry of m1 and m3, a new m5 sent twice in the same batch, a new m6.
    second = committer._insert.run(connection,
                                   [pending_row(d) for d in ("m1", "m5", "m3", "m5", "m6")])

    with Session(engine) as session:
        ids = {r.delivery_id: r.id for r in session.exec(select(RawEvent))}
    assert first == [(ids[f"m{i}"], True) for i in range(5)]
    assert second == [(ids["m1"], False), (ids["m5"], True), (ids["m3"], False),
                      (ids["m5"], False), (ids["m6"], True)]
    connection.close()
    engine.dispose()


def test_many_requests_handing_the_commit_over_each_get_their_own_answer(tmp_path) -> None:  # type: ignore[no-untyped-def]
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
