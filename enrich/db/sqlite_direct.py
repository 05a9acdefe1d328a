"""The ingest insert through SQLite's C API with the GIL kept: the commit's critical section.

Under load every call of Python's sqlite3 module, and `fcntl.flock`, lets go of the GIL, and
getting it back means waiting behind the request threads' Python. A batch insert that takes
~40 µs alone held the writers' lock for ~320 µs, while the other worker waited for that lock
(Ingest round 5 in bench/README.md's git history). Calls through `ctypes.PyDLL` keep the GIL,
so the lock is held for the insert alone. Nothing here waits while it keeps the GIL: the
connection's busy_timeout is 0 and the file lock is only tried; a taken lock raises `Busy`, and
the caller waits with the GIL released before it tries again.

Only the very library Python's sqlite3 module runs is used: two copies of SQLite in one process
do not see each other's POSIX locks, which can corrupt a database
(https://www.sqlite.org/howtocorrupt.html, 2.2.1). Where it cannot be found (a static build, no
/proc), `available()` is False and the store keeps to the sqlite3 module.
"""

from __future__ import annotations

import ctypes
import os
from functools import cache
from typing import Any

_OK, _BUSY, _LOCKED, _ROW, _DONE = 0, 5, 6, 100, 101
_OPEN_READWRITE, _OPEN_NOMUTEX = 0x2, 0x8000
_LOCK_EX, _LOCK_NB, _LOCK_UN = 2, 4, 8
_STATIC = None  # SQLite reads the bound bytes in place; they outlive the statement's run


class Busy(Exception):
    """The database's write lock or the writers' file lock is taken: try again shortly."""


class DirectError(Exception):
    """SQLite refused the insert (full, read-only, I/O error...): the message says why."""


@cache
def _libraries() -> tuple[Any, Any] | None:
    import sqlite3  # noqa: F401  (maps the library the sqlite3 module links)

    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "libsqlite3" in line}
    except OSError:
        return None
    if len(paths) != 1:
        return None
    lib = ctypes.PyDLL(paths.pop())
    libc = ctypes.PyDLL(None)
    p, i, i64, s = ctypes.c_void_p, ctypes.c_int, ctypes.c_int64, ctypes.c_char_p
    for name, restype, argtypes in (
        ("sqlite3_open_v2", i, [s, ctypes.POINTER(p), i, s]),
        ("sqlite3_close_v2", i, [p]),
        ("sqlite3_exec", i, [p, s, p, p, p]),
        ("sqlite3_prepare_v2", i, [p, s, i, ctypes.POINTER(p), p]),
        ("sqlite3_finalize", i, [p]),
        ("sqlite3_bind_null", i, [p, i]),
        ("sqlite3_bind_int64", i, [p, i, i64]),
        ("sqlite3_bind_double", i, [p, i, ctypes.c_double]),
        ("sqlite3_bind_text", i, [p, i, s, i, p]),
        ("sqlite3_bind_blob", i, [p, i, s, i, p]),
        ("sqlite3_step", i, [p]),
        ("sqlite3_reset", i, [p]),
        ("sqlite3_clear_bindings", i, [p]),
        ("sqlite3_changes", i, [p]),
        ("sqlite3_last_insert_rowid", i64, [p]),
        ("sqlite3_errmsg", s, [p]),
    ):
        function = getattr(lib, name)
        function.restype, function.argtypes = restype, argtypes
    libc.flock.restype, libc.flock.argtypes = i, [i, i]
    return lib, libc


def available() -> bool:
    return _libraries() is not None


