"""Hand-off with hysteresis, and the account roll-up."""

from __future__ import annotations

from enrich.scoring import HandoffConfig, HandoffState, RollupConfig, decide_handoff, rollup_account


def test_hysteresis_emits_one_handoff() -> None:
    config = HandoffConfig(threshold=50, hysteresis=15)
    state = HandoffState()
    emitted = []
    for score in [10, 49.4, 50, 52, 49, 51, 38, 36, 55, 60]:
        decision = decide_handoff(state, score, config)
        state = decision.state
        emitted.append(decision.emit)
    assert emitted.count(True) == 1 and emitted[2]


def test_handoff_rearms_only_below_threshold_minus_band() -> None:
    config = HandoffConfig(threshold=50, hysteresis=15)
    state = HandoffState()
    emits = []
    for score in [50, 36, 60, 34.4, 49, 50]:
        decision = decide_handoff(state, score, config)
        state = decision.state
        emits.append(decision.emit)
    assert emits == [True, False, False, False, False, True]


def test_handoff_uses_the_rounded_score_the_rep_sees() -> None:
    decision = decide_handoff(HandoffState(), 49.5, HandoffConfig(threshold=50, hysteresis=10))
    assert decision.emit and "reached threshold" in decision.reason


def test_account_rollup_weights_top_people_and_rewards_breadth() -> None:
    config = RollupConfig(
        top_k=3, weight_decay=0.5, breadth_bonus=5, breadth_cap=2, engaged_min_score=5
    )
    account = rollup_account("acc-1", {"ann": 40, "bob": 20, "cy": 10, "dee": 8, "eve": 2}, config)
    assert [p.person_id for p in account.people] == ["ann", "bob", "cy", "dee"]
    assert account.score == 40 + 20 * 0.5 + 10 * 0.25 + 5 * 2
    assert account.reason == "4 engaged people (top scores 40, 20, 10, 8)"
    assert account.breakdown()["people"][3]["weight"] == 0.0


def test_account_rollup_never_drops_when_someone_engages() -> None:
    config = RollupConfig()
    people = {"ann": 30.0}
    before = rollup_account("a", people, config).score
    after = rollup_account("a", {**people, "bob": 6.0}, config).score
    assert after > before
    assert rollup_account("a", {}, config).score == 0
