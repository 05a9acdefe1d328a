"""Durable, idempotent storage of a delivery: the only database work before a webhook answers.

SQLAlchemy Core, not the ORM: this is the hot path of ingest (see bench/ingest.py). On SQLite
the rows of concurrent requests are committed together (`enrich.db.group_commit`).
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from enrich.db.group_commit import GroupCommit, group_commit
from enrich.errors import StorageUnavailable
from enrich.models import EventStatus, RawEvent, table_of, utcnow

_TABLE = table_of(RawEvent)
_KEY = ("source", "delivery_id")
_COLUMNS = (
    *_KEY,
    "account",
    "known_account",
    "received_at",
    "headers",
    "body",
    "status",
    "attempts",
)
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
        "delivery_id": delivery_id
        if len(delivery_id) <= 200
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
        return committer(engine).store(values)
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
    existing = conn.execute(
        select(_TABLE.c.id).where(
            _TABLE.c.source == values["source"], _TABLE.c.delivery_id == values["delivery_id"]
        )
    ).scalar_one()
    return int(existing), False


def committer(engine: Engine) -> GroupCommit:
    """The group commit of raw events on a SQLite `engine`."""
    return group_commit(engine, _TABLE, _KEY, _COLUMNS)
