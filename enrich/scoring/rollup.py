"""Account roll-up: how warm an account is, from the scores of its people.

Formula (parameters in :class:`~enrich.scoring.config.RollupConfig`)::

    engaged  = people with score >= engaged_min_score, by score descending (ties: person id)
    account  = sum_{r < top_k} engaged[r].score * weight_decay ** r
             + breadth_bonus * min(len(engaged) - 1, breadth_cap)

The top person counts fully, the next ones less and less (one champion is good; a buying
committee is better, but five lukewarm people are not five champions), and a capped bonus
rewards several distinct people engaging. Adding an engaged person or raising a person's
score never lowers the account score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from enrich.scoring.reason import MAX_REASON
from enrich.scoring.score import round_score
from enrich.scoring.sections import RollupConfig


@dataclass(frozen=True, slots=True)
class EngagedPerson:
    """A person of the account who counts as engaged, with their score and roll-up weight."""

    person_id: str
    score: float
    weight: float  # weight_decay ** rank within top_k, 0 beyond it

    def to_dict(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "score": round(self.score, 4), "weight": self.weight}


@dataclass(frozen=True, slots=True)
class AccountScore:
    """An account's score, its engaged people (strongest first), breakdown and reason."""

    account_id: str
    score: float
    people: tuple[EngagedPerson, ...]
    top_people_points: float
    breadth_points: float
    reason: str

    @property
    def rounded(self) -> int:
        return round_score(self.score)

    def breakdown(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "rounded": self.rounded,
            "top_people_points": round(self.top_people_points, 4),
            "breadth_points": round(self.breadth_points, 4),
            "people": [p.to_dict() for p in self.people],
        }


def rollup_account(
    account_id: str, person_scores: Mapping[str, float], config: RollupConfig | None = None
) -> AccountScore:
    """Roll ``person_scores`` (person id -> overall score) up to one account score."""
    cfg = config or RollupConfig()
    engaged = sorted(
        ((pid, s) for pid, s in person_scores.items() if s >= cfg.engaged_min_score and s > 0),
        key=lambda item: (-item[1], item[0]),
    )
    people = tuple(
        EngagedPerson(pid, s, cfg.weight_decay**rank if rank < cfg.top_k else 0.0)
        for rank, (pid, s) in enumerate(engaged)
    )
    top = sum(p.score * p.weight for p in people)
    breadth = cfg.breadth_bonus * min(max(len(people) - 1, 0), cfg.breadth_cap)
    return AccountScore(account_id, top + breadth, people, top, breadth, _reason(people))


def _reason(people: tuple[EngagedPerson, ...]) -> str:
    if not people:
        return "no engaged people"
    noun = "person" if len(people) == 1 else "people"
    scores = ", ".join(str(round_score(p.score)) for p in people[:5])
    text = f"{len(people)} engaged {noun} (top scores {scores})"
    return text[:MAX_REASON]
