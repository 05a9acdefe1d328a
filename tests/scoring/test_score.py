"""The lead score: points, caps, decay, negative signals, fit, breakdown and reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest

from enrich.errors import InputError
from enrich.scoring import Scorer, ScoringConfig, Touchpoint, score_changed
from enrich.scoring.score import round_score
from tests.scoring.conftest import NOW, SECURITY_POST


def test_caps_stop_a_single_liker_reaching_threshold(
    scorer: Scorer, config: ScoringConfig, tp: Callable[..., Touchpoint]
) -> None:
    # 50 likes a day for three weeks: without caps that is 1,575 points.
    likes = [tp("like", days_ago=d + i / 100) for d in range(21) for i in range(50)]
    result = scorer.score_person(likes, as_of=NOW)
    assert result.score < config.handoff.threshold
    per_day: dict[object, float] = {}
    for c in result.overall.contributions:
        assert c.occurred_at is not None
        day = c.occurred_at.date()
        per_day[day] = per_day.get(day, 0.0) + c.counted
    assert max(per_day.values()) <= config.daily_caps[likes[0].kind] + 1e-9


def test_real_engagement_reaches_threshold(scorer: Scorer, tp: Callable[..., Touchpoint]) -> None:
    tps = [
        tp("comment", text="Zero trust done right", post_text=SECURITY_POST, days_ago=1),
        tp("comment", text="How do you handle CSPM drift?", post_text=SECURITY_POST, days_ago=3),
        tp("reply", text="Yes, let's talk about cloud security", replied_to_us=True, days_ago=2),
        tp("dm", text="Can we get a demo?", days_ago=1),
        tp("follow", days_ago=20),
    ]
    result = scorer.score_person(tps, as_of=NOW)
    assert result.overall.rounded >= scorer.config.handoff.threshold


def test_reason_says_what_and_when(scorer: Scorer, tp: Callable[..., Touchpoint]) -> None:
    tps = [tp("comment", text="great", post_text=SECURITY_POST, days_ago=d) for d in (1, 2, 5)] + [
        tp("follow", days_ago=30)
    ]
    reason = scorer.score_person(tps, as_of=NOW).reason
    assert reason.startswith("3 comments on Cloud security posts this week")
    assert "follows us on LinkedIn" in reason
    assert len(reason) <= 255


def test_reason_never_exceeds_255_chars(scorer: Scorer, tp: Callable[..., Touchpoint]) -> None:
    kinds = ["like", "comment", "reply", "share", "quote", "mention", "dm", "follow"]
    tps = [
        tp(k, platform=p, days_ago=d, post_text=SECURITY_POST)
        for k in kinds
        for p in ("x", "linkedin", "instagram", "facebook", "other")
        for d in (0.5, 3, 20, 200)
    ]
    result = scorer.score_person(tps, as_of=NOW, fields={"title": "Chief Security Officer"})
    assert 0 < len(result.reason) <= 255
    assert all(len(s.reason) <= 255 for s in result.topics.values())


def test_negative_phrase_in_dm_lowers_score_and_is_explained(
    scorer: Scorer, tp: Callable[..., Touchpoint]
) -> None:
    base = [tp("comment", text="nice", days_ago=1), tp("follow", days_ago=1)]
    without = scorer.score_person(base, as_of=NOW)
    with_no = scorer.score_person([*base, tp("dm", text="Thanks, but not interested.")], as_of=NOW)
    assert with_no.score < without.score
    assert 'said "not interested" in a DM' in with_no.reason
    assert with_no.overall.breakdown()["by_rule"]["negative_phrase"] < 0


def test_unfollow_is_a_negative_signal(scorer: Scorer, tp: Callable[..., Touchpoint]) -> None:
    comments = [tp("comment", text="nice", days_ago=2)]
    before = scorer.score_person(comments, as_of=NOW)
    after = scorer.score_person([*comments, tp("unfollow", platform="x", days_ago=1)], as_of=NOW)
    assert after.score < before.score
    assert "unfollowed us on X" in after.reason


def test_fit_points_take_the_best_tier_only(scorer: Scorer, tp: Callable[..., Touchpoint]) -> None:
    tps = [tp("comment", text="nice")]
    plain = scorer.score_person(tps, as_of=NOW).score
    vp = scorer.score_person(tps, as_of=NOW, fields={"title": "VP, Head of Security"}).score
    target = scorer.score_person(
        tps, as_of=NOW, fields={"title": "VP Sales", "is_target_account": "true"}
    )
    assert vp - plain == pytest.approx(12)  # the VP tier, not VP + head-of
    assert target.score - plain == pytest.approx(27)
    assert "VP title, target account" in target.reason


def test_breakdown_is_json_and_adds_up(scorer: Scorer, tp: Callable[..., Touchpoint]) -> None:
    tps = [tp("like", days_ago=i / 10, post_text=SECURITY_POST) for i in range(10)]
    tps.append(tp("share", days_ago=4, platform="x"))
    result = scorer.score_person(tps, as_of=NOW, fields={"title": "CTO"})
    doc = json.loads(json.dumps(result.to_dict()))
    breakdown = doc["breakdown"]
    assert sum(breakdown["by_rule"].values()) == pytest.approx(result.score, abs=1e-3)
    assert any(c.get("capped") for c in breakdown["contributions"])
    assert doc["topics"]["cloud-security"]["score"] > 0
    assert doc["config_version"] == scorer.config.version


def test_per_topic_scores_follow_what_the_touchpoint_was_about(
    scorer: Scorer, tp: Callable[..., Touchpoint]
) -> None:
    tps = [
        tp("comment", text="Airflow or dbt?", days_ago=1),
        tp("like", post_text=SECURITY_POST, days_ago=1),
    ]
    topics = scorer.score_person(tps, as_of=NOW).topics
    assert set(topics) == {"data-engineering", "cloud-security"}
    assert topics["data-engineering"].value > topics["cloud-security"].value
    assert topics["data-engineering"].reason == "1 comment today"


def test_duplicates_and_future_touchpoints_do_not_count(
    scorer: Scorer, tp: Callable[..., Touchpoint]
) -> None:
    one = tp("comment", text="hi", id="same")
    twice = scorer.score_person([one, one, tp("comment", text="hi", id="same")], as_of=NOW)
    assert twice.score == scorer.score_person([one], as_of=NOW).score
    future = tp("dm", days_ago=-1)
    assert scorer.score_person([one, future], as_of=NOW).score == twice.score


def test_scores_are_computed_as_of_a_time_and_fade(
    scorer: Scorer, config: ScoringConfig, tp: Callable[..., Touchpoint]
) -> None:
    tps = [tp("comment", text="nice")]
    today = scorer.score_person(tps, as_of=NOW).score
    later = scorer.score_person(tps, as_of=NOW + timedelta(days=config.half_life_days)).score
    assert later == pytest.approx(today / 2)


def test_score_changed_compares_what_the_crm_shows() -> None:
    assert score_changed(None, 0.0)
    assert not score_changed(41.6, 42.4)
    assert score_changed(42.4, 42.5)
    assert round_score(2.5) == 3 and round_score(0.49) == 0


def test_naive_datetimes_are_refused(scorer: Scorer, tp: Callable[..., Touchpoint]) -> None:
    with pytest.raises(InputError, match="timezone-aware"):
        scorer.score_person([tp()], as_of=NOW.replace(tzinfo=None))
    with pytest.raises(InputError, match="timezone-aware"):
        Touchpoint("x", "like", "x", NOW.replace(tzinfo=None))


def test_platform_synonyms_are_folded(tp: Callable[..., Touchpoint]) -> None:
    t = tp("reaction", platform="Twitter")
    assert (t.kind.value, t.platform.value) == ("like", "x")
    assert tp("repost").kind.value == "share"
    with pytest.raises(InputError, match="unknown touchpoint kind"):
        tp("poke")
