"""Group commit on SQLite: concurrent requests' rows committed together, by one of those requests.

SQLite lets one writer in at a time, and a writer that finds the lock taken sleeps in steps of
milliseconds; with every request committing on its own, that sleeping dominated the ack time of
ingest (bench/README.md, Ingest). This module knows nothing of webhooks: it commits rows of one
table with an idempotency key (`INSERT ... ON CONFLICT (key) DO NOTHING`) and tells each caller
its row's id and whether it was new.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import weakref
from typing import Any

from sqlalchemy import Engine, Table, bindparam, select

from enrich.db import sqlite_direct, writers_lock
from enrich.db.sqlite_direct import Busy, DirectWriter
from enrich.errors import StorageUnavailable

log = logging.getLogger(__name__)


class _Slot:
    """One request's delivery, queued for the next commit as its INSERT parameters (converted
    by the request's own thread, outside the commit).

    `wake` is a bare lock held until someone wakes the request's thread (cheaper than an Event:
    no Condition per request); `woken` (guarded by the committer's mutex) keeps it from being
    released twice.
    """

    __slots__ = ("row", "size", "wake", "woken", "result", "error")

    def __init__(self, row: list[Any], size: int) -> None:
        self.row = row
        self.size = size
        self.wake = threading.Lock()
        self.wake.acquire()
        self.woken = False
        self.result: tuple[int, bool] | None = None
        self.error: Exception | None = None

    @property
    def settled(self) -> bool:
        return self.result is not None or self.error is not None


class BatchInsert:
    """A whole batch's insert into `table` as one SQL statement, and per-column converters.

    SQLAlchemy supplies the dialect's converters of the column types (UTC times, JSON), so rows
    are stored exactly as the ORM writes and reads them. One multi-row INSERT per batch, through
    SQLite's C API with the GIL kept where it can (`sqlite_direct`), else on the DB-API
    connection: every call of the sqlite3 module lets go of the GIL, and under load each such
    hand-over cost more than the insert itself.
    """

    def __init__(
        self, engine: Engine, table: Table, key: tuple[str, ...], columns: tuple[str, ...]
    ) -> None:
        if columns[: len(key)] != key:
            raise ValueError("the key's columns come first")  # `run` reads them from the rows
        dialect = engine.dialect
        self.table, self.key, self.columns = table, key, columns
        self.select_sql = str(
            select(table.c.id)
            .where(*(table.c[name] == bindparam(name) for name in key))
            .compile(dialect=dialect)
        )
        self.converters = [
            (name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in columns
        ]
        self._sql: dict[int, str] = {}

    def sql(self, rows: int) -> str:
        statement = self._sql.get(rows)
        if statement is None:
            one = "(" + ", ".join("?" * len(self.columns)) + ")"
            statement = self._sql[rows] = (
                f"INSERT INTO {self.table.name} ({', '.join(self.columns)}) VALUES "
                + ", ".join([one] * rows)
                + f" ON CONFLICT ({', '.join(self.key)}) DO NOTHING"
            )
        return statement

    def params(self, values: dict[str, Any]) -> list[Any]:
        """One row's parameters, in column order (so the key comes first)."""
        return [
            values[name] if convert is None else convert(values[name])
            for name, convert in self.converters
        ]

    def run(
        self, connection: Any, rows: list[list[Any]], direct: DirectWriter | None = None
    ) -> list[tuple[int, bool]]:
        """Insert the rows (`params` each) in one statement on an autocommit connection
        (through `direct` when given): stored when it returns."""
        params = [value for row in rows for value in row]
        sql = self.sql(len(rows))
        if direct is not None:
            inserted, last = direct.insert(sql, params)
        else:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, params)
                inserted, last = cursor.rowcount, cursor.lastrowid
            finally:
                cursor.close()
        if inserted == len(rows):
            # SQLite numbers a new row one above the largest id, so the rows of one statement
            # (which holds the write lock) get consecutive ids, in VALUES order.
            return [(last - inserted + 1 + i, True) for i in range(inserted)]
        # A retried delivery (rare): look the rows up; the new ones are the top `inserted`.
        results, seen = [], set()
        cursor = connection.cursor()
        try:
            for row in rows:
                found = cursor.execute(self.select_sql, row[: len(self.key)]).fetchall()
                raw_id = int(found[0][0])
                created = inserted > 0 and last - inserted < raw_id <= last and raw_id not in seen
                seen.add(raw_id)
                results.append((raw_id, created))
        finally:
            cursor.close()
        return results


