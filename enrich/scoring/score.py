"""The lead score: how warm a person is, per topic too, with a breakdown and a reason.

For each touchpoint (deduplicated by id, none after ``as_of``, in (time, id) order):

1. **base** = (points[kind] + replied_to_us_bonus if it answered us) * platform multiplier;
   if the person wrote a configured negative phrase ("not interested") in a touchpoint of
   a listed kind, base = that phrase's (negative) points instead (the most negative one).
2. **daily cap**: per kind and UTC day, at most ``daily_caps[kind]`` points (in absolute
   value) count. The newest touchpoints of the day are counted first, so adding one can
   never lower a score and the result does not depend on arrival order.
3. **decay**: what counted is multiplied by ``0.5 ** (age_days / half_life_days)``.

overall = max(0, sum of touchpoint points + fit points); fit points come from CRM fields
(first matching rule of each group). A topic's score sums, with the same caps applied per
topic, the touchpoints about that topic (what they wrote or the post they engaged with);
negative touchpoints do not enter topic scores. Every :class:`Score` keeps its
:class:`Contribution` lines (``breakdown()`` is JSON) and a reason string for the CRM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property, partial
from types import MappingProxyType
from typing import Any, NamedTuple

from enrich.errors import InputError
from enrich.scoring.config import ScoringConfig
from enrich.scoring.decay import age_days, decay_factor
from enrich.scoring.interests import (
    Interest,
    InterestExtractor,
    InterestProfile,
    TouchpointTopics,
)
from enrich.scoring.reason import explain
from enrich.scoring.taxonomy import Taxonomy
from enrich.scoring.terms import TermMatcher
from enrich.scoring.touchpoint import Kind, Platform, Touchpoint, canonical


def round_score(value: float) -> int:
    """The score as shown in the CRM: rounded half up (Python's round() is banker's)."""
    return int(value + 0.5) if value >= 0 else -int(-value + 0.5)


def score_changed(previous: float | None, current: float) -> bool:
    """Whether the CRM-visible (rounded) score changed, i.e. whether a write is due."""
    return previous is None or round_score(previous) != round_score(current)


class Contribution(NamedTuple):
    """One line of a breakdown: a rule applied to a touchpoint (or a CRM field).

    A NamedTuple rather than a frozen dataclass: a recompute creates one per touchpoint and
    topic (millions), and tuples are several times cheaper to build.
    """

    rule: str  # "points.comment", "negative_phrase", "fit.<name>"
    points: float  # what it added to the score (after cap and decay)
    touchpoint_id: str | None = None
    kind: Kind | None = None
    platform: Platform | None = None
    occurred_at: datetime | None = None
    base: float = 0.0  # before cap and decay
    counted: float = 0.0  # after the daily cap, before decay
    decay: float = 1.0
    topics: tuple[str, ...] = ()
    note: str = ""  # the negative phrase, the fit rule's label, ...

    @property
    def capped(self) -> bool:
        return self.counted != self.base

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "points": round(self.points, 4)}
        if self.touchpoint_id is not None:
            out.update(
                touchpoint_id=self.touchpoint_id,
                kind=self.kind.value if self.kind else None,
                platform=self.platform.value if self.platform else None,
                occurred_at=self.occurred_at.isoformat() if self.occurred_at else None,
                base=round(self.base, 4),
                counted=round(self.counted, 4),
                decay=round(self.decay, 6),
            )
            if self.capped:
                out["capped"] = True
            if self.topics:
                out["topics"] = list(self.topics)
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Score:
    """A score with its contributions (breakdown) and a reason of at most 255 characters.

    The contributions and the reason are made on first access: a person has a score per
    topic, and a recompute stores only the topics' values.
    """

    value: float
    lines: tuple[Contribution, ...] | Callable[[], list[Contribution]] = field(compare=False)
    as_of: datetime
    taxonomy: Taxonomy = field(repr=False, compare=False)
    topic: str | None = None
    follows: Mapping[Platform, bool] = field(default_factory=lambda: MappingProxyType({}))

    @cached_property
    def contributions(self) -> tuple[Contribution, ...]:
        return self.lines if isinstance(self.lines, tuple) else tuple(self.lines())

    @property
    def rounded(self) -> int:
        return round_score(self.value)

    @cached_property
    def reason(self) -> str:
        return explain(
            self.contributions, self.as_of, self.taxonomy, follows=self.follows, topic=self.topic
        )

    def breakdown(self, strongest: int | None = None) -> dict[str, Any]:
        """JSON-serialisable: total, points per rule, and every contributing line, or only
        the ``strongest`` lines (by points, marked ``trimmed``) when there are more."""
        by_rule: dict[str, float] = {}
        for c in self.contributions:
            by_rule[c.rule] = by_rule.get(c.rule, 0.0) + c.points
        lines = self.contributions
        trimmed = strongest is not None and len(lines) > strongest
        if trimmed:
            lines = tuple(sorted(lines, key=lambda c: -abs(round(c.points, 4)))[:strongest])
        out = {
            "score": round(self.value, 4),
            "rounded": self.rounded,
            "by_rule": {rule: round(pts, 4) for rule, pts in sorted(by_rule.items())},
            "contributions": [c.to_dict() for c in lines],
        }
        if trimmed:
            out["trimmed"] = True
        return out


@dataclass(frozen=True)
class PersonScore:
    """Everything scoring knows about one person as of a moment."""

    person_id: str
    as_of: datetime
    config_version: int
    config_fingerprint: str
    overall: Score
    topics: Mapping[str, Score]
    interests: InterestProfile
    follows: Mapping[Platform, bool] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def score(self) -> float:
        return self.overall.value

    @property
    def reason(self) -> str:
        return self.overall.reason

    def top_interests(self, n: int = 3) -> tuple[Interest, ...]:
        return self.interests.top_interests(n)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable record for the Score/Interest tables."""
        return {
            "person_id": self.person_id,
            "as_of": self.as_of.isoformat(),
            "config_version": self.config_version,
            "config_fingerprint": self.config_fingerprint,
            "score": round(self.overall.value, 4),
            "rounded": self.overall.rounded,
            "reason": self.overall.reason,
            "breakdown": self.overall.breakdown(),
            "topics": {
                name: {"score": round(s.value, 4), "reason": s.reason, "breakdown": s.breakdown()}
                for name, s in sorted(self.topics.items())
            },
            "interests": self.interests.to_dict(),
            "follows": {p.value: f for p, f in sorted(self.follows.items())},
        }


