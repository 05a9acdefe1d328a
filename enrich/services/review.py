"""The review queue as the console and API see it: pending profile ↔ record links grouped per
profile, and decisions on them; the undo of links already in effect; the audit trail.

The decisions themselves are `decisions.py`'s (sticky, audited, and in the same transaction the
affected records are rescored and queued for the CRM); this module adds what a web caller needs:
one transaction per request, 404 for unknown ids, and 409 when someone decided first.

Queue decisions (`confirm`, `reject`, `relink`) apply to pending links only, so two reviewers
cannot both decide one proposal. The undo (`unlink`, `move`) applies to links in effect (auto or
confirmed) only, so an undo cannot silently overturn an undo someone else made first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from enrich.db import session_scope
from enrich.models import (
    AuditLog,
    CrmRecord,
    IdentityLink,
    LinkStatus,
    Score,
    SocialProfile,
    Touchpoint,
)
from enrich.services import decisions
from enrich.services.errors import Conflict, Invalid, NotFound
from enrich.services.people import link_dict, profile_dict, record_summary


def queue(
    engine: Engine, *, limit: int = 20, after: int = 0, platform: str | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """Pending links grouped per profile (oldest first): each item is one profile with its
    candidate records, best score first. The cursor is the last profile id returned."""
    with Session(engine) as session:
        stmt = select(IdentityLink.profile_id).where(
            IdentityLink.status == LinkStatus.PENDING, col(IdentityLink.profile_id) > after
        )
        if platform:
            stmt = stmt.join(SocialProfile, col(SocialProfile.id) == IdentityLink.profile_id).where(
                SocialProfile.platform == platform
            )
        profile_ids = list(
            session.exec(stmt.distinct().order_by(col(IdentityLink.profile_id)).limit(limit + 1))
        )
        more = len(profile_ids) > limit
        profile_ids = profile_ids[:limit]
        items = [_item(session, pid) for pid in profile_ids]
    return [i for i in items if i], (profile_ids[-1] if more and profile_ids else None)


def did(engine: Engine, profile_id: int, limit: int = 8) -> list[dict[str, Any]]:
    """What the profile did, newest first: the reviewer's best clue to who it is."""
    with Session(engine) as session:
        rows = session.exec(
            select(Touchpoint)
            .where(Touchpoint.profile_id == profile_id)
            .order_by(col(Touchpoint.occurred_at).desc())
            .limit(limit)
        )
        return [
            {
                "kind": t.kind,
                "platform": t.platform,
                "text": t.text,
                "post_text": (t.post_text or "")[:120] or None,
                "occurred_at": t.occurred_at.isoformat(),
            }
            for t in rows
        ]


def pending_count(engine: Engine) -> int:
    with Session(engine) as session:
        return len(
            list(
                session.exec(
                    select(IdentityLink.profile_id)
                    .where(IdentityLink.status == LinkStatus.PENDING)
                    .distinct()
                )
            )
        )


def neighbours(engine: Engine, profile_id: int) -> tuple[int | None, int | None]:
    """The pending profiles just before and after this one (for j / k in the console)."""
    pending = select(IdentityLink.profile_id).where(IdentityLink.status == LinkStatus.PENDING)
    with Session(engine) as session:
        before = session.exec(
            pending.where(col(IdentityLink.profile_id) < profile_id)
            .order_by(col(IdentityLink.profile_id).desc())
            .limit(1)
        ).first()
        after = session.exec(
            pending.where(col(IdentityLink.profile_id) > profile_id)
            .order_by(col(IdentityLink.profile_id))
            .limit(1)
        ).first()
    return before, after


def item(engine: Engine, profile_id: int) -> dict[str, Any] | None:
    with Session(engine) as session:
        return _item(session, profile_id)


def _item(session: Session, profile_id: int) -> dict[str, Any] | None:
    profile = session.get(SocialProfile, profile_id)
    if profile is None:
        return None
    links = list(
        session.exec(
            select(IdentityLink)
            .where(IdentityLink.profile_id == profile_id)
            .order_by(col(IdentityLink.score).desc())
        )
    )
    records = {
        r.id: r
        for r in session.exec(
            select(CrmRecord).where(col(CrmRecord.id).in_([link.record_id for link in links]))
        )
    }
    scores = {
        s.record_id: s
        for s in session.exec(select(Score).where(col(Score.record_id).in_(list(records))))
    }
    return {
        "profile": profile_dict(profile),
        "candidates": [
            {
                **link_dict(link),
                "record": record_summary(records[link.record_id], scores.get(link.record_id)),
                "hints": hints(link.explanation or []),
            }
            for link in links
            if link.record_id in records and link.status in (LinkStatus.PENDING, *LinkStatus.ACTIVE)
        ],
    }


# Name levels that say "the same person's name" (not "same family name only").
_NAME_AGREES = frozenset({"exact", "nickname", "initial", "fuzzy"})


