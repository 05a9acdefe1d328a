"""The touchpoints of a CRM record: what its linked social profiles did, as stored.

Scoring, the sync payload, the activity ledger and the CRM card all read a person's history
through here, so "which touchpoints count" (active links only, the company's own posts left
out) is decided in one place.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from enrich.models import IdentityLink, LinkStatus, Touchpoint
from enrich.scoring import Kind, Platform
from enrich.scoring import Touchpoint as ScoringTouchpoint


def touchpoints_of(session: Session, record_id: int) -> list[Touchpoint]:
    """The record's touchpoints, oldest first, through its active links."""
    profile_ids = select(IdentityLink.profile_id).where(
        IdentityLink.record_id == record_id, col(IdentityLink.status).in_(LinkStatus.ACTIVE)
    )
    stmt = select(Touchpoint).where(
        col(Touchpoint.profile_id).in_(profile_ids),
        Touchpoint.is_own == False,  # noqa: E712
    )
    return list(session.exec(stmt.order_by(col(Touchpoint.occurred_at), col(Touchpoint.id))))


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
