"""Privacy actions for the console and API: export or erase one person, via `enrich.privacy`.

The erase needs a typed confirmation: the person's email (or `erase <record id>` when the
record has none), so a slip of the mouse cannot erase anyone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from enrich.config import Settings
from enrich.errors import CRMError, InputError
from enrich.models import CrmRecord, SocialProfile
from enrich.privacy import erase_person, export_person
from enrich.services.errors import Invalid, NotFound, is_id
from enrich.sync.connect import make_adapter


class CrmUnreachable(InputError):
    """The CRM could not be told to forget the person; nothing was erased locally (502)."""


def target(engine: Engine, record_id: object, profile_ids: object) -> tuple[int | None, list[int]]:
    """Check the person named exists: a CRM record id and/or social profile ids."""
    if record_id is not None and not is_id(record_id):
        raise InputError("record_id must be a positive integer or null")
    if profile_ids is None:
        profile_ids = []
    if (
        not isinstance(profile_ids, list)
        or len(profile_ids) > 100
        or not all(is_id(p) for p in profile_ids)
    ):
        raise InputError("profile_ids must be a list of up to 100 positive integers")
    if record_id is None and not profile_ids:
        raise InputError("name the person: give record_id, profile_ids, or both")
    with Session(engine) as session:
        if record_id is not None and session.get(CrmRecord, record_id) is None:
            raise NotFound(f"no CRM record {record_id}")
        known = set(
            session.exec(select(SocialProfile.id).where(col(SocialProfile.id).in_(profile_ids)))
        )
    missing = sorted(set(profile_ids) - known)
    if missing:
        raise NotFound(f"no social profile {missing[0]}")
    return (record_id if isinstance(record_id, int) else None), list(profile_ids)


def confirmation_phrase(engine: Engine, record_id: int | None, profile_ids: list[int]) -> str:
    with Session(engine) as session:
        if record_id is not None:
            record = session.get(CrmRecord, record_id)
            if record is not None and record.email:
                return record.email
            return f"erase {record_id}"
        profile = session.get(SocialProfile, profile_ids[0])
        if profile is not None and profile.email:
            return profile.email
    return f"erase profile {profile_ids[0]}"


def export(engine: Engine, record_id: object, profile_ids: object) -> dict[str, Any]:
    rid, pids = target(engine, record_id, profile_ids)
    return export_person(engine, record_id=rid, profile_ids=pids)


def erase(
    engine: Engine,
    settings: Settings,
    record_id: object,
    profile_ids: object,
    confirm: object,
    actor: str,
) -> dict[str, Any]:
    rid, pids = target(engine, record_id, profile_ids)
    phrase = confirmation_phrase(engine, rid, pids)
    if not isinstance(confirm, str) or confirm.strip().lower() != phrase.lower():
        raise Invalid(f"to erase, type the confirmation exactly: {phrase}")
    adapter = None
    if settings.crm != "none":
        adapter = make_adapter(settings)
    try:
        counts = erase_person(engine, record_id=rid, profile_ids=pids, actor=actor, adapter=adapter)
    except CRMError as exc:
        raise CrmUnreachable(
            f"the CRM could not retract enrich's data ({exc}); nothing was "
            "erased, try again when the CRM answers"
        ) from exc
    return dict(counts)