def hints(explanation: list[dict[str, Any]]) -> list[dict[str, str]]:
    """What a reviewer should know beyond the weights, read from the comparisons of the
    default rules ("name", "company", "title", "location"): `job_change` when the name and
    the title or city agree but the profile names another employer. It is why such a pair is
    in review rather than linked (the other employer weighs against a namesake), and if it is
    the person, the CRM's company is out of date: a reason to reach out, not only to fix it."""
    level = {e.get("comparison"): e.get("level") for e in explanation}
    agree = [
        what
        for what, yes in (
            ("title", level.get("title") == "exact"),
            ("city", level.get("location") == "city"),
        )
        if yes
    ]
    if level.get("company") == "different" and level.get("name") in _NAME_AGREES and agree:
        *most, last = ["the name"] + [f"the {what}" for what in agree]
        return [
            {
                "code": "job_change",
                "message": f"Possible job change: {', '.join(most)} and {last} agree, but the "
                "profile names another employer than the CRM. If you confirm, the "
                "CRM's company is out of date.",
            }
        ]
    return []


def _in(session: Session, link_id: int, statuses: tuple[str, ...], what: str) -> IdentityLink:
    link = session.get(IdentityLink, link_id)
    if link is None:
        raise NotFound(f"no link {link_id}")
    if link.status not in statuses:
        raise Conflict(
            f"link {link_id} is no longer {what}: {link.decided_by} set it to "
            f"{link.status} at {link.decided_at:%Y-%m-%d %H:%M} UTC; reload to see it"
        )
    return link


def _pending(session: Session, link_id: int) -> IdentityLink:
    return _in(session, link_id, (LinkStatus.PENDING,), "pending")


def _active(session: Session, link_id: int, on_record: int | None) -> IdentityLink:
    link = _in(session, link_id, LinkStatus.ACTIVE, "in effect (auto or confirmed)")
    if on_record is not None and link.record_id != on_record:
        raise NotFound(f"link {link_id} is not on record {on_record}")  # a stale or forged page
    return link


def _person_record(session: Session, record_id: int) -> CrmRecord:
    record = session.get(CrmRecord, record_id)
    if record is None or record.deleted or record.object_type not in ("contact", "lead"):
        raise NotFound(f"no contact or lead {record_id} in the CRM mirror")
    return record


def confirm(engine: Engine, link_id: int, actor: str) -> dict[str, Any]:
    """This record is the person: confirm it; the profile's other candidates are rejected."""
    with session_scope(engine) as session:
        _pending(session, link_id)
        return link_dict(decisions.confirm(session, link_id, actor))


def reject(engine: Engine, link_id: int, actor: str) -> dict[str, Any]:
    """This record is not the person."""
    with session_scope(engine) as session:
        _pending(session, link_id)
        return link_dict(decisions.reject(session, link_id, actor))


def relink(engine: Engine, link_id: int, record_id: int, actor: str) -> dict[str, Any]:
    """Another record (found by search) is the person: link it, reject the candidates."""
    with session_scope(engine) as session:
        link = _pending(session, link_id)
        _person_record(session, record_id)
        chosen = decisions.relink(session, link.profile_id, record_id, actor)
        _explain(chosen, f"chosen in the review queue by {actor}")
        return link_dict(chosen)


def unlink(
    engine: Engine, link_id: int, actor: str, *, on_record: int | None = None
) -> dict[str, Any]:
    """Undo a link in effect: the record is not this person. The link becomes rejected (never
    proposed again), the record is rescored and what enrich wrote on it is retracted."""
    with session_scope(engine) as session:
        _active(session, link_id, on_record)
        return link_dict(decisions.reject(session, link_id, actor))


def move(
    engine: Engine, link_id: int, record_id: int, actor: str, *, on_record: int | None = None
) -> dict[str, Any]:
    """Undo a link in effect by naming the right record: the profile's history is retracted from
    the wrong record and written on `record_id`."""
    with session_scope(engine) as session:
        link = _active(session, link_id, on_record)
        if record_id == link.record_id:
            raise Invalid(
                f"link {link_id} already points at record {record_id}; "
                "name the record the profile should move to"
            )
        _person_record(session, record_id)
        chosen = decisions.relink(session, link.profile_id, record_id, actor)
        _explain(chosen, f"moved here from record {link.record_id} by {actor}")
        return link_dict(chosen)


def _explain(link: IdentityLink, why: str) -> None:
    if not link.explanation:
        link.explanation = [
            {"comparison": "reviewer", "level": "chosen", "weight": 0.0, "explanation": why}
        ]


def audit_dict(row: AuditLog) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at.isoformat(),
        "actor": row.actor,
        "action": row.action,
        "target": row.target,
        "detail": row.detail or {},
    }


def audit(
    engine: Engine,
    *,
    limit: int = 50,
    before: int | None = None,
    action: str | None = None,
    profile_id: int | None = None,
    record_id: int | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """The audit log, newest first; the cursor is the last id returned. `action` is a prefix
    (``link_`` for every link decision); `profile_id` / `record_id` keep the decisions on that
    profile's / record's links (each decision is logged against every link it changed)."""
    stmt = select(AuditLog)
    if before is not None:
        stmt = stmt.where(col(AuditLog.id) < before)
    if action:
        stmt = stmt.where(col(AuditLog.action).startswith(action, autoescape=True))
    with Session(engine) as session:
        if profile_id is not None or record_id is not None:
            links = select(IdentityLink.id)
            if profile_id is not None:
                links = links.where(IdentityLink.profile_id == profile_id)
            if record_id is not None:
                links = links.where(IdentityLink.record_id == record_id)
            targets = [f"link:{i}" for i in session.exec(links)]
            stmt = stmt.where(col(AuditLog.target).in_(targets))
        rows = list(session.exec(stmt.order_by(col(AuditLog.id).desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return [audit_dict(r) for r in rows], (rows[-1].id if more and rows else None)
