"""Links social profiles to CRM records in the mirror, storing each decision as an IdentityLink.

Humans win: a pair a person confirmed or rejected is never changed here, and a profile a person
has confirmed a link for is not re-matched at all.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from enrich.models import CrmRecord, IdentityLink, LinkStatus, SocialProfile, utcnow

EXACT_EMAIL_RULE = "exact-email/1"


def person_records_by_email(session: Session, email: str) -> list[CrmRecord]:
    stmt = select(CrmRecord).where(
        CrmRecord.email == email.lower(),
        col(CrmRecord.object_type).in_(("contact", "lead")),
        CrmRecord.deleted == False,  # noqa: E712  (SQL comparison)
    )
    return list(session.exec(stmt))


def link_profile(session: Session, profile: SocialProfile) -> list[IdentityLink]:
    """(Re)decide the links of one profile; returns its active links afterwards."""
    existing = {
        link.record_id: link
        for link in session.exec(select(IdentityLink).where(IdentityLink.profile_id == profile.id))
    }
    if any(link.status == LinkStatus.CONFIRMED for link in existing.values()):
        return [link for link in existing.values() if link.status in LinkStatus.ACTIVE]

    candidates = person_records_by_email(session, profile.email) if profile.email else []
    # Contacts before leads: a lead that was converted keeps the same email.
    candidates.sort(key=lambda r: (r.object_type != "contact", r.id))
    if candidates:
        record = candidates[0]
        link = existing.get(record.id)  # type: ignore[arg-type]
        if link is None:
            link = IdentityLink(profile_id=profile.id, record_id=record.id, status=LinkStatus.AUTO)  # type: ignore[arg-type]
            session.add(link)
            existing[record.id] = link  # type: ignore[index]
        if link.status not in LinkStatus.HUMAN:
            link.status = LinkStatus.AUTO
            link.score = 1.0
            link.rule_version = EXACT_EMAIL_RULE
            link.explanation = [
                {"comparison": "email", "level": "exact", "weight": 1.0,
                 "explanation": f"email {profile.email} equals the {record.object_type}'s email"}
            ]
            link.decided_by = "matcher"
            link.decided_at = utcnow()
    profile.match_requested_at = None
    session.flush()
    return [link for link in existing.values() if link.status in LinkStatus.ACTIVE]
