"""The ingest insert through SQLite's C API: stores what the sqlite3 module would, never waits
with the GIL kept, and says why SQLite refused."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from enrich.db.sqlite_direct import Busy, DirectError, DirectWriter, available

pytestmark = pytest.mark.skipif(not available(), reason="SQLite is linked statically here")
INSERT = "INSERT INTO t (a, b) VALUES (?, ?)"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "direct.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a, b NOT NULL)")
    yield path


def rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as reader:
        return reader.execute("SELECT id, a, b FROM t ORDER BY id").fetchall()


def test_values_are_stored_as_the_sqlite3_module_stores_them(database: Path) -> None:
    values = [None, True, 0, -(2**63), 2**63 - 1, 1.5, "", "Zoë 🚀 \u4e2d", b"", b"\x00\xff" * 3]
    writer = DirectWriter(str(database), None)
    sql = "INSERT INTO t (a, b) VALUES " + ", ".join(["(?, 1)"] * len(values))

    assert writer.insert(sql, values) == (len(values), len(values))  # (inserted, last id)
    writer.close()

    expected = [1 if v is True else v for v in values]
    assert [a for _, a, _ in rows(database)] == expected


def test_a_conflicting_row_is_skipped_and_counted_out(database: Path) -> None:
    writer = DirectWriter(str(database), None)
    writer.insert("INSERT INTO t (id, a, b) VALUES (?, ?, ?)", [7, "first", 1])

    inserted, _ = writer.insert(
        "INSERT INTO t (id, a, b) VALUES (?, ?, ?), (?, ?, ?) ON CONFLICT DO NOTHING",
        [7, "again", 1, 8, "new", 1],
    )
    writer.close()

    assert inserted == 1
    assert rows(database) == [(7, "first", 1), (8, "new", 1)]


def test_the_writers_file_lock_taken_elsewhere_is_busy_and_nothing_is_written(
    database: Path,
) -> None:
    import fcntl

    lock_path = Path(f"{database}-ingest.lock")
    writer = DirectWriter(str(database), str(lock_path))
    with lock_path.open("a+b") as other:  # another open file: another writer
        fcntl.flock(other, fcntl.LOCK_EX)
        with pytest.raises(Busy):
            writer.insert(INSERT, ["while locked", 1])
        fcntl.flock(other, fcntl.LOCK_UN)

    writer.insert(INSERT, ["after", 1])
    writer.close()
    assert rows(database) == [(1, "after", 1)]


def test_a_write_transaction_of_another_connection_is_busy_without_waiting(database: Path) -> None:
    import time

    writer = DirectWriter(str(database), None)
    other = sqlite3.connect(database, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(Busy):
        writer.insert(INSERT, ["during", 1])
    assert time.monotonic() - started < 0.05  # busy_timeout 0: the caller waits, GIL released
    other.execute("ROLLBACK")
    other.close()

    writer.insert(INSERT, ["after", 1])
    writer.close()
    assert rows(database) == [(1, "after", 1)]


def test_sqlite_refusing_the_insert_says_why(database: Path) -> None:
    writer = DirectWriter(str(database), None)
    with pytest.raises(DirectError, match="NOT NULL constraint failed: t.b"):
        writer.insert(INSERT, ["no b", None])
    with pytest.raises(DirectError, match="no such table: missing"):
        writer.insert("INSERT INTO missing VALUES (?)", [1])
    with pytest.raises(DirectError, match="cannot store a dict"):
        writer.insert(INSERT, [{"a": 1}, 1])
    writer.insert(INSERT, ["still usable", 1])
    writer.close()
    assert rows(database) == [(1, "still usable", 1)]


def test_a_missing_database_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(DirectError, match="could not open"):
        DirectWriter(str(tmp_path / "nowhere" / "x.db"), None)


def test_a_file_that_is_not_a_database_is_refused_with_sqlites_reason(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the pages of a database" * 200)
    with pytest.raises(DirectError, match="file is not a database"):
        DirectWriter(str(path), None)
