"""How the console writes times, scores, amounts, scoring rules and chart colours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from enrich.console import charts
from enrich.console.formatting import human_time, money, rule_label, score, when
from enrich.scoring.touchpoint import Kind

NOW = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)


def test_times_read_like_a_person_would_say_them() -> None:
    assert human_time(NOW - timedelta(seconds=20), NOW) == "just now"
    assert human_time(NOW - timedelta(minutes=12), NOW) == "12 min ago"
    assert human_time("2026-12-07T09:05:59.514022+00:00", NOW) == "today 09:05"
    assert human_time("2026-12-06T23:59:00+00:00", NOW) == "yesterday 23:59"
    assert human_time("2026-12-03T14:10:00Z", NOW) == "Thu 14:10"
    assert human_time("2026-11-03T14:10:00+00:00", NOW) == "3 Nov 2026"
    assert human_time(None, NOW) == "—"
    assert human_time("not a time", NOW) == "not a time"


def test_a_time_element_keeps_the_exact_utc_value() -> None:
    html = str(when("2026-12-07T15:15:23.514022+00:00"))
    assert 'datetime="2026-12-07T15:15:23.514022+00:00"' in html
    assert 'title="2026-12-07 15:15:23 UTC"' in html
    assert "<script>" not in str(when("<script>"))


def test_the_score_is_the_one_the_crm_gets() -> None:
    assert [score(v) for v in (28.5, 28.49, 27.5, 0.4, -2.5, None)] == [
        "29",
        "28",
        "28",
        "0",
        "-3",
        "—",
    ]


def test_amounts_carry_their_currency() -> None:
    assert money(48000) == "$48,000"
    assert money("120000.5", "USD") == "$120,000.50"
    assert money(9000, "eur") == "9,000 EUR"
    assert money(None) == ""


def test_scoring_rules_are_named_as_revops_wrote_them() -> None:
    notes = {"fit.vp": "VP title (title: VP of Operations)"}
    assert rule_label("points.comment") == "comments"
    assert rule_label("points.dm") == "direct messages"
    assert rule_label("fit.vp", notes) == "VP title"
    assert rule_label("fit.target-account") == "target account"
    assert rule_label("negative_phrase") == "negative phrases"


def test_every_touchpoint_kind_has_its_own_colour() -> None:
    kinds = [k.value for k in Kind]
    colours = [charts.color(k, i) for i, k in enumerate(kinds)]
    assert len(set(colours)) == len(kinds)
    platforms = ["linkedin", "x", "facebook", "instagram", "other"]
    assert len({charts.color(p) for p in platforms}) == len(platforms)
