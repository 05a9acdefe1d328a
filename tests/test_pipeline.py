"""From a stored delivery to a pending CRM write: touchpoints, links, scores, sync requests."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from enrich import runtime
from enrich.app import create_app
from enrich.config import Settings
from enrich.db import session_scope, upgrade
from enrich.linking import active_rules
from enrich.models import (
    CrmRecord,
    EventStatus,
    IdentityLink,
    LinkStatus,
    RawEvent,
    Score,
    SyncRequest,
    Touchpoint,
    utcnow,
)
from enrich.pipeline import process_raw_event, sweep
from enrich.runtime import current
from enrich.sync.adapter import MirrorRow
from enrich.sync.mirror import _upsert
from tests.conftest import STANDARD_SECRET, wait_until
from tests.signing import standard_headers


def add_contact(email: str, crm_id: str = "0035g00000AAAAAAA1") -> int:
    with session_scope(current().engine) as session:
        _upsert(
            session,
            "salesforce",
            [
                MirrorRow(
                    object_type="contact",
                    crm_id=crm_id,
                    modified_at=utcnow(),
                    first_name="Dana",
                    last_name="Whitfield",
                    email=email,
                )
            ],
        )
        return session.exec(select(CrmRecord.id).where(CrmRecord.crm_id == crm_id)).one()


def send(
    client: FlaskClient,
    email: str,
    kind: str = "comment",
    actor: str = "li-1",
    msg_id: str | None = None,
) -> int:
    body = json.dumps(
        {
            "type": "touchpoint.created",
            "data": {
                "platform": "linkedin",
                "kind": kind,
                "actor": {"id": actor, "email": email},
                "occurred_at": datetime.now(UTC).isoformat(),
            },
        }
    ).encode()
    answer = client.post(
        "/webhooks/standard/acme",
        data=body,
        headers=standard_headers(STANDARD_SECRET, body, msg_id=msg_id),
    )
    assert answer.status_code == 200
    return int(answer.json["raw_event_id"])


def rows(model: type) -> list:
    with Session(current().engine) as s:
        return list(s.exec(select(model)))


def test_touchpoint_by_a_crm_email_links_scores_and_requests_a_sync(client: FlaskClient) -> None:
    record_id = add_contact("dana.whitfield@northwind.example")
    send(client, "Dana.Whitfield@northwind.example")
    [score] = wait_until(lambda: rows(Score))
    # Default rules: a comment is 6 points, times 1.5 on LinkedIn.
    assert score.record_id == record_id and score.score == 9.0
    assert score.reasons.startswith("1 comment")
    [link] = rows(IdentityLink)
    assert (link.record_id, link.status) == (record_id, LinkStatus.AUTO)
    email = next(c for c in link.explanation if c["comparison"] == "email")
    assert email["level"] == "exact" and email["weight"] > 0
    assert [r.record_id for r in rows(SyncRequest)] == [record_id]


def test_a_link_stores_its_score_rule_version_and_the_contributions_that_make_the_score(
    client: FlaskClient,
) -> None:
    """The stored decision explains itself: one entry per comparison of the rules that made
    it, whose weights plus the rules' prior weight give the stored score."""
    record_id = add_contact("dana.whitfield@northwind.example")
    send(client, "dana.whitfield@northwind.example")
    [link] = wait_until(lambda: rows(IdentityLink))
    with Session(current().engine) as session:
        rules = active_rules(session)
    assert (link.record_id, link.status, link.decided_by) == (record_id, LinkStatus.AUTO, "matcher")
    assert link.rule_version == rules.version
    assert [c["comparison"] for c in link.explanation] == [c.name for c in rules.comparisons]
    for entry in link.explanation:
        assert set(entry) == {"comparison", "level", "weight", "explanation"}, entry
        assert isinstance(entry["weight"], float | int) and entry["level"], entry
    # Score and weights are each stored rounded to 3 decimals.
    total = rules.prior_weight + sum(c["weight"] for c in link.explanation)
    assert link.score == pytest.approx(total, abs=0.001 * (len(link.explanation) + 1))
    assert link.score >= rules.thresholds.link


def test_unknown_email_is_stored_but_not_linked(client: FlaskClient) -> None:
    add_contact("dana.whitfield@northwind.example")
    raw_id = send(client, "someone.else@elsewhere.example")
    wait_until(lambda: rows(Touchpoint))
    wait_until(lambda: rows(RawEvent)[0].status == EventStatus.PROCESSED)
    assert rows(IdentityLink) == [] and rows(SyncRequest) == []
    assert raw_id == rows(RawEvent)[0].id


