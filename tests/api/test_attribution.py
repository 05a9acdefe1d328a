"""GET /api/v1/attribution and /attribution/credits: the figures of the seeded pipeline
(tests/console/pipeline_seed.py works them out), per currency, and what bad input gets."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlmodel import col, select

from enrich.db import session_scope
from enrich.models import IdentityLink, LinkStatus, SocialProfile, utcnow
from tests.api.conftest import Api
from tests.console import seed
from tests.console.pipeline_seed import PERIOD, add_pipeline


@pytest.fixture
def pipeline(engine: Engine) -> dict[str, int]:
    return add_pipeline(engine)


def test_the_summary_has_the_funnel_and_per_currency_totals(
    viewer: Api, pipeline: dict[str, int]
) -> None:
    body = viewer.get(f"/api/v1/attribution?{PERIOD}").get_json()
    assert body["period"] == {"start": "2026-01-01", "end": "2026-03-31"}
    assert (body["model"], body["dimension"], body["window_days"]) == ("linear", "platform", 90)
    assert {s["stage"]: s["count"] for s in body["funnel"]} == {
        "engaged": 2,  # our own comment is not a prospect's
        "matched": 2,
        "handoff": 0,
        "opportunity": 2,
        "won": 1,
    }
    totals = {t["currency"]: t for t in body["totals"]}
    assert (totals["USD"]["pipeline"], totals["USD"]["created_amount"]) == (48000, 53000)
    assert (totals["USD"]["won_revenue"], totals["USD"]["won"]) == (48000, 1)
    assert (totals["EUR"]["pipeline"], totals["EUR"]["won_revenue"]) == (12000, 0)


@pytest.mark.parametrize(
    ("model", "usd"),
    [
        ("linear", {"linkedin": 24000, "x": 24000}),
        ("first", {"linkedin": 48000}),  # Dana's comment came first (Jan 10)
        ("last", {"x": 48000}),  # Robert's like last (Jan 20)
    ],
)
def test_credits_by_platform_per_model(
    viewer: Api, pipeline: dict[str, int], model: str, usd: dict[str, float]
) -> None:
    body = viewer.get(f"/api/v1/attribution/credits?{PERIOD}&model={model}").get_json()
    got = {
        r["key"]: r["pipeline"] for r in body["items"] if r["currency"] == "USD" and r["pipeline"]
    }
    assert got == usd and body["next_cursor"] is None


def test_credits_page_with_a_cursor(viewer: Api, pipeline: dict[str, int]) -> None:
    first = viewer.get(f"/api/v1/attribution/credits?{PERIOD}&limit=1").get_json()
    assert len(first["items"]) == 1 and first["next_cursor"] == "1"
    rest = viewer.get(f"/api/v1/attribution/credits?{PERIOD}&limit=200&cursor=1").get_json()
    assert len(rest["items"]) == 3 and rest["next_cursor"] is None  # 2 USD rows + 2 EUR rows


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-03-01&end=2026-01-01",  # backwards
        "start=2026-13-01",
        "start=1900-01-01&end=2026-01-01",  # more than ten years
        "start=0001-01-01&end=0001-01-02",
        "end=9999-12-31&start=9999-12-30",
        "model=best",
        "dimension=colour",
        "start=" + "9" * 30,
        "limit=0",
        "limit=201",
        "cursor=-1",
    ],
)
def test_bad_input_gets_a_400_that_says_what_to_send(
    viewer: Api, pipeline: dict[str, int], query: str
) -> None:
    response = viewer.get(f"/api/v1/attribution/credits?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_a_token_is_needed(client: FlaskClient, pipeline: dict[str, int]) -> None:
    assert client.get("/api/v1/attribution").status_code == 401


def test_a_token_scoped_to_people_cannot_read_the_report(
    client: FlaskClient, engine: Engine, pipeline: dict[str, int]
) -> None:
    scoped = Api(client, seed.token(engine, "viewer", ["people"]))
    assert scoped.get(f"/api/v1/attribution?{PERIOD}").status_code == 403
    allowed = Api(client, seed.token(engine, "viewer", ["dashboard"]))
    assert allowed.get(f"/api/v1/attribution?{PERIOD}").status_code == 200


def test_a_report_is_made_again_when_what_it_reads_changed(
    viewer: Api, engine: Engine, pipeline: dict[str, int]
) -> None:
    url = f"/api/v1/attribution/credits?{PERIOD}"
    before = {r["key"] for r in viewer.get(url).get_json()["items"] if r["pipeline"]}
    assert before == {"linkedin", "x"}
    with session_scope(engine) as session:  # Robert's link turns out wrong
        [x_link] = session.exec(
            select(IdentityLink)
            .join(SocialProfile, col(SocialProfile.id) == IdentityLink.profile_id)
            .where(SocialProfile.platform == "x")
        )
        x_link.status, x_link.decided_at = LinkStatus.REJECTED, utcnow()
    after = {r["key"] for r in viewer.get(url).get_json()["items"] if r["pipeline"]}
    assert after == {"linkedin"}
