"""What a platform refuses, and what a hostile delivery or answer tries, ends as a precise 4xx,
a wait, or a parked lead with its reason in a dead letter: never a fetch of a URL the input
chose, never unbounded data stored, never a retry loop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, col, select
from werkzeug.test import TestResponse

from enrich import runtime
from enrich.app import create_app
from enrich.config import Settings
from enrich.db import upgrade
from enrich.deadletters import replay
from enrich.leads.answers import MAX_ANSWERS, MAX_VALUE
from enrich.leads.clients import Readers
from enrich.leads.jobs import run
from enrich.models import DeadLetter, LeadForm, LeadStatus, RawEvent, utcnow
from enrich.pipeline import process_pending
from enrich.retry import LEAD_READ
from enrich.sandbox.platforms import PlatformSandbox
from tests.conftest import LINKEDIN_SECRET, META_SECRET, make_settings
from tests.leads.harness import PAGE
from tests.signing import linkedin_headers, meta_headers

LEAD = "1234567890123456"
LI_ID = "aaaabbbb-0000-cccc-1111-dddd2222eeee-5"


class Env:
    def __init__(self, settings: Settings, platforms: PlatformSandbox) -> None:
        self.settings, self.platforms = settings, platforms
        upgrade(settings.database_url)
        self.client: FlaskClient = create_app(settings).test_client()
        self.engine = runtime.current().engine

    def meta(self, value: dict[str, object]) -> TestResponse:
        body = json.dumps(
            {
                "object": "page",
                "entry": [{"id": PAGE, "changes": [{"field": "leadgen", "value": value}]}],
            }
        ).encode()
        return self.client.post(
            "/webhooks/meta", data=body, headers=meta_headers(META_SECRET, body)
        )

    def linkedin(self, **payload: object) -> TestResponse:
        body = json.dumps({"type": "LEAD_ACTION", **payload}).encode()
        return self.client.post(
            "/webhooks/linkedin", data=body, headers=linkedin_headers(LINKEDIN_SECRET, body)
        )

    def leads(self, *, now: bool = True) -> dict[str, int]:
        if now:
            with Session(self.engine) as s:
                for row in s.exec(select(LeadForm)):
                    row.next_attempt_at = utcnow()
                    s.add(row)
                s.commit()
        return run(self.engine, self.settings, Readers(self.settings), lambda: None)

    def row(self) -> LeadForm:
        with Session(self.engine) as s:
            return s.exec(select(LeadForm)).one()

    def letters(self) -> list[DeadLetter]:
        with Session(self.engine) as s:
            return list(s.exec(select(DeadLetter).order_by(col(DeadLetter.id))))


@pytest.fixture
def env(database_url: str) -> Iterator[Env]:
    with PlatformSandbox() as platforms:
        settings = make_settings(
            database_url,
            meta_graph_url=platforms.url,
            meta_page_tokens=f"{PAGE}={platforms.page_token(PAGE)}",
            linkedin_api_url=platforms.url,
            linkedin_access_token=platforms.linkedin_token,
        )
        yield Env(settings, platforms)
        runtime.uninstall()


def delivered_meta(env: Env, lead_id: str = LEAD) -> None:
    env.meta({"leadgen_id": lead_id, "page_id": PAGE, "form_id": "52782"})
    process_pending()


def delivered_linkedin(env: Env, response_id: str = LI_ID) -> None:
    env.linkedin(
        leadGenFormResponse=f"urn:li:leadGenFormResponse:{response_id}",
        leadAction="CREATED",
        owner={"organization": "urn:li:organization:1"},
    )
    process_pending()


# ------------------------------------------------------------------ hostile deliveries
@pytest.mark.parametrize(
    ("payload", "says"),
    [
        (
            {
                "leadGenFormResponse": "urn:li:leadGenFormResponse:../../v2/me",
                "leadAction": "CREATED",
            },
            "leadGenFormResponse",
        ),
        (
            {"leadGenFormResponse": "https://evil.example/x", "leadAction": "CREATED"},
            "leadGenFormResponse",
        ),
        (
            {
                "leadGenFormResponse": f"urn:li:leadGenFormResponse:{'a' * 101}",
                "leadAction": "CREATED",
            },
            "leadGenFormResponse",
        ),
        (
            {"leadGenFormResponse": f"urn:li:leadGenFormResponse:{LI_ID}", "leadAction": "UPDATED"},
            "leadAction",
        ),
        ({"leadGenFormResponse": 5, "leadAction": "CREATED"}, "leadGenFormResponse"),
    ],
)
def test_a_lead_notification_naming_no_response_id_is_refused_with_422(
    env: Env, payload: dict[str, object], says: str
) -> None:
    answer = env.linkedin(**payload)
    assert answer.status_code == 422
    error = answer.json["error"]
    assert error["code"] == "invalid_lead_notification" and says in error["message"]
    assert env.platforms.calls == []


def test_an_unsigned_lead_notification_is_refused_before_it_is_read(env: Env) -> None:
    body = json.dumps({"type": "LEAD_ACTION"}).encode()
    answer = env.client.post(
        "/webhooks/linkedin", data=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 401


def test_a_meta_leadgen_id_that_is_not_a_graph_id_is_noted_and_never_fetched(env: Env) -> None:
    """Meta batches Page changes and retries a refused delivery for 36 h: the delivery is kept
    (its other changes count) and the bad change is noted on it."""
    answer = env.meta({"leadgen_id": "1/../../me?fields=accounts", "page_id": PAGE})
    assert answer.status_code == 200
    process_pending()
    with Session(env.engine) as s:
        raw = s.exec(select(RawEvent)).one()
        assert s.exec(select(LeadForm)).all() == []
    assert raw.error is not None and "is not a Graph id" in raw.error
    assert env.leads() == {}
    assert env.platforms.calls == []


# ------------------------------------------------------------------ platform refusals
@pytest.mark.parametrize(
    ("code", "subcode", "parked", "says"),
    [
        (190, 460, LeadStatus.NEEDS_TOKEN, "META_PAGE_TOKENS"),
        (10, None, LeadStatus.NEEDS_PERMISSION, "leads_retrieval"),
        (200, None, LeadStatus.NEEDS_PERMISSION, "leads_retrieval"),
    ],
)
def test_a_refused_token_or_permission_parks_the_lead_with_what_to_do(
    env: Env, code: int, subcode: int | None, parked: str, says: str
) -> None:
    env.platforms.add_meta_lead(PAGE, LEAD, "52782", {"email": "a@b.example"})
    env.platforms.fail(LEAD, code, subcode)
    delivered_meta(env)
    assert env.leads() == {parked: 1}
    row = env.row()
    assert (row.status, row.attempts) == (parked, 1)  # no retry loop
    [letter] = env.letters()
    assert (
        letter.kind == "lead_form"
        and says in letter.error
        and f"Graph error {code}" in letter.error
    )


def test_a_throttled_read_waits_without_spending_an_attempt(env: Env) -> None:
    env.platforms.add_meta_lead(PAGE, LEAD, "52782", {"email": "a@b.example"})
    env.platforms.fail(LEAD, 80005)
    delivered_meta(env)
    assert env.leads() == {"throttled": 1}
    row = env.row()
    assert (row.status, row.attempts) == (LeadStatus.PENDING, 0)
    assert row.next_attempt_at > utcnow() + timedelta(seconds=200)
    assert env.leads(now=False) == {}  # not due yet
    env.platforms.clear_errors()
    assert env.leads() == {"fetched": 1}


def test_a_lead_meta_says_does_not_exist_is_retried_then_parked_unavailable(env: Env) -> None:
    delivered_meta(env)  # the sandbox holds no such lead: 100 / 33
    outcomes = [env.leads() for _ in range(LEAD_READ.max_attempts)]
    assert outcomes[:-1] == [{"retry": 1}] * (LEAD_READ.max_attempts - 1)
    assert outcomes[-1] == {LeadStatus.UNAVAILABLE: 1}
    [letter] = env.letters()
    assert "Graph error 100/33" in letter.error
    assert env.leads() == {}


def test_a_lead_of_another_page_cannot_be_read_with_this_pages_token(env: Env) -> None:
    env.platforms.add_meta_lead("999", LEAD, "52782", {"email": "a@b.example"})
    delivered_meta(env)
    assert env.leads() == {"retry": 1}
    assert "100/33" in (env.row().error or "")


def test_a_page_without_a_token_parks_its_leads_until_one_is_given(env: Env) -> None:
    env.platforms.add_meta_lead("424242", LEAD, "52782", {"email": "a@b.example"})
    env.meta({"leadgen_id": LEAD, "page_id": "424242"})
    process_pending()
    assert env.leads() == {LeadStatus.NEEDS_TOKEN: 1}
    assert env.platforms.calls == []
    assert "META_PAGE_TOKENS=424242=<token>" in env.letters()[0].error
    # RevOps add the token and replay the dead letter: the lead is read.
    env.settings = make_settings(
        env.settings.database_url,
        meta_graph_url=env.platforms.url,
        meta_page_tokens=f"*={env.platforms.page_token('424242')}",
    )
    assert replay(env.engine) == 1
    assert env.leads() == {"fetched": 1}


def test_hostile_answers_are_stored_bounded(env: Env) -> None:
    answers = {f"q{i}": "x" * 50_000 for i in range(3)}
    env.platforms.add_meta_lead(PAGE, LEAD, "52782", answers)
    lead = env.platforms.meta_leads[LEAD]
    lead["field_data"] = [{"name": f"q{i}", "values": ["v" * 2000]} for i in range(40)] + [
        {"name": "email", "values": [{"nested": "object"}]},
        "not an object",
    ]
    delivered_meta(env)
    assert env.leads() == {"fetched": 1}
    stored = env.row().answers or []
    assert len(stored) <= MAX_ANSWERS and all(len(a["value"]) <= MAX_VALUE for a in stored)
    assert "email" not in {a["key"] for a in stored}  # an object is no answer


def test_an_answer_larger_than_a_lead_is_refused_unread(env: Env) -> None:
    env.platforms.add_meta_lead(PAGE, LEAD, "52782", {"email": "a@b.example"})
    env.platforms.meta_leads[LEAD]["field_data"] = [
        {"name": f"q{i}", "values": ["v" * 10_000]} for i in range(40)
    ]
    delivered_meta(env)
    assert env.leads() == {LeadStatus.FAILED: 1}
    assert "more than 262144 bytes" in env.letters()[0].error


@pytest.mark.parametrize(
    ("status", "outcome", "says"),
    [
        (401, LeadStatus.NEEDS_TOKEN, "LINKEDIN_ACCESS_TOKEN"),
        (403, LeadStatus.NEEDS_PERMISSION, "r_marketing_leadgen_automation"),
        (500, "retry", "500"),
        (404, "retry", "404"),
    ],
)
def test_linkedin_refusals_are_told_apart(env: Env, status: int, outcome: str, says: str) -> None:
    env.platforms.fail(LI_ID, status)
    delivered_linkedin(env)
    assert env.leads() == {outcome: 1}
    row = env.row()
    text = env.letters()[0].error if env.letters() else row.error or ""
    assert says in text


def test_linkedin_429_waits_for_midnight_utc(env: Env) -> None:
    env.platforms.fail(LI_ID, 429)
    delivered_linkedin(env)
    assert env.leads() == {"throttled": 1}
    row = env.row()
    tomorrow = (utcnow() + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert row.attempts == 0 and row.next_attempt_at >= tomorrow


def test_a_sunset_linkedin_version_fails_with_what_to_set(env: Env) -> None:
    env.settings = make_settings(
        env.settings.database_url,
        linkedin_api_url=env.platforms.url,
        linkedin_access_token=env.platforms.linkedin_token,
        linkedin_version="202505",
    )
    delivered_linkedin(env)
    assert env.leads() == {LeadStatus.FAILED: 1}
    assert "LINKEDIN_VERSION" in env.letters()[0].error