def test_a_rejected_link_is_never_recreated_by_the_matcher(client: FlaskClient) -> None:
    record_id = add_contact("dana.whitfield@northwind.example")
    send(client, "dana.whitfield@northwind.example", msg_id="m1")
    wait_until(lambda: rows(IdentityLink))
    with session_scope(current().engine) as session:
        link = session.exec(select(IdentityLink)).one()
        link.status, link.decided_by = LinkStatus.REJECTED, "revops@example.com"
    send(client, "dana.whitfield@northwind.example", kind="like", msg_id="m2")
    wait_until(lambda: len(rows(Touchpoint)) == 2)
    wait_until(lambda: all(r.status == EventStatus.PROCESSED for r in rows(RawEvent)))
    [link] = rows(IdentityLink)
    assert (link.record_id, link.status) == (record_id, LinkStatus.REJECTED)


def test_processing_a_delivery_twice_counts_its_touchpoint_once(client: FlaskClient) -> None:
    add_contact("dana.whitfield@northwind.example")
    raw_id = send(client, "dana.whitfield@northwind.example")
    wait_until(lambda: rows(Score))
    with session_scope(current().engine) as session:  # as `enrich events replay` does
        session.get(RawEvent, raw_id).status = EventStatus.PENDING
    process_raw_event(raw_id)
    assert len(rows(Touchpoint)) == 1
    assert rows(Score)[0].score == 9.0


def test_sweeper_processes_deliveries_whose_job_was_lost(settings: Settings) -> None:
    upgrade(settings.database_url)
    # A web process whose queue drops every job, as when Redis is gone or a worker is killed.
    rt = runtime.build(settings, embedded_worker=False)
    client = create_app(settings, rt=rt).test_client()
    send(client, "dana.whitfield@northwind.example")
    assert rows(RawEvent)[0].status == EventStatus.PENDING
    runtime.uninstall()

    later = settings.model_copy(update={"sweep_after_s": 0.0})
    runtime.install(runtime.build(later))
    try:
        assert sweep()["raw_events"] == 1
        wait_until(lambda: rows(RawEvent)[0].status == EventStatus.PROCESSED)
        assert len(rows(Touchpoint)) == 1
    finally:
        runtime.uninstall()


def test_a_delivery_that_commits_after_the_ingest_run_passed_its_id_is_still_processed(
    client: FlaskClient,
) -> None:
    # PostgreSQL takes ids at insert and commits in any order: a lower id can appear late.
    import threading

    from enrich.pipeline import process_pending

    def delivery(raw_id: int, actor: str) -> RawEvent:
        body = json.dumps(
            {
                "type": "touchpoint.created",
                "data": {"platform": "linkedin", "kind": "like", "actor": {"id": actor}},
            }
        ).encode()
        return RawEvent(id=raw_id, source="standard:acme", delivery_id=f"late-{raw_id}", body=body)

    with session_scope(current().engine) as session:
        session.add(delivery(10, "li-early"))

    def commit_a_lower_id_once_10_is_done() -> None:
        wait_until(lambda: rows(RawEvent)[0].status == EventStatus.PROCESSED, interval=0.005)
        with session_scope(current().engine) as session:
            session.add(delivery(5, "li-late"))

    late = threading.Thread(target=commit_a_lower_id_once_10_is_done)
    late.start()
    process_pending()
    late.join()
    assert {r.id: r.status for r in rows(RawEvent)} == {
        5: EventStatus.PROCESSED,
        10: EventStatus.PROCESSED,
    }


