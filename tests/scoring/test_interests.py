"""Interest extraction: evidence sources, their weights, decay and top interests."""

from __future__ import annotations

from collections.abc import Callable

from enrich.scoring import InterestExtractor, Taxonomy, Touchpoint
from tests.scoring.conftest import NOW, SECURITY_POST


def _extractor(taxonomy: Taxonomy) -> InterestExtractor:
    return InterestExtractor(taxonomy)


def test_like_on_security_post_is_weak_security_signal(
    taxonomy: Taxonomy, tp: Callable[..., Touchpoint]
) -> None:
    liked = _extractor(taxonomy).profile([tp("like", post_text=SECURITY_POST)], as_of=NOW)
    wrote = _extractor(taxonomy).profile(
        [tp("comment", text="Zero trust is the only sane cloud security model")], as_of=NOW
    )
    weak, strong = liked.strength("cloud-security"), wrote.strength("cloud-security")
    assert 0 < weak < strong
    assert weak <= strong / 3
    [evidence] = liked.interests[0].evidence
    assert evidence.source == "post" and "cloud security" in evidence.terms


def test_what_they_write_hashtags_and_bio_are_evidence(
    taxonomy: Taxonomy, tp: Callable[..., Touchpoint]
) -> None:
    profile = _extractor(taxonomy).profile(
        [
            tp("reply", text="Our dbt models feed the lakehouse"),
            tp("mention", text="Love #kubernetes"),
        ],
        as_of=NOW,
        bio="CISO. Writes about GDPR.",
    )
    sources = {i.topic: {s for e in i.evidence for s in e.sources} for i in profile.interests}
    assert sources["data-engineering"] == {"text"}
    assert sources["devops"] == {"text", "hashtag"}  # "#kubernetes" is both
    assert sources["compliance-privacy"] == {"bio"}


def test_interest_strength_decays_with_its_half_life(
    taxonomy: Taxonomy, tp: Callable[..., Touchpoint]
) -> None:
    extractor = _extractor(taxonomy)
    half_life = extractor.config.half_life_days
    fresh = extractor.profile([tp("comment", text="AI everywhere")], as_of=NOW)
    old = extractor.profile([tp("comment", text="AI everywhere", days_ago=half_life)], as_of=NOW)
    assert abs(old.strength("ai-ml") - fresh.strength("ai-ml") / 2) < 1e-9


def test_top_interests_are_strongest_first_and_skip_faint_ones(
    taxonomy: Taxonomy, tp: Callable[..., Touchpoint]
) -> None:
    profile = _extractor(taxonomy).profile(
        [
            tp("comment", text="dbt and airflow all day"),
            tp("comment", text="data pipeline woes"),
            tp("comment", text="kubernetes upgrade"),
            tp("like", post_text="Machine learning in sales", days_ago=400),  # faint by now
        ],
        as_of=NOW,
    )
    assert [i.topic for i in profile.top_interests(5)] == ["data-engineering", "devops"]
    assert len(profile.top_interests(1)) == 1
    assert profile.to_dict()["interests"][0]["evidence"]


def test_same_touchpoint_counts_once_per_topic(
    taxonomy: Taxonomy, tp: Callable[..., Touchpoint]
) -> None:
    one = tp("comment", text="cloud security, zero trust, #cloudsec", post_text=SECURITY_POST)
    profile = _extractor(taxonomy).profile([one, one], as_of=NOW)
    assert profile.strength("cloud-security") == 1.0
