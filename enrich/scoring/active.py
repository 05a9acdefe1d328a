"""The active scorer: the scoring config and topic taxonomy RevOps last activated, as one
`Scorer` per process, rebuilt when either active rule set changes.

This and `rescore.py` are the scoring package's database side; every other module in it is
pure.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlmodel import Session, col, select

from enrich.models import RuleSet
from enrich.scoring.config import ScoringConfig
from enrich.scoring.score import Scorer
from enrich.scoring.taxonomy import Taxonomy


class _ScorerCache:
    """One Scorer per process, rebuilt when the active scoring or topic rules change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._scorer: Scorer | None = None

    def get(self, session: Session) -> Scorer:
        active = dict(
            session.exec(
                select(RuleSet.kind, RuleSet.id).where(
                    col(RuleSet.kind).in_(("scoring", "topics")),
                    RuleSet.active == True,  # noqa: E712
                )
            ).all()
        )
        key = tuple((k, active.get(k)) for k in ("scoring", "topics"))
        with self._lock:
            if self._scorer is None or key != self._key:
                rows = {
                    k: row
                    for k, rid in active.items()
                    if (row := session.get(RuleSet, rid)) is not None
                }
                config = (
                    ScoringConfig.from_yaml(
                        rows["scoring"].body, f"scoring {rows['scoring'].version}"
                    )
                    if "scoring" in rows
                    else ScoringConfig.default()
                )
                taxonomy = (
                    Taxonomy.from_yaml(rows["topics"].body, f"topics {rows['topics'].version}")
                    if "topics" in rows
                    else Taxonomy.default()
                )
                self._scorer, self._key = Scorer(config, taxonomy), key
            return self._scorer


scorer_cache = _ScorerCache()
