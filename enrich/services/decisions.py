"""Human decisions on identity links (the review queue and its undo): confirm, reject, relink.

A decision is sticky (the matcher never overwrites it), audited, and takes effect in the CRM:
affected records are rescored and re-synced, which moves timeline entries off a wrong record
and onto the right one.

Every link a decision changes gets its own `AuditLog` row (target `link:<id>`), so the history of
any record can be read from the rows of its links:

- ``link_confirmed``: a person said this profile is this record;
- ``link_relinked``: a person said this profile is this *other* record (detail
  ``from_record_ids`` → ``to_record_id``);
- ``link_rejected``: a pending proposal was turned down;
- ``link_unlinked``: a link that was in effect (auto or confirmed) was undone.

A link rejected as a consequence of another decision carries ``because: "link:<id>"``.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from enrich.errors import InputError
from enrich.models import AuditLog, CrmRecord, IdentityLink, LinkStatus, SocialProfile, utcnow
from enrich.scoring.rescore import rescore
from enrich.sync.outbox import request_sync


def _after(session: Session, record_ids: set[int]) -> None:
    rescore(session, record_ids)
    for record_id in sorted(record_ids):
        request_sync(session, record_id)


def _decide(link: IdentityLink, status: str, actor: str) -> None:
    link.status, link.decided_by, link.decided_at = status, actor, utcnow()


def _audit(session: Session, actor: str, action: str, link: IdentityLink, **detail: Any) -> None:
    session.add(
        AuditLog(
            actor=actor,
            action=action,
            target=f"link:{link.id}",
            detail={"profile_id": link.profile_id, "record_id": link.record_id, **detail},
        )
    )


def _reject(session: Session, link: IdentityLink, actor: str, because: str | None = None) -> None:
    was = link.status
    _decide(link, LinkStatus.REJECTED, actor)
    extra = {"because": because} if because else {}
    _audit(
        session,
        actor,
        "link_unlinked" if was in LinkStatus.ACTIVE else "link_rejected",
        link,
        was=was,
        **extra,
    )


def _confirm(
    session: Session, link: IdentityLink, actor: str, action: str, **detail: Any
) -> IdentityLink:
    touched = {link.record_id}
    was = link.status
    for other in session.exec(
        select(IdentityLink).where(
            IdentityLink.profile_id == link.profile_id, IdentityLink.id != link.id
        )
    ):
        if other.status != LinkStatus.REJECTED:
            _reject(session, other, actor, because=f"link:{link.id}")
            touched.add(other.record_id)
    _decide(link, LinkStatus.CONFIRMED, actor)
    _audit(session, actor, action, link, was=was, **detail)
    _after(session, touched)
    return link


def confirm(session: Session, link_id: int, actor: str) -> IdentityLink:
    """This profile is this person; any other link of the profile is rejected."""
    return _confirm(session, _get(session, link_id), actor, "link_confirmed")


def reject(session: Session, link_id: int, actor: str) -> IdentityLink:
    """This profile is not this person; never propose the pair again. On a link in effect
    (auto or confirmed) this is the undo: the record is rescored and its CRM entries retracted."""
    link = _get(session, link_id)
    _reject(session, link, actor)
    _after(session, {link.record_id})
    return link


def relink(session: Session, profile_id: int, record_id: int, actor: str) -> IdentityLink:
    """This profile is that other person: confirm the pair, reject every other."""
    if session.get(SocialProfile, profile_id) is None:
        raise InputError(f"no social profile {profile_id}")
    record = session.get(CrmRecord, record_id)
    if record is None or record.deleted or record.object_type not in ("contact", "lead"):
        raise InputError(f"no CRM contact or lead {record_id} in the mirror")
    links = list(session.exec(select(IdentityLink).where(IdentityLink.profile_id == profile_id)))
    link = next((x for x in links if x.record_id == record_id), None)
    if link is None:
        link = IdentityLink(
            profile_id=profile_id,
            record_id=record_id,
            status=LinkStatus.PENDING,
            explanation=[],
            decided_by=actor,
        )
        session.add(link)
        session.flush()
    moved_from = sorted(
        x.record_id for x in links if x.record_id != record_id and x.status != LinkStatus.REJECTED
    )
    return _confirm(
        session, link, actor, "link_relinked", from_record_ids=moved_from, to_record_id=record_id
    )


def _get(session: Session, link_id: int) -> IdentityLink:
    link = session.get(IdentityLink, link_id)
    if link is None:
        raise InputError(f"no identity link {link_id}")
    return link