@dataclass(slots=True)
class _Line:
    """A touchpoint with what scoring derived from it, computed once per score_person."""

    tp: Touchpoint
    rule: str
    base: float
    decay: float
    topics: TouchpointTopics
    note: str = ""
    day: date = field(init=False)  # UTC day, for the daily caps

    def __post_init__(self) -> None:
        self.day = self.tp.occurred_at.astimezone(UTC).date()


class Scorer:
    """Scores people from their touchpoints with one config and one taxonomy (reusable)."""

    def __init__(self, config: ScoringConfig, taxonomy: Taxonomy) -> None:
        self.config = config
        self.taxonomy = taxonomy
        self.extractor = InterestExtractor(taxonomy, config.interests)
        self._fingerprint = config.fingerprint
        self._phrases: TermMatcher[int] = TermMatcher(
            {i: (p.text,) for i, p in enumerate(config.negative_phrases)}, plurals=False
        )

    @classmethod
    def default(cls) -> Scorer:
        return cls(ScoringConfig.default(), Taxonomy.default())

    def score_person(
        self,
        touchpoints: Iterable[Touchpoint],
        *,
        as_of: datetime,
        person_id: str = "",
        fields: Mapping[str, str | None] | None = None,
        bio: str = "",
    ) -> PersonScore:
        """Score one person's touchpoints (any order, duplicates allowed) as of ``as_of``.

        ``fields`` are the CRM fields fit rules look at (e.g. title, is_target_account);
        ``bio`` is the social profile's bio, used for interests.
        """
        if as_of.tzinfo is None:
            raise InputError("as_of must be timezone-aware; attach UTC")
        cfg = self.config
        tps = canonical(touchpoints, as_of=as_of)
        analysed = {tp.id: self.extractor.analyse(tp) for tp in tps}
        lines = [self._line(tp, analysed[tp.id], as_of) for tp in tps]

        overall = _capped(lines, cfg.daily_caps, topic=None)
        fit = self._fit(fields or {})
        value = max(0.0, sum(c.points for c in overall) + sum(c.points for c in fit))
        follows = MappingProxyType(_follow_state(tps))
        overall_score = Score(value, tuple(overall + fit), as_of, self.taxonomy, None, follows)

        by_topic: dict[str, list[_Line]] = {}
        for line in lines:
            if line.base > 0:  # negative signals say nothing about a topic
                for topic in line.topics.topics:
                    by_topic.setdefault(topic, []).append(line)
        topic_scores: dict[str, Score] = {}
        for topic in sorted(by_topic):
            lines_of = by_topic[topic]
            value = sum(
                counted * line.decay
                for line, counted in zip(lines_of, _counted(lines_of, cfg.daily_caps), strict=True)
            )
            topic_scores[topic] = Score(
                value,
                partial(_capped, lines_of, cfg.daily_caps, topic),
                as_of,
                self.taxonomy,
                topic,
            )

        return PersonScore(
            person_id=person_id,
            as_of=as_of,
            config_version=cfg.version,
            config_fingerprint=self._fingerprint,
            overall=overall_score,
            topics=MappingProxyType(topic_scores),
            interests=self.extractor.profile_of_canonical(tps, as_of, bio, analysed),
            follows=follows,
        )

    def score_many(
        self,
        touchpoints_by_person: Mapping[str, Iterable[Touchpoint]],
        *,
        as_of: datetime,
        fields_by_person: Mapping[str, Mapping[str, str | None]] | None = None,
        bios: Mapping[str, str] | None = None,
    ) -> Iterator[PersonScore]:
        """Score many people (the scheduler's daily recompute), in person-id order."""
        fields_by_person = fields_by_person or {}
        bios = bios or {}
        for person_id in sorted(touchpoints_by_person):
            yield self.score_person(
                touchpoints_by_person[person_id],
                as_of=as_of,
                person_id=person_id,
                fields=fields_by_person.get(person_id),
                bio=bios.get(person_id, ""),
            )

    # -- internals ----------------------------------------------------------------------

    def _line(self, tp: Touchpoint, topics: TouchpointTopics, as_of: datetime) -> _Line:
        cfg = self.config
        decay = decay_factor(age_days(tp.occurred_at, as_of), cfg.half_life_days)
        if tp.text and tp.kind in cfg.negative_phrase_kinds and cfg.negative_phrases:
            found = self._phrases.find(tp.text)
            if found:
                worst = min(found, key=lambda i: (cfg.negative_phrases[i].points, i))
                phrase = cfg.negative_phrases[worst]
                return _Line(tp, "negative_phrase", phrase.points, decay, topics, phrase.text)
        base = cfg.points_for(tp.kind)
        if tp.replied_to_us and base > 0:
            base += cfg.replied_to_us_bonus
        return _Line(
            tp, f"points.{tp.kind.value}", base * cfg.multiplier(tp.platform), decay, topics
        )

    def _fit(self, fields: Mapping[str, str | None]) -> list[Contribution]:
        out: list[Contribution] = []
        done: set[str] = set()
        for rule in self.config.fit:
            if rule.group in done or not rule.matches(fields.get(rule.field)):
                continue
            done.add(rule.group)  # first matching rule of a group wins: tiers, not a sum
            note = f"{rule.label} ({rule.field}: {fields.get(rule.field)})"
            out.append(
                Contribution(
                    f"fit.{rule.name}",
                    rule.points,
                    base=rule.points,
                    counted=rule.points,
                    note=note[:200],
                )
            )
        return out


