"""The touchpoints of a CRM record: what its linked social profiles did, as stored.

Scoring, the sync payload, the activity ledger and the CRM card all read a person's history
through here, so "which touchpoints count" (active links only, the company's own posts left
out) is decided in one place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from enrich.models import IdentityLink, LinkStatus, Touchpoint
from enrich.scoring import Kind, Platform
from enrich.scoring import Touchpoint as ScoringTouchpoint

IN_CHUNK = 500  # record ids per IN (...) list


def touchpoints_of(session: Session, record_id: int) -> list[Touchpoint]:
    """The record's touchpoints, oldest first, through its active links."""
    return touchpoints_of_many(session, [record_id]).get(record_id, [])


def touchpoints_of_many(session: Session, record_ids: Iterable[int]) -> dict[int, list[Touchpoint]]:
    """`touchpoints_of` for many records in one query: record id -> its touchpoints, oldest
    first (records with none are left out)."""
    out: dict[int, list[Touchpoint]] = defaultdict(list)
    ids = sorted(set(record_ids))
    for start in range(0, len(ids), IN_CHUNK):
        for record_id, tp in session.exec(
            _linked(ids[start : start + IN_CHUNK]).order_by(
                col(IdentityLink.record_id), col(Touchpoint.occurred_at), col(Touchpoint.id)
            )
        ):
            out[record_id].append(tp)
    return out


def last_touchpoints(session: Session, record_ids: Iterable[int]) -> dict[int, Touchpoint]:
    """Each record's latest touchpoint (`touchpoints_of(...)[-1]`), without reading the others."""
    out: dict[int, Touchpoint] = {}
    ids = sorted(set(record_ids))
    for start in range(0, len(ids), IN_CHUNK):
        ranked = (
            _linked(ids[start : start + IN_CHUNK])
            .with_only_columns(
                col(IdentityLink.record_id).label("record_id"),
                col(Touchpoint.id).label("touchpoint_id"),
                func.row_number()
                .over(
                    partition_by=col(IdentityLink.record_id),
                    order_by=(col(Touchpoint.occurred_at).desc(), col(Touchpoint.id).desc()),
                )
                .label("rank"),
                maintain_column_froms=True,
            )
            .subquery()
        )
        for record_id, tp in session.exec(
            select(ranked.c.record_id, Touchpoint)
            .join(ranked, ranked.c.touchpoint_id == Touchpoint.id)
            .where(ranked.c.rank == 1)
        ):
            out[record_id] = tp
    return out


def _linked(record_ids: list[int]) -> Any:
    """(record id, touchpoint) of these records through their active links."""
    return (
        select(IdentityLink.record_id, Touchpoint)
        .join(Touchpoint, col(Touchpoint.profile_id) == IdentityLink.profile_id)
        .where(
            col(IdentityLink.record_id).in_(record_ids),
            col(IdentityLink.status).in_(LinkStatus.ACTIVE),
            Touchpoint.is_own == False,  # noqa: E712
        )
    )


def to_scoring(tp: Touchpoint) -> ScoringTouchpoint:
    """A stored touchpoint as the pure scorer takes it."""
    return ScoringTouchpoint(
        id=str(tp.id),
        kind=Kind.parse(tp.kind),
        platform=Platform.parse(tp.platform),
        occurred_at=tp.occurred_at,
        text=tp.text or "",
        post_text=tp.post_text or "",
    )
