"""Interests, interaction history and lead scoring: the pure core (no database, no I/O).

    Touchpoint ──▶ Taxonomy.match ──▶ InterestExtractor ──▶ InterestProfile (top_interests)
          └──────▶ Scorer.score_person(as_of) ──▶ PersonScore (overall + per topic, breakdown,
                                                  reason) ──▶ rollup_account / decide_handoff

RevOps edits two YAML files: the topic taxonomy (:mod:`.taxonomy`) and the scoring config
(:mod:`.config`); both ship defaults next to this file.
"""

from enrich.scoring.config import ScoringConfig
from enrich.scoring.handoff import HandoffDecision, HandoffState, decide_handoff
from enrich.scoring.interests import (
    Evidence,
    Interest,
    InterestExtractor,
    InterestProfile,
    TouchpointTopics,
)
from enrich.scoring.rollup import AccountScore, EngagedPerson, rollup_account
from enrich.scoring.score import (
    Contribution,
    PersonScore,
    Score,
    Scorer,
    round_score,
    score_changed,
)
from enrich.scoring.sections import (
    FitRule,
    HandoffConfig,
    InterestConfig,
    NegativePhrase,
    RollupConfig,
)
from enrich.scoring.taxonomy import Taxonomy, Topic, TopicHits
from enrich.scoring.touchpoint import Kind, Platform, Touchpoint, canonical

__all__ = [
    "AccountScore",
    "Contribution",
    "EngagedPerson",
    "Evidence",
    "FitRule",
    "HandoffConfig",
    "HandoffDecision",
    "HandoffState",
    "Interest",
    "InterestConfig",
    "InterestExtractor",
    "InterestProfile",
    "Kind",
    "NegativePhrase",
    "PersonScore",
    "Platform",
    "RollupConfig",
    "Score",
    "Scorer",
    "ScoringConfig",
    "Taxonomy",
    "Topic",
    "TopicHits",
    "Touchpoint",
    "TouchpointTopics",
    "canonical",
    "decide_handoff",
    "rollup_account",
    "round_score",
    "score_changed",
]