def test_a_backlog_run_hands_over_so_crm_writes_are_not_kept_waiting(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import enrich.pipeline as pipeline
    from enrich import defaults

    rt = current()
    with session_scope(rt.engine) as session:
        for n in range(5):
            body = json.dumps(
                {
                    "type": "touchpoint.created",
                    "data": {"platform": "linkedin", "kind": "like", "actor": {"id": f"li-{n}"}},
                }
            )
            session.add(
                RawEvent(source="standard:acme", delivery_id=f"backlog-{n}", body=body.encode())
            )
    queued: list[tuple[str, str | None]] = []
    monkeypatch.setattr(
        rt.queue,
        "enqueue",
        lambda func, *args, key=None: queued.append((func.__name__, key)) or True,
    )
    monkeypatch.setattr(pipeline, "BATCH", 2)
    monkeypatch.setattr(defaults, "INGEST_RUN_S", 0.0)

    assert pipeline.process_pending() == 2
    assert queued == [("sync_pending", "sync"), ("process_pending", "ingest")]
    assert sum(r.status == EventStatus.PENDING for r in rows(RawEvent)) == 3


def test_processing_on_sqlite_gives_way_to_a_burst_but_not_to_a_steady_stream(tmp_path) -> None:
    import time

    from enrich import pipeline
    from enrich.db import make_engine
    from tests.conftest import make_settings
    from webhooks.store import store_raw_event

    url = f"sqlite:///{tmp_path / 'yield.db'}"
    upgrade(url)
    engine = make_engine(make_settings(url))
    slept: list[float] = []
    pause = pipeline._Yield(engine)
    pause.sleep = slept.append
    sent = 0

    def arrive(count: int, over_s: float) -> None:
        nonlocal sent
        for _ in range(count):
            sent += 1
            store_raw_event(
                engine, source="standard:t", delivery_id=f"m{sent}", body=b"{}", headers={}
            )
        pause.looked = time.monotonic() - over_s  # as if they had come over that time

    arrive(10, over_s=0.5)  # 20 a second: processed as they come
    pause.after(0.004)
    assert slept == []
    arrive(300, over_s=0.5)  # 600 a second: a burst, acks come first
    pause.after(0.004)
    assert slept == [pytest.approx(0.004 * pipeline.defaults.PROCESSING_YIELD_RATIO)]
    arrive(5, over_s=0.5)  # the burst is over
    pause.after(0.004)
    assert len(slept) == 1
    engine.dispose()


def test_a_rematch_works_in_small_transactions_and_hands_over_past_its_limit(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New rules flag every profile: the run re-matches them a few per transaction (each
    under the writers' lock, so ingest waits for one chunk at most) and, past its limit,
    queues the rest as a new run instead of holding the worker."""
    import enrich.pipeline as pipeline
    from enrich.models import SocialProfile

    rt = current()
    for n in range(5):
        process_raw_event(send(client, f"stranger{n}@example.com", actor=f"li-{n}"))
    with session_scope(rt.engine) as session:
        for profile in session.exec(select(SocialProfile)):
            profile.match_requested_at = utcnow()
            session.add(profile)
    # Only this thread's calls count: the app's background jobs (a sync the ingest above
    # asked for) may take the lock or enqueue meanwhile.
    me = threading.get_ident()
    commits: list[int] = []
    held = pipeline.writers_lock(rt.engine).held

    def counting_held(*args: object, **kw: object) -> object:
        if threading.get_ident() == me:
            commits.append(1)
        return held(*args, **kw)

    monkeypatch.setattr(pipeline.writers_lock(rt.engine), "held", counting_held)
    queued: list[tuple[str, str | None]] = []
    enqueue = rt.queue.enqueue

    def recording_enqueue(func: Any, *args: Any, key: str | None = None) -> bool:
        if threading.get_ident() != me:
            return bool(enqueue(func, *args, key=key))
        queued.append((func.__name__, key))
        return True

    monkeypatch.setattr(rt.queue, "enqueue", recording_enqueue)
    monkeypatch.setattr(pipeline, "REMATCH_CHUNK", 2)

    assert pipeline.rematch_pending(limit=4) == 4
    assert len(commits) == 2
    assert [q for q in queued if q[1] == "rematch"] == [("rematch_pending", "rematch")]
    assert sum(p.match_requested_at is not None for p in rows(SocialProfile)) == 1
    assert pipeline.rematch_pending() == 1
    assert sum(p.match_requested_at is not None for p in rows(SocialProfile)) == 0


def test_after_a_person_unlinks_the_match_the_runner_up_is_offered_for_review(
    client: FlaskClient,
) -> None:
    """Re-matching a profile whose automatic link was undone proposes the other candidate
    for review: neither nothing (the matcher had ruled it out only beside the linked one)
    nor a new automatic link (a person has said this profile is hard)."""
    from enrich.models import SocialProfile
    from enrich.pipeline import rematch_pending
    from enrich.services import decisions as review

    first = add_contact("dana@northwind.example", crm_id="0035g00000AAAAAAA1")
    namesake = add_contact("dana.whitfield@globex.example", crm_id="0035g00000AAAAAAA2")
    body = json.dumps(
        {
            "type": "touchpoint.created",
            "data": {
                "platform": "linkedin",
                "kind": "comment",
                "occurred_at": datetime.now(UTC).isoformat(),
                "actor": {
                    "id": "li-dana",
                    "email": "dana@northwind.example",
                    "name": "Dana Whitfield",
                    "handle": "danawhitfield",
                },
            },
        }
    ).encode()
    answer = client.post(
        "/webhooks/standard/acme", data=body, headers=standard_headers(STANDARD_SECRET, body)
    )
    process_raw_event(int(answer.json["raw_event_id"]))
    [link] = [x for x in rows(IdentityLink) if x.status == LinkStatus.AUTO]
    assert link.record_id == first

    with session_scope(current().engine) as session:
        review.reject(session, link.id, "rita@example.com")
        profile = session.get(SocialProfile, link.profile_id)
        profile.match_requested_at = utcnow()
    rematch_pending()
    status = {x.record_id: x.status for x in rows(IdentityLink)}
    assert status == {first: LinkStatus.REJECTED, namesake: LinkStatus.PENDING}
