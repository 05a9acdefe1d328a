"""Transactions PostgreSQL aborts for a conflict with another worker are run again."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from enrich.db import retry_conflicts
from enrich.errors import StorageUnavailable


def aborted(error: Exception) -> StorageUnavailable:
    """What `session_scope` raises when the database aborted the transaction."""
    try:
        raise StorageUnavailable("database unavailable") from OperationalError("UPDATE", {}, error)
    except StorageUnavailable as exc:
        return exc


def test_a_deadlock_victim_runs_again_and_succeeds() -> None:
    calls: list[int] = []

    def job(n: int) -> int:
        calls.append(n)
        if len(calls) < 3:
            raise aborted(psycopg.errors.DeadlockDetected("deadlock detected"))
        return n * 2

    assert retry_conflicts(job, 21) == 42
    assert calls == [21, 21, 21]


def test_a_database_that_is_down_is_not_retried_here() -> None:
    calls: list[int] = []

    def job() -> None:
        calls.append(1)
        raise aborted(psycopg.OperationalError("connection refused"))

    with pytest.raises(StorageUnavailable):
        retry_conflicts(job)
    assert calls == [1]


def test_a_conflict_that_never_clears_is_reported_after_a_few_runs() -> None:
    calls: list[int] = []

    def job() -> None:
        calls.append(1)
        raise aborted(psycopg.errors.SerializationFailure("could not serialize"))

    with pytest.raises(StorageUnavailable):
        retry_conflicts(job)
    assert len(calls) == 4
