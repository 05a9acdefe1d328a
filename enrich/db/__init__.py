"""Engine and sessions: SQLite (WAL) by default, PostgreSQL by `DATABASE_URL`; migrations via
Alembic."""

from __future__ import annotations

import fcntl
import os
import random
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from enrich.config import Settings
from enrich.errors import StorageUnavailable

MIGRATIONS = Path(__file__).parent.parent / "migrations"


def make_engine(settings: Settings) -> Engine:
    """One engine per process; SQLite gets WAL and a busy timeout so readers never block writers."""
    if settings.is_sqlite:
        engine = create_engine(
            settings.database_url,
            connect_args={
                "check_same_thread": False,
                "timeout": settings.sqlite_busy_timeout_ms / 1000,
            },
            pool_size=16,
            max_overflow=16,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable across process crashes in WAL mode (only an OS crash can lose
            # the last commits), which is the trade-off every SQLite-backed queue makes.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(
        settings.database_url, pool_pre_ping=True, pool_size=10, max_overflow=10, pool_timeout=5
    )


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise StorageUnavailable(f"database unavailable: {exc.orig}") from exc
        except BaseException:
            session.rollback()
            raise


class FileLock:
    """An exclusive lock shared by every process using one SQLite file (a no-op otherwise).

    SQLite lets one writer in at a time, and a writer that finds the lock taken sleeps 1, 2, 5,
    10... ms between retries; writers that must not wait like that (the ingest group commit and
    the processing of deliveries) take this lock first. A blocked `flock` wakes the moment the
    holder releases it. Each thread opens its own handle: flock excludes open files, not
    processes, so threads sharing one handle would not exclude each other.
    """

    def __init__(self, engine: Engine, name: str) -> None:
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        if database and database.startswith("file:"):  # a SQLite URI (?mode=ro&uri=true)
            database = database.removeprefix("file:").split("?", 1)[0]
        self.path = f"{database}-{name}.lock" if database and database != ":memory:" else None
        self._local = threading.local()

    def _handle(self) -> IO[bytes]:
        handle: IO[bytes] | None = getattr(self._local, "handle", None)
        if handle is None or getattr(self._local, "pid", None) != os.getpid():
            # After a fork the inherited handle shares its lock with the parent: open anew.
            handle = self._local.handle = open(self.path, "a+b")  # type: ignore[arg-type]  # noqa: SIM115
            self._local.pid = os.getpid()
        return handle

    @contextmanager
    def held(self, wait: bool = True) -> Iterator[None]:
        """Hold the lock for the block; with wait=False a taken lock raises BlockingIOError."""
        if self.path is None:
            yield
            return
        handle = self._handle()
        fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_file_locks: weakref.WeakKeyDictionary[Engine, dict[str, FileLock]] = weakref.WeakKeyDictionary()
_file_locks_guard = threading.Lock()


def file_lock(engine: Engine, name: str) -> FileLock:
    """The process's `FileLock` named `name` for this engine's database."""
    with _file_locks_guard:
        locks = _file_locks.setdefault(engine, {})
        if name not in locks:
            locks[name] = FileLock(engine, name)
        return locks[name]


def writers_lock(engine: Engine) -> FileLock:
    """The lock of SQLite's ingest writer (db/group_commit.py) and of delivery processing."""
    return file_lock(engine, "ingest")


@contextmanager
def write_scope(engine: Engine) -> Iterator[Session]:
    """`session_scope` for a short write that must not starve behind ingest on SQLite: it
    queues on the writers' lock (woken the moment that is free) instead of in SQLite's sleeping
    busy handler, which the commits of a stream of deliveries can keep out for seconds."""
    with writers_lock(engine).held(), session_scope(engine) as session:
        yield session


def alembic_config(database_url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` (the `enrich db upgrade` command)."""
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def rowcount(result: Any) -> int:
    """Rows an UPDATE or DELETE touched (`Session.execute` is typed as returning rows)."""
    return int(result.rowcount)


# PostgreSQL aborts one of two transactions that wait on each other (deadlock) or that cannot
# be serialised; running the loser again is the remedy, not an error to report.
_CONFLICTS = {"40P01", "40001"}


def is_conflict(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if getattr(getattr(cause, "orig", None), "sqlstate", None) in _CONFLICTS:
            return True
        cause = cause.__cause__
    return False


def retry_conflicts(func: Any, *args: Any, attempts: int = 4) -> Any:
    """`func(*args)`, run again (after a short random pause) when the database aborted it for
    a conflict with another worker's transaction; every job of enrich is safe to run again."""
    for attempt in range(1, attempts):
        try:
            return func(*args)
        except (StorageUnavailable, OperationalError) as exc:
            if not is_conflict(exc):
                raise
            time.sleep(random.uniform(0.02, 0.1) * attempt)
    return func(*args)  # the last run: a conflict now is reported
