"""Attribution on a fixture whose answers are worked out by hand below: three models, two
periods, three dimensions, two currencies.

Day n is 2026-01-01 + n days; the look-back window is 30 days.

    touch  person  platform  kind     post  topics              day
    T1     ann     linkedin  like     P1    security            10
    T2     bob     x         comment  P2    security, cloud     20
    T3     ann     linkedin  share    P1    security            25
    T4     cat     linkedin  comment  P3    -                   50
    T5     bob     x         like     P2    security, cloud    100

    opp  people          amount    created  closes        window before creation / close
    O1   ann, bob, cat   900 USD   day 30   won, day 59   [0, 30): T1 T2 T3 / [30, 60): T4
    O2   cat             300 USD   day 55   open          [25, 55): T4
    O3   bob            1000 EUR   day 40   won, day 110  [10, 40): T2 / [81, 111): T5
    O4   cat             500 USD   day 5    open          [-25, 5): nothing
    O5   ann             200 USD   day 70   open          [40, 70): nothing

Period A is days [0, 60), period B days [60, 120).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from enrich.attribution import (
    NO_TOPIC,
    Dimension,
    Model,
    Opportunity,
    Period,
    Report,
    Touch,
    attribute,
    facts,
)

ANN, BOB, CAT = 1, 2, 3
START = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW = timedelta(days=30)


def day(n: float) -> datetime:
    return START + timedelta(days=n)


def touch(
    i: int, person: int, platform: str, kind: str, post: str, topics: tuple[str, ...], d: int
) -> Touch:
    return Touch(i, person, day(d), platform, kind, post, f"text of {post}", topics)


T1 = touch(1, ANN, "linkedin", "like", "P1", ("security",), 10)
T2 = touch(2, BOB, "x", "comment", "P2", ("security", "cloud"), 20)
T3 = touch(3, ANN, "linkedin", "share", "P1", ("security",), 25)
T4 = touch(4, CAT, "linkedin", "comment", "P3", (), 50)
T5 = touch(5, BOB, "x", "like", "P2", ("security", "cloud"), 100)
TOUCHES = {ANN: [T1, T3], BOB: [T2, T5], CAT: [T4]}

O1 = Opportunity(
    1, "O1", day(30), 900, "USD", day(59).date(), True, True, frozenset({ANN, BOB, CAT})
)
O2 = Opportunity(2, "O2", day(55), 300, "USD", None, False, False, frozenset({CAT}))
O3 = Opportunity(3, "O3", day(40), 1000, "EUR", day(110).date(), True, True, frozenset({BOB}))
O4 = Opportunity(4, "O4", day(5), 500, "USD", None, False, False, frozenset({CAT}))
O5 = Opportunity(5, "O5", day(70), 200, "USD", None, False, False, frozenset({ANN}))
OPPORTUNITIES = [O1, O2, O3, O4, O5]
PERIOD_A = Period(day(0), day(60))
PERIOD_B = Period(day(60), day(120))


def report(period: Period, model: Model, dimension: Dimension) -> Report:
    return attribute(OPPORTUNITIES, TOUCHES, period, WINDOW, model, dimension)


def credited(r: Report, currency: str, figure: str) -> dict[str, float]:
    """key -> figure, for the rows of one currency that earned any of it."""
    return {
        row.key: round(getattr(row, figure), 6)
        for row in r.rows
        if row.currency == currency and getattr(row, figure)
    }


@pytest.mark.parametrize("model", list(Model))
def test_period_a_totals_are_kept_per_currency_whatever_the_model(model: Model) -> None:
    r = report(PERIOD_A, model, Dimension.PLATFORM)
    usd, eur = r.totals["USD"], r.totals["EUR"]
    # USD: O1, O2, O4 created (1700); O1 and O2 had touches before creation; O1 won on day 59.
    assert (usd.created_opportunities, usd.created_amount) == (3, 1700)
    assert (usd.opportunities, usd.pipeline) == (2, 1200)
    assert (usd.won, usd.won_revenue, usd.won_all) == (1, 900, 1)
    # EUR: O3 created and influenced; it closes in period B.
    assert (eur.opportunities, eur.pipeline, eur.won, eur.won_revenue) == (1, 1000, 0, 0)


@pytest.mark.parametrize("model", list(Model))
def test_period_b_has_one_uninfluenced_opportunity_and_one_influenced_win(model: Model) -> None:
    r = report(PERIOD_B, model, Dimension.PLATFORM)
    usd, eur = r.totals["USD"], r.totals["EUR"]
    assert (usd.created_opportunities, usd.created_amount, usd.pipeline) == (1, 200, 0)
    assert (eur.pipeline, eur.won, eur.won_revenue) == (0, 1, 1000)
    assert credited(r, "EUR", "won_revenue") == {"x": 1000}  # T5, alone before O3 closed
    assert credited(r, "USD", "pipeline") == {}


@pytest.mark.parametrize(
    ("model", "usd_pipeline"),
    [
        (Model.FIRST, {"linkedin": 1200}),  # O1 -> T1, O2 -> T4
        (Model.LAST, {"linkedin": 1200}),  # O1 -> T3, O2 -> T4
        (Model.LINEAR, {"linkedin": 900, "x": 300}),  # O1: 300 each to T1, T2, T3
    ],
)
def test_period_a_pipeline_by_platform(model: Model, usd_pipeline: dict[str, float]) -> None:
    r = report(PERIOD_A, model, Dimension.PLATFORM)
    assert credited(r, "USD", "pipeline") == usd_pipeline
    assert credited(r, "EUR", "pipeline") == {"x": 1000}  # O3's only touch is T2
    assert credited(r, "USD", "won_revenue") == {"linkedin": 900}  # O1 closed after T4 only


@pytest.mark.parametrize(
    ("model", "usd_pipeline", "opportunities"),
    [
        (Model.FIRST, {"security": 900, NO_TOPIC: 300}, {"security": 1, NO_TOPIC: 1}),
        (Model.LAST, {"security": 900, NO_TOPIC: 300}, {"security": 1, NO_TOPIC: 1}),
        # O1: T1 300 + T2 300 split between security and cloud + T3 300.
        (
            Model.LINEAR,
            {"security": 750, "cloud": 150, NO_TOPIC: 300},
            {"security": 0.833333, "cloud": 0.166667, NO_TOPIC: 1},
        ),
    ],
)
def test_period_a_pipeline_by_topic(
    model: Model, usd_pipeline: dict[str, float], opportunities: dict[str, float]
) -> None:
    r = report(PERIOD_A, model, Dimension.TOPIC)
    assert credited(r, "USD", "pipeline") == usd_pipeline
    assert credited(r, "USD", "opportunities") == opportunities
    assert credited(r, "EUR", "pipeline") == {"security": 500, "cloud": 500}
    assert credited(r, "USD", "won_revenue") == {NO_TOPIC: 900}


@pytest.mark.parametrize(
    ("model", "usd_pipeline"),
    [
        (Model.FIRST, {"P1": 900, "P3": 300}),
        (Model.LAST, {"P1": 900, "P3": 300}),
        (Model.LINEAR, {"P1": 600, "P2": 300, "P3": 300}),
    ],
)
def test_period_a_pipeline_by_post(model: Model, usd_pipeline: dict[str, float]) -> None:
    r = report(PERIOD_A, model, Dimension.POST)
    assert credited(r, "USD", "pipeline") == usd_pipeline
    # Touches before creation, whatever the model: P1 twice for O1, P2 once, P3 once for O2.
    assert credited(r, "USD", "touches") == {"P1": 2, "P2": 1, "P3": 1}
    assert {row.key: row.label for row in r.rows if row.currency == "USD"}["P1"] == "text of P1"


@pytest.mark.parametrize("model", list(Model))
@pytest.mark.parametrize("dimension", list(Dimension))
@pytest.mark.parametrize("period", [PERIOD_A, PERIOD_B])
def test_every_model_hands_out_exactly_the_influenced_amount(
    model: Model, dimension: Dimension, period: Period
) -> None:
    r = report(period, model, dimension)
    for currency, totals in r.totals.items():
        rows = [row for row in r.rows if row.currency == currency]
        assert sum(row.pipeline for row in rows) == pytest.approx(totals.pipeline)
        assert sum(row.won_revenue for row in rows) == pytest.approx(totals.won_revenue)
        assert sum(row.opportunities for row in rows) == pytest.approx(totals.opportunities)


def test_a_touch_counted_for_two_records_of_one_person_counts_once() -> None:
    # One profile linked to a contact and a lead of the same account: the same touchpoint.
    lead = 9
    opp = Opportunity(6, "O6", day(30), 100, "USD", None, False, False, frozenset({ANN, lead}))
    touches = {ANN: [T1], lead: [T1]}
    r = attribute([opp], touches, PERIOD_A, WINDOW, Model.LINEAR, Dimension.PLATFORM)
    assert credited(r, "USD", "pipeline") == {"linkedin": 100}
    assert credited(r, "USD", "touches") == {"linkedin": 1}


def test_a_touch_at_the_moment_of_creation_is_not_before_it() -> None:
    opp = Opportunity(7, "O7", day(10), 100, "USD", people=frozenset({ANN}))
    r = attribute([opp], TOUCHES, PERIOD_A, WINDOW, Model.FIRST, Dimension.PLATFORM)
    assert r.totals["USD"].opportunities == 0  # T1 happened at day 10 exactly


def test_the_crm_fields_of_an_opportunity() -> None:
    won = facts(O1, TOUCHES, WINDOW, describe=lambda t: f"{t.platform} {t.kind}")
    assert won.influenced and won.first_touch == "linkedin like"
    assert (won.touches_before_create, won.touches_before_close) == (3, 1)
    still_open = facts(O2, TOUCHES, WINDOW)
    assert (still_open.influenced, still_open.touches_before_close) == (True, 0)
    untouched = facts(O4, TOUCHES, WINDOW)
    assert (untouched.influenced, untouched.first_touch, untouched.touches_before_create) == (
        False,
        "",
        0,
    )
