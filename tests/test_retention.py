"""Retention: what is past its age is purged, unfinished work never is, people are rescored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlmodel import Session, select

from enrich.cli import cli
from enrich.console.auth import MAX_FAILURES, SignInRefused, sign_in
from enrich.defaults import SIGN_IN_FAILURE_WINDOW
from enrich.errors import ConfigError
from enrich.models import (
    ActivityWrite,
    AuditLog,
    EventStatus,
    LoginAttempt,
    RawEvent,
    Score,
    SyncRequest,
    Touchpoint,
    utcnow,
)
from enrich.retention import purge, purge_sign_in_attempts
from enrich.runtime import current
from enrich.scheduler import default_jobs
from tests.conftest import make_settings, wait_until
from tests.test_pipeline import add_contact, rows, send

DAY = timedelta(days=1)


def processed(client: FlaskClient, email: str, count: int) -> list[int]:
    ids = [send(client, email, msg_id=f"msg-{email}-{i}") for i in range(count)]
    wait_until(
        lambda: all(r.status == EventStatus.PROCESSED for r in rows(RawEvent) if r.id in ids)
    )
    return ids


def test_processed_raw_events_older_than_the_age_are_purged_and_touchpoints_keep_their_data(
    client: FlaskClient,
) -> None:
    add_contact("dana@northwind.example")
    processed(client, "dana@northwind.example", 2)
    later = utcnow() + 31 * DAY

    report = purge(current().engine, raw_event_days=30, touchpoint_days=0, now=later)

    assert report.raw_events == 2 and report.touchpoints == 0
    assert rows(RawEvent) == []
    touchpoints = rows(Touchpoint)
    assert len(touchpoints) == 2 and all(tp.raw_event_id is None for tp in touchpoints)


def test_pending_and_failed_deliveries_are_kept_for_their_worker_or_replay(
    client: FlaskClient,
) -> None:
    with Session(current().engine) as s:
        s.add(
            RawEvent(
                source="x",
                delivery_id="waiting",
                body=b"{}",
                status=EventStatus.PENDING,
                received_at=utcnow() - 90 * DAY,
            )
        )
        s.add(
            RawEvent(
                source="x",
                delivery_id="broken",
                body=b"{}",
                status=EventStatus.FAILED,
                received_at=utcnow() - 90 * DAY,
            )
        )
        s.add(
            RawEvent(
                source="x",
                delivery_id="done",
                body=b"{}",
                status=EventStatus.IGNORED,
                received_at=utcnow() - 90 * DAY,
            )
        )
        s.commit()

    report = purge(current().engine, raw_event_days=30, touchpoint_days=0)

    assert report.raw_events == 1
    assert sorted(r.delivery_id for r in rows(RawEvent)) == ["broken", "waiting"]


def test_old_touchpoints_are_purged_and_their_person_rescored_and_queued_for_the_crm(
    client: FlaskClient,
) -> None:
    record_id = add_contact("dana@northwind.example")
    processed(client, "dana@northwind.example", 3)
    [score_before] = [s.score for s in rows(Score) if s.record_id == record_id]
    assert score_before > 0
    with Session(current().engine) as s:  # the writer has already sent the CRM nothing yet
        for sr in s.exec(select(SyncRequest)):
            s.delete(sr)
        s.commit()

    report = purge(
        current().engine, raw_event_days=0, touchpoint_days=730, now=utcnow() + 731 * DAY
    )

    assert (report.touchpoints, report.rescored) == (3, 1)
    assert rows(Touchpoint) == []
    assert [s.score for s in rows(Score) if s.record_id == record_id] == [0]
    assert [sr.record_id for sr in rows(SyncRequest)] == [record_id]


def test_a_touchpoint_whose_activity_is_not_written_yet_waits_and_a_written_one_keeps_its_ledger(
    client: FlaskClient,
) -> None:
    record_id = add_contact("dana@northwind.example")
    processed(client, "dana@northwind.example", 2)
    first, second = sorted(tp.id for tp in rows(Touchpoint))
    with Session(current().engine) as s:
        s.add(
            ActivityWrite(
                touchpoint_id=first,
                record_id=record_id,
                crm="salesforce",
                activity_id="00T000000000001",
                status="written",
            )
        )
        s.add(
            ActivityWrite(
                touchpoint_id=second, record_id=record_id, crm="salesforce", status="sending"
            )
        )
        s.commit()

    report = purge(
        current().engine, raw_event_days=0, touchpoint_days=730, now=utcnow() + 731 * DAY
    )

    assert report.touchpoints == 1
    assert [tp.id for tp in rows(Touchpoint)] == [second]
    ledger = {w.activity_id: w.touchpoint_id for w in rows(ActivityWrite)}
    assert ledger == {"00T000000000001": None, None: second}


def test_a_dry_run_counts_and_deletes_nothing_and_a_real_run_is_audited(
    client: FlaskClient,
) -> None:
    add_contact("dana@northwind.example")
    processed(client, "dana@northwind.example", 2)
    later = utcnow() + 800 * DAY

    dry = purge(current().engine, raw_event_days=30, touchpoint_days=730, now=later, dry_run=True)
    assert (dry.raw_events, dry.touchpoints, dry.rescored) == (2, 2, 1)
    assert len(rows(RawEvent)) == 2 and len(rows(Touchpoint)) == 2 and rows(AuditLog) == []

    real = purge(current().engine, raw_event_days=30, touchpoint_days=730, now=later)
    assert (real.raw_events, real.touchpoints) == (2, 2)
    [audit] = rows(AuditLog)
    assert audit.action == "retention_purge" and audit.detail["touchpoints"] == 2
    again = purge(current().engine, raw_event_days=30, touchpoint_days=730, now=later)
    assert (again.raw_events, again.touchpoints) == (0, 0) and len(rows(AuditLog)) == 1


def test_recent_data_and_zero_ages_keep_everything(client: FlaskClient) -> None:
    add_contact("dana@northwind.example")
    processed(client, "dana@northwind.example", 2)

    assert purge(current().engine, raw_event_days=30, touchpoint_days=730).touchpoints == 0
    forever = purge(
        current().engine, raw_event_days=0, touchpoint_days=0, now=utcnow() + 10_000 * DAY
    )
    assert (forever.raw_events, forever.touchpoints) == (0, 0)
    assert len(rows(RawEvent)) == 2 and len(rows(Touchpoint)) == 2


@pytest.mark.parametrize("days", [-1, 0.5, 6])
def test_a_retention_shorter_than_platform_retries_is_refused(
    database_url: str, days: float
) -> None:
    with pytest.raises(ConfigError, match="at least 7 days"):
        make_settings(database_url, raw_event_retention_days=days)


def test_the_scheduler_purges_daily(client: FlaskClient) -> None:
    jobs = {job.key: job for job in default_jobs(current())}
    assert jobs["retention"].every_s == 24 * 3600


def test_the_cli_purges_with_the_configured_ages(
    database_url: str, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(current().engine) as s:
        s.add(
            RawEvent(
                source="x",
                delivery_id="old",
                body=b"{}",
                status=EventStatus.PROCESSED,
                received_at=utcnow() - 40 * DAY,
            )
        )
        s.commit()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ENRICH_RAW_EVENT_RETENTION_DAYS", "30")

    dry = CliRunner().invoke(cli, ["purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("would purge raw events: 1 purged (older than")
    real = CliRunner().invoke(cli, ["purge"])
    assert real.exit_code == 0 and "raw events: 1 purged" in real.output
    assert rows(RawEvent) == []

    monkeypatch.setenv("ENRICH_TOUCHPOINT_RETENTION_DAYS", "3")
    refused = CliRunner().invoke(cli, ["purge"])
    assert refused.exit_code != 0 and "at least 7 days" in refused.output
    assert "Traceback" not in refused.output


def test_a_form_hammered_past_the_lock_stores_nothing_more_and_expired_failures_are_dropped(
    client: FlaskClient,
) -> None:
    engine = current().engine
    statuses = []
    for _ in range(40):
        with pytest.raises(SignInRefused) as refused:
            sign_in(engine, "ops@acme.example", "guess", "203.0.113.9")
        statuses.append(refused.value.status)
    assert statuses == [401] * MAX_FAILURES + [429] * (40 - MAX_FAILURES)  # locked throughout
    with Session(engine) as s:
        kept = s.exec(select(LoginAttempt)).all()
    assert len(kept) == MAX_FAILURES  # the failures that locked it; no row per refusal

    later = utcnow() + SIGN_IN_FAILURE_WINDOW + timedelta(seconds=1)
    assert purge_sign_in_attempts(engine, now=utcnow()) == 0  # still counting
    assert purge_sign_in_attempts(engine, now=later) == len(kept)
    with Session(engine) as s:
        assert s.exec(select(LoginAttempt)).all() == []
