"""Human decisions on identity links (the review queue): confirm, reject, relink.

A decision is sticky (the matcher never overwrites it), audited, and takes effect in the CRM:
affected records are rescored and re-synced, which moves timeline entries off a wrong record
and onto the right one.
"""

from __future__ import annotations

from sqlmodel import Session, select

from enrich.errors import InputError
from enrich.models import AuditLog, CrmRecord, IdentityLink, LinkStatus, SocialProfile, utcnow
from enrich.pipeline import request_sync
from enrich.scores import rescore


def _after(session: Session, record_ids: set[int]) -> None:
    rescore(session, record_ids)
    for record_id in sorted(record_ids):
        request_sync(session, record_id)


def _decide(link: IdentityLink, status: str, actor: str) -> None:
    link.status, link.decided_by, link.decided_at = status, actor, utcnow()


def confirm(session: Session, link_id: int, actor: str) -> IdentityLink:
    """This profile is this person; any other link of the profile is rejected."""
    link = _get(session, link_id)
    touched = {link.record_id}
    for other in session.exec(select(IdentityLink).where(
            IdentityLink.profile_id == link.profile_id, IdentityLink.id != link.id)):
        if other.status != LinkStatus.REJECTED:
            _decide(other, LinkStatus.REJECTED, actor)
            touched.add(other.record_id)
    _decide(link, LinkStatus.CONFIRMED, actor)
    session.add(AuditLog(actor=actor, action="link_confirmed", target=f"link:{link.id}",
                         detail={"profile_id": link.profile_id, "record_id": link.record_id}))
    _after(session, touched)
    return link


def reject(session: Session, link_id: int, actor: str) -> IdentityLink:
    """This profile is not this person; never propose the pair again."""
    link = _get(session, link_id)
    _decide(link, LinkStatus.REJECTED, actor)
    session.add(AuditLog(actor=actor, action="link_rejected", target=f"link:{link.id}",
                         detail={"profile_id": link.profile_id, "record_id": link.record_id}))
    _after(session, {link.record_id})
    return link


def relink(session: Session, profile_id: int, record_id: int, actor: str) -> IdentityLink:
    """This profile is that other person: confirm the pair, reject every other."""
    if session.get(SocialProfile, profile_id) is None:
        raise InputError(f"no social profile {profile_id}")
    record = session.get(CrmRecord, record_id)
    if record is None or record.deleted or record.object_type not in ("contact", "lead"):
        raise InputError(f"no CRM contact or lead {record_id} in the mirror")
    link = session.exec(select(IdentityLink).where(
        IdentityLink.profile_id == profile_id, IdentityLink.record_id == record_id)).first()
    if link is None:
        link = IdentityLink(profile_id=profile_id, record_id=record_id, status=LinkStatus.PENDING,
                            explanation=[], decided_by=actor)
        session.add(link)
        session.flush()
    return confirm(session, link.id, actor)  # type: ignore[arg-type]


def _get(session: Session, link_id: int) -> IdentityLink:
    link = session.get(IdentityLink, link_id)
    if link is None:
        raise InputError(f"no identity link {link_id}")
    return link
