"""One message never stops processing (issue 15, finding 2).

A correctly signed, schema-valid message whose values no database can hold is refused at the
gate with a 4xx; one that still fails in processing (stored before the gate knew better, or
tripping a bug) costs an attempt on that delivery alone, is quarantined as a `raw_event` dead
letter after `MAX_ATTEMPTS`, and can be replayed. Every delivery after it is processed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from enrich.deadletters import replay
from enrich.models import DeadLetter, EventStatus, RawEvent
from enrich.pipeline import MAX_ATTEMPTS, process_pending
from enrich.runtime import current
from tests.conftest import STANDARD_SECRET, wait_until
from tests.signing import standard_headers
from webhooks.standard import touchpoint_validator
from webhooks.store import store_raw_event


def message(
    occurred_at: str | None = None, actor: dict[str, Any] | None = None, n: int = 0
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "platform": "linkedin",
        "kind": "comment",
        "id": f"tp-{n}",
        "actor": actor or {"id": f"urn:li:person:{n}", "name": "A Person"},
    }
    if occurred_at is not None:
        item["occurred_at"] = occurred_at
    return {"type": "touchpoint.created", "data": item}


def send(client: FlaskClient, payload: dict[str, Any]) -> Any:
    body = json.dumps(payload).encode()
    return client.post(
        "/webhooks/standard/acme", data=body, headers=standard_headers(STANDARD_SECRET, body)
    )


def raw(raw_id: int) -> RawEvent:
    with Session(current().engine) as session:
        found = session.get(RawEvent, raw_id)
        assert found is not None
        return found


def test_impossible_occurred_at_is_refused_at_the_gate(client: FlaskClient) -> None:
    for when in (
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "1899-01-01T00:00:00Z",
        "2999-01-01T00:00:00Z",
    ):
        answer = send(client, message(when))
        assert answer.status_code == 422, when
        assert "occurred_at" in answer.json["error"]["message"]


def test_a_nul_or_lone_surrogate_in_any_string_is_refused_at_the_gate(client: FlaskClient) -> None:
    for name in ("Dana\\u0000Whitfield", "Dana \\ud800"):
        body = (
            b'{"type": "touchpoint.created", "data": {"platform": "x", "kind": "like", '
            b'"actor": {"id": "1", "name": "' + name.encode() + b'"}}}'
        )
        answer = client.post(
            "/webhooks/standard/acme", data=body, headers=standard_headers(STANDARD_SECRET, body)
        )
        assert (answer.status_code, answer.json["error"]["code"]) == (400, "invalid_string")
    # An emoji is a surrogate *pair* in JSON: it is text like any other.
    body = (
        b'{"type": "touchpoint.created", "data": {"platform": "x", "kind": "like", '
        b'"actor": {"id": "1", "name": "Dana \\ud83d\\ude00"}}}'
    )
    assert (
        client.post(
            "/webhooks/standard/acme", data=body, headers=standard_headers(STANDARD_SECRET, body)
        ).status_code
        == 200
    )


def test_a_poison_delivery_is_quarantined_and_never_blocks_the_next(client: FlaskClient) -> None:
    engine = current().engine
    # Stored as an older release accepted it: a lone surrogate no database encodes.
    poison = (
        b'{"type": "touchpoint.created", "data": {"platform": "x", "kind": "like", '
        b'"actor": {"id": "1", "name": "\\ud800"}}}'
    )
    poison_id, _ = store_raw_event(
        engine, source="standard:acme", delivery_id="poison", body=poison, headers={}
    )
    normal = send(client, message(datetime.now(UTC).isoformat(), n=1))
    assert normal.status_code == 200
    normal_id = normal.json["raw_event_id"]
    wait_until(lambda: raw(normal_id).status == EventStatus.PROCESSED)
    wait_until(lambda: raw(poison_id).attempts >= 1)
    assert raw(poison_id).status == EventStatus.PENDING
    assert "UnicodeEncodeError" in (raw(poison_id).error or "")

    while raw(poison_id).status == EventStatus.PENDING:
        process_pending()
    failed = raw(poison_id)
    assert (failed.status, failed.attempts) == (EventStatus.FAILED, MAX_ATTEMPTS)
    with Session(engine) as session:
        [letter] = session.exec(select(DeadLetter).where(DeadLetter.ref_id == poison_id)).all()
    assert letter.kind == "raw_event" and "UnicodeEncodeError" in letter.error

    assert replay(engine, [letter.id]) == 1
    assert (raw(poison_id).status, raw(poison_id).attempts) == (EventStatus.PENDING, 0)


# Schema-valid messages, hostile values included: any text (NUL, controls, any script), any
# RFC 3339 time from year 1 to 9999 at any offset, and the lists the schema allows.
_times = st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
_text = st.one_of(st.none(), st.text(max_size=40))
_actor = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=40)},
    optional={
        "handle": _text,
        "name": _text,
        "email": _text,
        "bio": _text,
        "location": _text,
        "url": _text,
        "website": _text,
    },
)
_item = st.fixed_dictionaries(
    {"platform": st.text(min_size=1, max_size=40), "actor": _actor},
    optional={
        "kind": st.sampled_from(
            ["follow", "like", "comment", "share", "dm", "mention", "direct_message", "repost"]
        ),
        "occurred_at": _times,
        "text": _text,
        "id": _text,
        "post": st.one_of(
            st.none(),
            st.fixed_dictionaries({}, optional={"id": _text, "url": _text, "text": _text}),
        ),
    },
)
_messages = st.fixed_dictionaries(
    {
        "type": st.just("touchpoint.created"),
        "data": st.one_of(_item, st.lists(_item, min_size=1, max_size=3)),
    },
    optional={"timestamp": _times},
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=_messages)
def test_any_schema_valid_message_is_processed_or_quarantined_and_the_next_one_is_processed(
    mclient: FlaskClient, payload: dict[str, Any]
) -> None:
    assert touchpoint_validator().is_valid(payload)
    answer = send(mclient, payload)
    assert answer.status_code < 500
    after = send(mclient, message(datetime.now(UTC).isoformat(), n=hash(json.dumps(payload))))
    assert after.status_code == 200
    after_id = after.json["raw_event_id"]
    wait_until(lambda: raw(after_id).status == EventStatus.PROCESSED)
    if answer.status_code == 200 and answer.json["status"] == "accepted":
        first = answer.json["raw_event_id"]
        while raw(first).status == EventStatus.PENDING:
            process_pending()
        assert raw(first).status in (EventStatus.PROCESSED, EventStatus.IGNORED, EventStatus.FAILED)
        if raw(first).status == EventStatus.FAILED:
            with Session(current().engine) as session:
                assert session.exec(select(DeadLetter).where(DeadLetter.ref_id == first)).first()


def test_a_profile_the_matcher_cannot_read_is_set_aside_and_the_others_are_rematched(
    client: FlaskClient,
) -> None:
    from sqlalchemy import text

    from enrich.pipeline import rematch_pending

    engine = current().engine
    good = send(client, message(datetime.now(UTC).isoformat(), n=5))
    wait_until(lambda: raw(good.json["raw_event_id"]).status == EventStatus.PROCESSED)
    with engine.begin() as conn:  # bytes that are no UTF-8: the row cannot even be read back
        conn.execute(
            text(
                "INSERT INTO social_profile (platform, platform_user_id, name, first_seen, "
                "last_seen, match_requested_at) VALUES ('x', 'bad', CAST(X'80FF' AS TEXT), "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(text("UPDATE social_profile SET match_requested_at = CURRENT_TIMESTAMP"))
    rematch_pending()
    with engine.connect() as conn:
        waiting = conn.execute(
            text("SELECT count(*) FROM social_profile WHERE match_requested_at IS NOT NULL")
        ).scalar()
        kinds = conn.execute(text("SELECT kind FROM dead_letter")).scalars().all()
    assert waiting == 0
    assert kinds == ["rematch"]