class GroupCommit:
    """Concurrent requests' rows are committed together, by one of those requests.

    The first request to find nobody committing becomes the leader: it commits its
    own row and every row queued meanwhile in one statement, wakes their requests, and goes on
    while rows keep arriving (at most MAX_ROUNDS batches, then it hands over to a waiting
    request, so its own answer is not held back). Each request still waits until its own row is
    committed (ack only what is stored). No thread of its own: handing every row to a writer
    thread and back cost two thread wake-ups per request, more than the insert
    (bench/README.md, Ingest).
    """

    MAX_BATCH = 256
    MAX_BATCH_BYTES = 8 * 1024 * 1024
    MAX_ROUNDS = 4
    WAIT_S = 15.0
    BUSY_NAP_S = 0.0001

    def __init__(self, engine: Engine, insert: BatchInsert) -> None:
        self.engine = engine
        self._pending: list[_Slot] = []
        self._mutex = threading.Lock()  # guards _pending and each slot's woken/result/error
        self._leading = threading.Lock()
        self._connection: Any = None
        self._direct: DirectWriter | None = None
        self._busy_wait_s = 0.0
        self._pid = os.getpid()
        self._insert = insert
        self._writers = writers_lock(engine)

    def store(self, values: dict[str, Any]) -> tuple[int, bool]:
        slot = _Slot(self._insert.params(values), _size(values))
        with self._mutex:
            self._pending.append(slot)
        deadline = time.monotonic() + self.WAIT_S
        while True:
            if not slot.settled and self._leading.acquire(blocking=False):
                self._lead(slot)
            with self._mutex:
                if slot.settled:
                    break
            # Woken when the row is settled, or to lead the next batch.
            if not slot.wake.acquire(timeout=max(0.0, deadline - time.monotonic())):
                with self._mutex:
                    if slot.settled:
                        break
                    if slot in self._pending:
                        self._pending.remove(slot)
                # A row already in a commit may still land: the sender's retry is a duplicate.
                raise StorageUnavailable("the database did not commit the delivery in time")
            with self._mutex:
                slot.woken = False  # that wake-up is used: the next one may release again
        if slot.error is not None:
            raise slot.error
        assert slot.result is not None
        return slot.result

    def _lead(self, own: _Slot) -> None:
        try:
            if len(self._pending) == 1:
                # Alone in the queue: let the GIL go once, so the requests other threads are
                # already handling can join this commit (PostgreSQL's commit_delay, without a
                # delay when nobody else is running). Fewer, larger commits: +2-7 % stored
                # per second at saturation (Ingest round 5 in bench/README.md's git history).
                time.sleep(0)
            for _ in range(self.MAX_ROUNDS):
                batch = self._take()
                if not batch:
                    break
                self._commit(batch, own)
        finally:
            self._leading.release()
        # Rows queued after the last batch would wait for a leader that is not coming: wake
        # one of their requests to lead.
        with self._mutex:
            if self._pending:
                self._wake(self._pending[0])

    def _take(self) -> list[_Slot]:
        with self._mutex:
            size, count = 0, 0
            for slot in self._pending[: self.MAX_BATCH]:
                if count and size + slot.size > self.MAX_BATCH_BYTES:
                    break
                size, count = size + slot.size, count + 1
            batch = self._pending[:count]
            del self._pending[:count]
        return batch

    def _commit(self, batch: list[_Slot], own: _Slot) -> None:
        results: list[tuple[int, bool]] | None = None
        error: Exception | None = None
        try:
            connection = self._open()
            results = self._insert_waiting(connection, [slot.row for slot in batch])
        except Exception as exc:  # never leave a request waiting on a failed commit
            # Locked, full, read-only or unreachable: the sender must retry (a 503).
            reason = getattr(exc, "orig", None) or exc
            error = StorageUnavailable(f"could not store the delivery: {reason}")
            self._close()
        with self._mutex:
            for i, slot in enumerate(batch):
                if results is not None:
                    slot.result = results[i]
                else:
                    slot.error = error
                if slot is not own:
                    self._wake(slot)

    def _insert_waiting(self, connection: Any, rows: list[list[Any]]) -> list[tuple[int, bool]]:
        # A taken writers' lock is waited for here, with the GIL released, in short naps (the
        # usual holder is the other worker's leader, which keeps it for one insert), up to the
        # busy timeout: then the batch is a 503, on either path.
        deadline = time.monotonic() + self._busy_wait_s
        while True:
            try:
                if self._direct is not None:
                    return self._insert.run(connection, rows, self._direct)
                try:
                    with self._writers.held(wait=False):
                        return self._insert.run(connection, rows)
                except BlockingIOError:
                    raise Busy("the writers' lock is taken") from None
            except Busy:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(self.BUSY_NAP_S)

    def _wake(self, slot: _Slot) -> None:
        # Under self._mutex. `woken` is set from this release until the request has taken
        # it, so a second wake-up in between (a hand-over, then the commit) is not a second
        # release of an unlocked lock.
        if not slot.woken:
            slot.woken = True
            slot.wake.release()

    def _open(self) -> Any:
        """The committer's own DB-API connection: autocommit, and no checkpoints of its own."""
        if self._connection is None or self._pid != os.getpid():
            if self._pid != os.getpid():
                # The parent's handles are the parent's: a child must not use or close them.
                self._pid, self._direct = os.getpid(), None
            connection: Any = self.engine.raw_connection()
            connection.driver_connection.isolation_level = None  # each INSERT commits itself
            cursor = connection.cursor()
            # A checkpoint copies the log into the database and syncs it; run by a commit, it
            # would hold every other request's commit back (_Checkpointer runs it aside).
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            self._busy_wait_s = cursor.execute("PRAGMA busy_timeout").fetchone()[0] / 1000
            cursor.close()
            self._connection = connection
            database = self.engine.url.database or ""
            if sqlite_direct.available() and os.path.isfile(database):
                self._direct = DirectWriter(database, self._writers.path)
            _Checkpointer.ensure(self.engine)
        return self._connection

    def _close(self) -> None:
        """Drop the connections after a failure; the next batch opens fresh ones."""
        _discard(self._connection)
        self._connection = None
        if self._direct is not None:
            self._direct.close()
            self._direct = None


