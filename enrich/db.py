"""Engine and sessions: SQLite (WAL) by default, PostgreSQL by `DATABASE_URL`; migrations via Alembic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from enrich.config import Settings
from enrich.errors import StorageUnavailable

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(settings: Settings) -> Engine:
    """One engine per process; SQLite gets WAL and a busy timeout so readers never block writers."""
    if settings.is_sqlite:
        engine = create_engine(
            settings.database_url,
            connect_args={"check_same_thread": False,
                          "timeout": settings.sqlite_busy_timeout_ms / 1000},
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