def _counted(lines: list[_Line], caps: Mapping[Kind, float]) -> list[float]:
    """What each line counts under the daily caps (newest first), before decay."""
    used: dict[tuple[Kind, date], float] = {}
    counted_by_index: list[float] = [0.0] * len(lines)
    for index in range(len(lines) - 1, -1, -1):  # lines are in (time, id) order: newest last
        line = lines[index]
        cap = caps.get(line.tp.kind) if line.rule != "negative_phrase" else None
        if cap is None:
            counted_by_index[index] = line.base
            continue
        key = (line.tp.kind, line.day)
        room = cap - used.get(key, 0.0)
        amount = min(abs(line.base), max(room, 0.0))
        used[key] = used.get(key, 0.0) + amount
        counted_by_index[index] = amount if line.base >= 0 else -amount
    return counted_by_index


def _capped(
    lines: list[_Line], caps: Mapping[Kind, float], topic: str | None
) -> list[Contribution]:
    """Apply the daily caps, newest first, then decay; return contributions in (time, id) order."""
    out = []
    for line, counted in zip(lines, _counted(lines, caps), strict=True):
        tp = line.tp
        topics = (topic,) if topic is not None else line.topics.sorted_topics
        out.append(
            Contribution(
                line.rule,
                counted * line.decay,
                tp.id,
                tp.kind,
                tp.platform,
                tp.occurred_at,
                line.base,
                counted,
                line.decay,
                topics,
                line.note,
            )
        )
    return out


def _follow_state(tps: list[Touchpoint]) -> dict[Platform, bool]:
    """Per platform, whether the latest follow/unfollow (as of the score) was a follow."""
    state: dict[Platform, bool] = {}
    for tp in tps:  # (time, id) order: the last event wins
        if tp.kind is Kind.FOLLOW:
            state[tp.platform] = True
        elif tp.kind is Kind.UNFOLLOW:
            state[tp.platform] = False
    return state