class _Checkpointer:
    """Checkpoints the SQLite log beside the commits, every EVERY_S (a thread per engine and
    process; one forked from a parent is not alive in the child and is started again).

    A passive checkpoint never waits for, nor blocks, readers and writers; other connections
    still checkpoint as they commit (SQLite's default), so the log stays bounded either way.
    """

    EVERY_S = 0.5
    _started: weakref.WeakKeyDictionary[Engine, threading.Thread] = weakref.WeakKeyDictionary()
    _lock = threading.Lock()

    @classmethod
    def ensure(cls, engine: Engine) -> None:
        with cls._lock:
            thread = cls._started.get(engine)
            if thread is None or not thread.is_alive():
                thread = threading.Thread(
                    target=cls._run,
                    args=(weakref.ref(engine),),
                    name="enrich-wal-checkpoint",
                    daemon=True,
                )
                cls._started[engine] = thread
                thread.start()

    @classmethod
    def _run(cls, engine_ref: weakref.ref[Engine]) -> None:
        connection: Any = None
        while True:
            time.sleep(cls.EVERY_S)
            engine = engine_ref()
            if engine is None:
                _discard(connection)
                return
            try:
                if connection is None:
                    connection = engine.raw_connection()
                cursor = connection.cursor()
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                cursor.close()
            except Exception as exc:  # a busy or vanished database: try again next time
                log.debug("WAL checkpoint skipped: %s", exc)
                _discard(connection)
                connection = None
            del engine


def _discard(connection: Any) -> None:
    """Drop a connection after a failure; the next batch opens a fresh one."""
    if connection is not None:
        with contextlib.suppress(Exception):  # already broken: nothing more to release
            connection.invalidate()


def _size(values: dict[str, Any]) -> int:
    """A row's weight against MAX_BATCH_BYTES: its bytes and strings."""
    return sum(len(v) for v in values.values() if isinstance(v, bytes | str))


_committers: weakref.WeakKeyDictionary[Engine, dict[str, GroupCommit]] = weakref.WeakKeyDictionary()
_committers_lock = threading.Lock()


def group_commit(
    engine: Engine, table: Table, key: tuple[str, ...], columns: tuple[str, ...]
) -> GroupCommit:
    """The process's committer for rows of `table` on `engine` (one per engine and table)."""
    with _committers_lock:
        by_table = _committers.setdefault(engine, {})
        committer = by_table.get(table.name)
        if committer is None:
            insert = BatchInsert(engine, table, key, columns)
            committer = by_table[table.name] = GroupCommit(engine, insert)
        return committer
