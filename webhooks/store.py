"""Durable, idempotent storage of a delivery: the only database work before a webhook answers.

SQLAlchemy Core, not the ORM: this is the hot path of ingest (see bench/ingest.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import threading
import weakref
from functools import cache
from typing import Any

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from enrich.db import writers_lock
from enrich.errors import StorageUnavailable
from enrich.models import EventStatus, RawEvent, utcnow

_TABLE = RawEvent.__table__  # type: ignore[attr-defined]
# Never kept with the raw bytes: credentials a proxy might forward.
_DROP_HEADERS = {"authorization", "cookie", "x-api-key", "proxy-authorization"}


def clean_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v[:1000] for k, v in headers.items() if k.lower() not in _DROP_HEADERS}


@cache
def _insert_statement(dialect: str) -> Any:
    # Built once per dialect: building `.values(...)` per request cost ~0.3 ms of a ~2 ms ack
    # (bench/ingest.py). The values travel as execute parameters instead.
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(_TABLE)
        .on_conflict_do_nothing(index_elements=["source", "delivery_id"])
        .returning(_TABLE.c.id)
    )


def store_raw_event(
    engine: Engine,
    *,
    source: str,
    delivery_id: str,
    body: bytes,
    headers: dict[str, str],
    account: str | None = None,
    known_account: bool = True,
    status: str = EventStatus.PENDING,
) -> tuple[int, bool]:
    """Commit the delivery; returns (raw event id, created). A duplicate returns created=False."""
    values = {
        "source": source,
        # Cutting a long id could make two deliveries one (and drop the second): hash it.
        "delivery_id": delivery_id if len(delivery_id) <= 200
        else "sha256:" + hashlib.sha256(delivery_id.encode()).hexdigest(),
        "account": account[:200] if account else None,
        "known_account": known_account,
        "received_at": utcnow(),
        "headers": clean_headers(headers),
        "body": body,
        "status": status,
        "attempts": 0,
    }
    if engine.dialect.name == "sqlite":
        return _group_commit(engine).store(values)
    try:
        with engine.begin() as conn:
            return _insert(conn, values)
    except DBAPIError as exc:
        # Locked, full, or unreachable: the sender must retry, so this becomes a 503.
        raise StorageUnavailable(f"could not store the delivery: {exc.orig}") from exc


def _insert(conn: Any, values: dict[str, Any]) -> tuple[int, bool]:
    new_id = conn.execute(_insert_statement(conn.dialect.name), values).scalar()
    if new_id is not None:
        return int(new_id), True
    existing = conn.execute(select(_TABLE.c.id).where(
        _TABLE.c.source == values["source"], _TABLE.c.delivery_id == values["delivery_id"]
    )).scalar_one()
    return int(existing), False


class _Slot:
    """One request's delivery, waiting for the writer; `done` is held until it is settled."""

    __slots__ = ("values", "done", "result", "error")

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        # A bare lock, released by the writer: cheaper than an Event (no Condition per request).
        self.done = threading.Lock()
        self.done.acquire()
        self.result: tuple[int, bool] | None = None
        self.error: Exception | None = None


class _SQLiteInsert:
    """The raw event insert as one SQL string and per-column converters, built once.

    SQLAlchemy compiles it and supplies the column types' own converters (UTC times, JSON), so
    rows are stored exactly as the ORM writes and reads them; executing it on the DB-API
    connection costs a few microseconds a row instead of SQLAlchemy's per-statement work.
    """

    COLUMNS = ("source", "delivery_id", "account", "known_account", "received_at", "headers",
               "body", "status", "attempts")

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        self.insert_sql = str(_insert_statement(dialect.name).compile(
            dialect=dialect, column_keys=list(self.COLUMNS)))
        self.select_sql = str(select(_TABLE.c.id).where(
            _TABLE.c.source == bindparam("source"),
            _TABLE.c.delivery_id == bindparam("delivery_id")).compile(dialect=dialect))
        converters = [(name, _TABLE.c[name].type.bind_processor(dialect)) for name in self.COLUMNS]
        self.converters = converters

    def params(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values[name] if convert is None else convert(values[name])
                     for name, convert in self.converters)

    def run(self, cursor: Any, values: dict[str, Any]) -> tuple[int, bool]:
        # fetchall: the statement must be finished before the commit.
        rows = cursor.execute(self.insert_sql, self.params(values)).fetchall()
        if rows:
            return int(rows[0][0]), True
        existing = cursor.execute(self.select_sql, (values["source"], values["delivery_id"]))
        return int(existing.fetchall()[0][0]), False


class GroupCommit:
    """One writer thread per process commits the deliveries of concurrent requests together.

    SQLite has one writer at a time, and a writer that finds the lock taken sleeps in steps of
    milliseconds; with every request thread committing on its own, that sleeping dominated the
    ack time. Here each request still waits until its own row is committed (ack only what is
    stored), but a burst shares one transaction and one commit. The writer keeps one DB-API
    connection and executes a precompiled insert on it (the hot path of bench/ingest.py).
    """

    MAX_BATCH = 256
    WAIT_S = 15.0

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.queue: queue.SimpleQueue[_Slot] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._insert = _SQLiteInsert(engine)
        self._writers = writers_lock(engine)

    def store(self, values: dict[str, Any]) -> tuple[int, bool]:
        self._ensure_thread()
        slot = _Slot(values)
        self.queue.put(slot)
        if not slot.done.acquire(timeout=self.WAIT_S):
            raise StorageUnavailable("the database did not commit the delivery in time")
        if slot.error is not None:
            raise slot.error
        assert slot.result is not None
        return slot.result

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="enrich-ingest-writer",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        connection: Any = None
        while True:
            batch = [self.queue.get()]
            while len(batch) < self.MAX_BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                if connection is None:
                    connection = self.engine.raw_connection()
                with self._writers.held():
                    results = self._commit(connection, batch)
                for slot, result in zip(batch, results, strict=True):
                    slot.result = result
            except Exception as exc:  # never leave a request waiting on a dead writer
                # Locked, full, read-only or unreachable: the sender must retry (a 503).
                reason = getattr(exc, "orig", None) or exc
                error = StorageUnavailable(f"could not store the delivery: {reason}")
                for slot in batch:
                    slot.error = error
                _discard(connection)
                connection = None
            for slot in batch:
                slot.done.release()

    def _commit(self, connection: Any, batch: list[_Slot]) -> list[tuple[int, bool]]:
        cursor = connection.cursor()
        try:
            results = [self._insert.run(cursor, slot.values) for slot in batch]
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            cursor.close()
        return results


def _discard(connection: Any) -> None:
    """Drop a connection after a failure; the next batch opens a fresh one."""
    if connection is not None:
        with contextlib.suppress(Exception):  # already broken: nothing more to release
            connection.invalidate()


_committers: weakref.WeakKeyDictionary[Engine, GroupCommit] = weakref.WeakKeyDictionary()
_committers_lock = threading.Lock()


def _group_commit(engine: Engine) -> GroupCommit:
    with _committers_lock:
        committer = _committers.get(engine)
        if committer is None:
            committer = _committers[engine] = GroupCommit(engine)
        return committer
