"""What a person cares about: topics with a decaying strength and the evidence behind them.

Evidence, strongest first (weights in :class:`~enrich.scoring.config.InterestConfig`):

- ``text``: a taxonomy keyword or phrase in something the person wrote (comment, reply,
  quote, mention, DM...);
- ``hashtag``: a topic hashtag the person used;
- ``bio``: a topic term in their profile bio (current, so it does not decay);
- ``post``: the topic of *our* post they engaged with. Liking a post about cloud security
  says a little about them, far less than writing about it, hence the low default weight.

One touchpoint gives a topic at most the weight of its strongest source, decayed by age with
the interests' half-life; a topic's strength is the sum over touchpoints (plus the bio).
``top_interests(n)`` is what gets synced to the CRM.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from enrich.scoring.decay import age_days, decay_factor
from enrich.scoring.sections import InterestConfig
from enrich.scoring.taxonomy import Taxonomy, TopicHits
from enrich.scoring.touchpoint import Touchpoint, canonical

# Company posts repeat across thousands of touchpoints (everyone likes the same post), so
# their topics are cached; sized for a few months of posts on every platform.
POST_CACHE_SIZE = 65_536


class TopicEvidence(NamedTuple):
    """What one touchpoint says about one topic, before decay."""

    topic: str
    source: str  # the strongest source
    sources: tuple[str, ...]  # every source, in EVIDENCE_SOURCES order
    terms: tuple[str, ...]
    weight: float  # the strongest source's weight


@dataclass(frozen=True, slots=True)
class TouchpointTopics:
    """The topics of one touchpoint: in what the person wrote, and in the post they engaged.

    ``evidence`` (by topic name, weighted by the extractor that made it) is computed once:
    every like of the same post shares one instance, so a recompute does this work once per
    post, not once per touchpoint.
    """

    written: TopicHits
    post: TopicHits
    evidence: tuple[TopicEvidence, ...]
    topics: frozenset[str] = field(init=False, compare=False)
    sorted_topics: tuple[str, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        topics = self.written.topics | self.post.topics
        object.__setattr__(self, "topics", topics)
        object.__setattr__(self, "sorted_topics", tuple(sorted(topics)))


class Evidence(NamedTuple):
    """One reason for an interest: a touchpoint (or the bio) and what it contributed.

    A NamedTuple: cheap to build in the millions during a recompute.
    """

    touchpoint_id: str | None  # None for the bio
    source: str  # strongest source: text, hashtag, bio or post
    sources: tuple[str, ...]
    terms: tuple[str, ...]
    occurred_at: datetime | None
    weight: float  # after decay

    def to_dict(self) -> dict[str, Any]:
        return {
            "touchpoint_id": self.touchpoint_id,
            "source": self.source,
            "sources": list(self.sources),
            "terms": list(self.terms),
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
            "weight": round(self.weight, 4),
        }


@dataclass(frozen=True, slots=True)
class Interest:
    """A topic the person cares about, how much (decayed), and why."""

    topic: str
    label: str
    strength: float
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "label": self.label,
            "strength": round(self.strength, 4),
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class InterestProfile:
    """All of a person's interests as of a moment, strongest first (ties by topic name)."""

    as_of: datetime
    interests: tuple[Interest, ...]
    min_strength: float

    def top_interests(self, n: int = 3) -> tuple[Interest, ...]:
        """The ``n`` strongest interests at or above ``min_strength``: what the CRM shows."""
        return tuple(i for i in self.interests if i.strength >= self.min_strength)[:n]

    def strength(self, topic: str) -> float:
        return next((i.strength for i in self.interests if i.topic == topic), 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "interests": [i.to_dict() for i in self.interests]}


class InterestExtractor:
    """Finds topics in touchpoints and turns them into an :class:`InterestProfile`."""

    def __init__(self, taxonomy: Taxonomy, config: InterestConfig | None = None) -> None:
        self.taxonomy = taxonomy
        self.config = config or InterestConfig()
        self._post_topics = lru_cache(maxsize=POST_CACHE_SIZE)(taxonomy.match)
        self._of_texts = lru_cache(maxsize=POST_CACHE_SIZE)(self._topics_of)

    def analyse(self, tp: Touchpoint) -> TouchpointTopics:
        """The topics of one touchpoint (time-independent, so it can be stored and reused)."""
        if tp.text:  # what people write rarely repeats: only the post's topics are cached
            return self._topics_of(tp.text, tp.post_text)
        return self._of_texts("", tp.post_text)

    def _topics_of(self, text: str, post_text: str) -> TouchpointTopics:
        written, post = self.taxonomy.match(text), self._post_topics(post_text)
        weights = self.config.weights
        rows = []
        for topic in sorted(written.topics | post.topics):
            sources = tuple(
                source
                for source, hits in (
                    ("text", written.words),
                    ("hashtag", written.hashtags),
                    ("post", post.topics),
                )
                if topic in hits
            )
            strongest = max(sources, key=lambda s: weights.get(s, 0.0))
            if weights.get(strongest, 0.0) <= 0:
                continue
            terms: dict[str, None] = {}
            for hits in (written.words, written.hashtags, post.words, post.hashtags):
                for term in hits.get(topic, ()):
                    terms.setdefault(term, None)
            rows.append(
                TopicEvidence(topic, strongest, sources, tuple(terms), weights.get(strongest, 0.0))
            )
        return TouchpointTopics(written, post, tuple(rows))

    def profile(
        self,
        touchpoints: Iterable[Touchpoint],
        *,
        as_of: datetime,
        bio: str = "",
        analysed: dict[str, TouchpointTopics] | None = None,
    ) -> InterestProfile:
        """Interests as of ``as_of`` from ``touchpoints`` (any order) and the profile ``bio``.

        ``analysed`` (touchpoint id -> topics) lets a caller that already ran :meth:`analyse`
        skip doing it again.
        """
        tps = canonical(touchpoints, as_of=as_of)
        return self.profile_of_canonical(tps, as_of, bio, analysed)

    def profile_of_canonical(
        self,
        tps: list[Touchpoint],
        as_of: datetime,
        bio: str = "",
        analysed: dict[str, TouchpointTopics] | None = None,
    ) -> InterestProfile:
        """As :meth:`profile` for touchpoints already passed through ``canonical``."""
        weights = self.config.weights
        evidence: dict[str, list[Evidence]] = {}
        bio_hits = self.taxonomy.match(bio)
        for topic in sorted(bio_hits.topics):
            terms = (*bio_hits.words.get(topic, ()), *bio_hits.hashtags.get(topic, ()))
            evidence.setdefault(topic, []).append(
                Evidence(None, "bio", ("bio",), terms, None, weights.get("bio", 0.0))
            )
        for tp in tps:
            topics = analysed[tp.id] if analysed is not None else self.analyse(tp)
            if not topics.evidence:
                continue
            decay = decay_factor(age_days(tp.occurred_at, as_of), self.config.half_life_days)
            for topic, strongest, sources, terms, weight in topics.evidence:
                evidence.setdefault(topic, []).append(
                    Evidence(tp.id, strongest, sources, terms, tp.occurred_at, weight * decay)
                )
        interests = [
            Interest(topic, self.taxonomy.label(topic), sum(e.weight for e in items), tuple(items))
            for topic, items in evidence.items()
        ]
        interests.sort(key=lambda i: (-i.strength, i.topic))
        return InterestProfile(as_of, tuple(interests), self.config.min_strength)
