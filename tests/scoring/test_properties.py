"""Properties every score must have, whatever the touchpoints (hypothesis)."""

from __future__ import annotations

from datetime import UTC, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrich.scoring import Kind, Scorer, ScoringConfig, Taxonomy, Touchpoint
from tests.scoring.conftest import NOW

SCORER = Scorer(ScoringConfig.default(), Taxonomy.default())
CONFIG = SCORER.config
POSITIVE_KINDS = [k for k in Kind if CONFIG.points_for(k) > 0]
TEXTS = ["", "nice", "zero trust for cloud security", "dbt + airflow", "C++ and .NET", "#ai 🚀"]
NEGATIVE_TEXTS = ["not interested, thanks", "please unsubscribe me"]
PLATFORMS = ["x", "linkedin", "instagram", "facebook", "other"]

# Per test, not a global profile: other packages' property tests keep their own settings.
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def touchpoints(draw: st.DrawFn, *, positive: bool, id_prefix: str = "t") -> list[Touchpoint]:
    n = draw(st.integers(min_value=0, max_value=25))
    kinds = POSITIVE_KINDS if positive else list(Kind)
    texts = TEXTS if positive else TEXTS + NEGATIVE_TEXTS
    out = []
    for i in range(n):
        # Minutes apart or weeks apart: both same-day caps and decay get exercised.
        minutes = draw(st.integers(min_value=0, max_value=200 * 24 * 60))
        out.append(
            Touchpoint(
                id=f"{id_prefix}{i}",
                kind=draw(st.sampled_from(kinds)),
                platform=draw(st.sampled_from(PLATFORMS)),
                occurred_at=NOW - timedelta(minutes=minutes),
                text=draw(st.sampled_from(texts)),
                post_text=draw(st.sampled_from(TEXTS)),
                replied_to_us=draw(st.booleans()),
            )
        )
    return out


@PROPERTY
@given(base=touchpoints(positive=False), extra=touchpoints(positive=True, id_prefix="new"))
def test_score_is_monotone_in_added_positive_touchpoints(
    base: list[Touchpoint], extra: list[Touchpoint]
) -> None:
    before = SCORER.score_person(base, as_of=NOW)
    after = SCORER.score_person(base + extra, as_of=NOW)
    assert after.score >= before.score - 1e-9
    for topic, score in before.topics.items():
        assert after.topics[topic].value >= score.value - 1e-9


@PROPERTY
@given(tps=touchpoints(positive=True), days=st.floats(min_value=0, max_value=400))
def test_score_decays_towards_zero_as_time_passes(tps: list[Touchpoint], days: float) -> None:
    now = SCORER.score_person(tps, as_of=NOW).score
    later = SCORER.score_person(tps, as_of=NOW + timedelta(days=days)).score
    much_later = SCORER.score_person(tps, as_of=NOW + timedelta(days=days + 50 * 14)).score
    assert later <= now + 1e-9
    assert much_later <= later + 1e-9
    assert much_later < 1e-6


@PROPERTY
@given(tps=touchpoints(positive=False))
def test_caps_hold_per_kind_per_day(tps: list[Touchpoint]) -> None:
    result = SCORER.score_person(tps, as_of=NOW)
    used: dict[tuple[object, object], float] = {}
    for c in result.overall.contributions:
        if c.kind is None or c.rule == "negative_phrase":
            continue
        assert c.occurred_at is not None
        key = (c.kind, c.occurred_at.astimezone(UTC).date())
        used[key] = used.get(key, 0.0) + abs(c.counted)
        assert abs(c.counted) <= abs(c.base) + 1e-9
    for (kind, _day), total in used.items():
        cap = CONFIG.daily_caps.get(kind)
        if cap is not None:
            assert total <= cap + 1e-9


@PROPERTY
@given(data=st.data(), tps=touchpoints(positive=False))
def test_order_of_arrival_does_not_change_the_result(
    data: st.DataObject, tps: list[Touchpoint]
) -> None:
    shuffled = data.draw(st.permutations(tps))
    redelivered = shuffled + data.draw(st.lists(st.sampled_from(tps), max_size=5)) if tps else []
    fields = {"title": "VP Engineering"}
    a = SCORER.score_person(tps, as_of=NOW, fields=fields, bio="Kubernetes fan").to_dict()
    b = SCORER.score_person(redelivered, as_of=NOW, fields=fields, bio="Kubernetes fan").to_dict()
    assert a == b
