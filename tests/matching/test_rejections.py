"""What people rejected counts inside the matcher's decision (`MatchResult.respecting`)."""

from __future__ import annotations

from enrich.matching.scorer import Candidate, Decision, MatchResult

REVIEW_AT = 2.0


def result(*candidates: tuple[str, float, Decision]) -> MatchResult:
    return MatchResult(
        profile_key="x:1",
        rule_version="test",
        prior_weight=0.0,
        candidates=tuple(Candidate(pid, score, d, ()) for pid, score, d in candidates),
    )


def decisions(r: MatchResult) -> dict[str, Decision]:
    return {c.person_id: c.decision for c in r.candidates}


def test_without_rejections_the_decisions_stand() -> None:
    r = result(("1", 12.0, Decision.LINK), ("2", 3.0, Decision.NONE))
    assert r.respecting(set(), REVIEW_AT) is r


def test_a_rejected_link_sends_the_others_above_review_to_review_and_links_none() -> None:
    r = result(
        ("1", 12.0, Decision.LINK),
        ("2", 3.0, Decision.NONE),  # ruled out only because "1" was far likelier
        ("3", 1.0, Decision.NONE),
    )
    assert decisions(r.respecting({"1"}, REVIEW_AT)) == {
        "1": Decision.NONE,
        "2": Decision.REVIEW,
        "3": Decision.NONE,
    }


def test_a_rejected_review_pair_is_never_proposed_again_and_the_link_stands() -> None:
    r = result(("1", 9.0, Decision.LINK), ("2", 4.0, Decision.NONE))
    assert decisions(r.respecting({"2"}, REVIEW_AT)) == {"1": Decision.LINK, "2": Decision.NONE}
    r = result(("1", 4.0, Decision.REVIEW), ("2", 3.0, Decision.REVIEW))
    assert decisions(r.respecting({"1"}, REVIEW_AT)) == {"1": Decision.NONE, "2": Decision.REVIEW}
