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


@dataclass(frozen=True, slots=True)
class TouchpointTopics:
    """The topics of one touchpoint: in what the person wrote, and in the post they engaged."""

    written: TopicHits
    post: TopicHits
    topics: frozenset[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "topics", self.written.topics | self.post.topics)

    def sources(self, topic: str) -> tuple[str, ...]:
        """Evidence sources for ``topic`` in this touchpoint, in :data:`EVIDENCE_SOURCES` order."""
        out = []
        if topic in self.written.words:
            out.append("text")
        if topic in self.written.hashtags:
            out.append("hashtag")
        if topic in self.post.topics:
            out.append("post")
        return tuple(out)

    def terms(self, topic: str) -> tuple[str, ...]:
        found: dict[str, None] = {}
        for hits in (
            self.written.words,
            self.written.hashtags,
            self.post.words,
            self.post.hashtags,
        ):
            for term in hits.get(topic, ()):
                found.setdefault(term, None)
        return tuple(found)


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

    def analyse(self, tp: Touchpoint) -> TouchpointTopics:
        """The topics of one touchpoint (time-independent, so it can be stored and reused)."""
        return TouchpointTopics(self.taxonomy.match(tp.text), self._post_topics(tp.post_text))

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
            if not topics.topics:
                continue
            decay = decay_factor(age_days(tp.occurred_at, as_of), self.config.half_life_days)
            for topic in sorted(topics.topics):
                sources = topics.sources(topic)
                strongest = max(sources, key=lambda s: weights.get(s, 0.0))
                weight = weights.get(strongest, 0.0) * decay
                if weight <= 0:
                    continue
                evidence.setdefault(topic, []).append(
                    Evidence(tp.id, strongest, sources, topics.terms(topic), tp.occurred_at, weight)
                )
        interests = [
            Interest(topic, self.taxonomy.label(topic), sum(e.weight for e in items), tuple(items))
            for topic, items in evidence.items()
        ]
        interests.sort(key=lambda i: (-i.strength, i.topic))
        return InterestProfile(as_of, tuple(interests), self.config.min_strength)
