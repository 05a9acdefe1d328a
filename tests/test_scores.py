"""Scores in the database: decay without new events, recompute after rule changes."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlmodel import Session, select

from enrich.db import session_scope
from enrich.models import Interest, Score, SyncRequest, utcnow
from enrich.runtime import current
from enrich.scoring.rescore import recompute_all
from tests.conftest import wait_until
from tests.test_pipeline import add_contact, send


def rows(model: type) -> list:
    with Session(current().engine) as s:
        return list(s.exec(select(model)))


def test_scores_decay_daily_and_only_changed_people_are_queued_for_the_crm(
    client: FlaskClient,
) -> None:
    add_contact("dana.whitfield@northwind.example")
    send(client, "dana.whitfield@northwind.example")
    [fresh] = wait_until(lambda: rows(Score))
    with session_scope(current().engine) as session:  # as if the CRM write had happened
        for request in session.exec(select(SyncRequest)):
            session.delete(request)

    same_day = recompute_all(current().engine)
    assert same_day["changed"] == 0 and rows(SyncRequest) == []

    later = recompute_all(current().engine, now=utcnow() + timedelta(days=60))
    [decayed] = [s for s in rows(Score) if s.record_id == fresh.record_id]
    assert decayed.score < fresh.score
    assert later["changed"] >= 1 and [r.record_id for r in rows(SyncRequest)]


def test_a_comment_about_security_becomes_an_interest(client: FlaskClient) -> None:
    import json

    from tests.conftest import STANDARD_SECRET
    from tests.signing import standard_headers

    add_contact("dana.whitfield@northwind.example")
    body = json.dumps(
        {
            "type": "touchpoint.created",
            "data": {
                "platform": "linkedin",
                "kind": "comment",
                "actor": {"id": "li-1", "email": "dana.whitfield@northwind.example"},
                "text": "We need better cloud security posture management",
            },
        }
    ).encode()
    client.post(
        "/webhooks/standard/acme", data=body, headers=standard_headers(STANDARD_SECRET, body)
    )
    interests = wait_until(lambda: rows(Interest))
    assert any("security" in i.topic for i in interests)
