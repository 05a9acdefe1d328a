"""Storing a delivery on SQLite: the group commit's own insert, exactly once per delivery id."""

from __future__ import annotations

import threading
from datetime import datetime

from sqlmodel import Session, select

from enrich.db import make_engine
from enrich.models import EventStatus, RawEvent
from tests.conftest import make_settings
from webhooks.store import store_raw_event


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