class DirectWriter:
    """One process's connection for the ingest insert, used by one thread at a time."""

    def __init__(self, database: str, lock_path: str | None) -> None:
        libraries = _libraries()
        if libraries is None:
            raise DirectError("SQLite's library could not be found in this process")
        self._lib, self._libc = libraries
        self._db = ctypes.c_void_p()
        self._statements: dict[str, ctypes.c_void_p] = {}
        self._lock_fd = -1
        rc = self._lib.sqlite3_open_v2(
            database.encode(), ctypes.byref(self._db), _OPEN_READWRITE | _OPEN_NOMUTEX, None
        )
        if rc != _OK:
            message = self._message()
            self.close()
            raise DirectError(f"could not open {database}: {message}")
        try:
            # As the engine's connections (enrich/db/__init__.py), but no checkpoints of its own
            # (group_commit._Checkpointer runs them aside) and no waiting with the GIL kept.
            self._exec(
                b"PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0; PRAGMA busy_timeout=0"
            )
            if lock_path is not None:
                self._lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except BaseException:
            self.close()
            raise

    def insert(self, sql: str, params: list[Any]) -> tuple[int, int]:
        """Run one INSERT with `params` in its own transaction: (rows inserted, last row id).

        Raises Busy when a lock is taken (nothing was written), DirectError when SQLite fails.
        """
        if self._lock_fd >= 0 and self._libc.flock(self._lock_fd, _LOCK_EX | _LOCK_NB) != 0:
            raise Busy("the writers' lock is taken")
        try:
            statement = self._statement(sql)
            keep: list[bytes] = []  # the bound bytes, read in place until the bindings clear
            try:
                self._bind(statement, params, keep)
                rc = self._lib.sqlite3_step(statement)
                if rc == _DONE:
                    return self._lib.sqlite3_changes(self._db), self._lib.sqlite3_last_insert_rowid(
                        self._db
                    )
                if rc & 0xFF in (_BUSY, _LOCKED):
                    raise Busy(self._message())
                raise DirectError(self._message())
            finally:
                self._lib.sqlite3_reset(statement)
                self._lib.sqlite3_clear_bindings(statement)
                keep.clear()
        finally:
            if self._lock_fd >= 0:
                self._libc.flock(self._lock_fd, _LOCK_UN)

    def close(self) -> None:
        for statement in self._statements.values():
            self._lib.sqlite3_finalize(statement)
        self._statements.clear()
        if self._db:
            self._lib.sqlite3_close_v2(self._db)
            self._db = ctypes.c_void_p()
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def _statement(self, sql: str) -> ctypes.c_void_p:
        statement = self._statements.get(sql)
        if statement is None:
            statement = ctypes.c_void_p()
            encoded = sql.encode()
            if self._lib.sqlite3_prepare_v2(self._db, encoded, -1, ctypes.byref(statement), None):
                raise DirectError(self._message())
            self._statements[sql] = statement
        return statement

    def _bind(self, statement: ctypes.c_void_p, params: list[Any], keep: list[bytes]) -> None:
        lib = self._lib
        for index, value in enumerate(params, 1):
            if value is None:
                rc = lib.sqlite3_bind_null(statement, index)
            elif isinstance(value, int):  # bool included
                rc = lib.sqlite3_bind_int64(statement, index, value)
            elif isinstance(value, float):
                rc = lib.sqlite3_bind_double(statement, index, value)
            elif isinstance(value, str):
                data = value.encode()
                keep.append(data)
                rc = lib.sqlite3_bind_text(statement, index, data, len(data), _STATIC)
            elif isinstance(value, bytes | bytearray | memoryview):
                data = bytes(value)
                keep.append(data)
                rc = lib.sqlite3_bind_blob(statement, index, data, len(data), _STATIC)
            else:
                raise DirectError(f"cannot store a {type(value).__name__} (parameter {index})")
            if rc != _OK:
                raise DirectError(self._message())

    def _exec(self, sql: bytes) -> None:
        if self._lib.sqlite3_exec(self._db, sql, None, None, None) != _OK:
            raise DirectError(self._message())

    def _message(self) -> str:
        raw = self._lib.sqlite3_errmsg(self._db) if self._db else None
        return raw.decode("utf-8", "replace") if raw else "unknown SQLite error"
