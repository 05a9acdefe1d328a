"""The CRM mirror: pull accounts, contacts and leads into `CrmRecord`, incrementally.

A pull commits every page and moves its cursor with it, so a pull interrupted at 60 % resumes
from there instead of restarting. Nothing is matched against the CRM's API one request at a time.

Deletions come with the changes where the CRM's change feed carries them (Salesforce
`queryAll`, `IsDeleted`). Where it does not (HubSpot search leaves archived records out), the
adapter lists deleted records separately (`pull_deleted`); that listing cannot be filtered by
date, so it runs on full pulls and at most every `adapter.deletions_every_s` otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import timedelta
from typing import cast

from sqlalchemy import Engine, String, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from enrich.db import session_scope
from enrich.errors import CRMAuthError
from enrich.linking import matched_fields, profiles_sharing_keys
from enrich.models import (
    ActivityWrite,
    CrmCursor,
    CrmRecord,
    IdentityLink,
    SocialProfile,
    id_of,
    table_of,
    utcnow,
)
from enrich.runtime import current
from enrich.services import attribution
from enrich.sync import alerts, budget
from enrich.sync.adapter import CrmAdapter, MirrorRow
from enrich.sync.connect import make_adapter

log = logging.getLogger("enrich.sync.mirror")
# Accounts first, so contacts get company names; opportunities for the console's pipeline view.
OBJECT_ORDER = ("account", "contact", "lead", "opportunity")
PAGE = 500
FULL_EVERY_S = 6 * 3600.0  # attribution of every opportunity, at most this often
# The attribution passes' own cursors, beside the objects' (crm_cursor.object_type: 20 chars).
ATTRIBUTION_CURSOR, ATTRIBUTION_FULL_CURSOR = "attribution", "attribution-full"
CURSOR_NAME_MAX = cast(String, table_of(CrmCursor).c.object_type.type).length or 0


def _cursor(session: Session, crm: str, object_type: str) -> CrmCursor:
    if len(object_type) > CURSOR_NAME_MAX:  # SQLite would store it; PostgreSQL refuses it
        raise ValueError(f"cursor name {object_type!r} is longer than {CURSOR_NAME_MAX}")
    cursor = session.exec(
        select(CrmCursor).where(CrmCursor.crm == crm, CrmCursor.object_type == object_type)
    ).first()
    if cursor is None:
        try:
            with session.begin_nested():  # two pulls may start at once (CLI and scheduler)
                cursor = CrmCursor(crm=crm, object_type=object_type)
                session.add(cursor)
        except IntegrityError:
            return _cursor(session, crm, object_type)
    return cursor


def _upsert(session: Session, crm: str, rows: list[MirrorRow]) -> list[int]:
    """Store a page of rows; returns ids of records whose matching fields changed."""
    existing = {
        (r.object_type, r.crm_id): r
        for r in session.exec(
            select(CrmRecord).where(
                CrmRecord.crm == crm, col(CrmRecord.crm_id).in_([row.crm_id for row in rows])
            )
        )
    }
    accounts = {
        r.crm_id: r.company
        for r in session.exec(
            select(CrmRecord).where(
                CrmRecord.crm == crm,
                CrmRecord.object_type == "account",
                col(CrmRecord.crm_id).in_(
                    {row.account_crm_id for row in rows if row.account_crm_id}
                ),
            )
        )
    }
    changed: list[int] = []
    for row in rows:
        values = asdict(row)
        values.pop("merged_into")
        values.pop("merged_ids")
        if row.email:
            values["email"] = row.email.strip().lower()
        if row.object_type == "contact" and row.account_crm_id and not row.company:
            values["company"] = accounts.get(row.account_crm_id)
        record = existing.get((row.object_type, row.crm_id))
        if record is None:
            record = CrmRecord(crm=crm, **values)
            session.add(record)
            session.flush()
            changed.append(id_of(record))
            continue
        before = (matched_fields(record), record.deleted)
        for key, value in values.items():
            setattr(record, key, value)
        # Only what the matcher reads moves its freshness: a record pulled again because enrich
        # wrote its score must not make every process rebuild its index of the mirror.
        if (matched_fields(record), record.deleted) != before:
            record.pulled_at = utcnow()
            changed.append(id_of(record))
    return changed


def _apply_merges(session: Session, crm: str, rows: list[MirrorRow]) -> list[int]:
    """Reflect merges the CRM reported: the merged-away record is deleted in the mirror and
    points at the survivor (`raw.merged_into`); its identity links and activity ledger move to
    the survivor (the CRM moved its timeline there too), unless the survivor already has the
    same one. Returns ids of records whose links changed."""
    pairs = [(row.object_type, row.crm_id, row.merged_into) for row in rows if row.merged_into]
    pairs += [(row.object_type, loser, row.crm_id) for row in rows for loser in row.merged_ids]
    changed: list[int] = []
    for object_type, loser_id, winner_id in pairs:
        records = {
            r.crm_id: r
            for r in session.exec(
                select(CrmRecord).where(
                    CrmRecord.crm == crm,
                    CrmRecord.object_type == object_type,
                    col(CrmRecord.crm_id).in_([loser_id, winner_id]),
                )
            )
        }
        loser, winner = records.get(loser_id), records.get(winner_id)
        if loser is None:
            continue
        if not loser.deleted or (loser.raw or {}).get("merged_into") != winner_id:
            loser.deleted = True
            loser.raw = {**(loser.raw or {}), "merged_into": winner_id}
            loser.pulled_at = utcnow()  # the matcher rebuilds without it
            changed.append(id_of(loser))
        if winner is None:
            continue  # not mirrored (yet): the links wait for the matcher
        winner_profiles = set(
            session.exec(select(IdentityLink.profile_id).where(IdentityLink.record_id == winner.id))
        )
        for link in session.exec(select(IdentityLink).where(IdentityLink.record_id == loser.id)):
            if link.profile_id not in winner_profiles:
                link.record_id = id_of(winner)
                changed.append(id_of(winner))
        written = set(
            session.exec(
                select(ActivityWrite.touchpoint_id).where(ActivityWrite.record_id == winner.id)
            )
        )
        for write in session.exec(select(ActivityWrite).where(ActivityWrite.record_id == loser.id)):
            if write.touchpoint_id not in written:
                write.record_id = id_of(winner)
        log.info("%s %s %s was merged into %s", crm, object_type, loser_id, winner_id)
    session.flush()
    return changed


def _request_rematch(session: Session, record_ids: list[int]) -> None:
    """Profiles linked to changed records, and those the records would be candidates for
    (linked or not), are re-matched (by the matcher)."""
    if not record_ids:
        return
    linked = select(IdentityLink.profile_id).where(col(IdentityLink.record_id).in_(record_ids))
    emails = select(CrmRecord.email).where(
        col(CrmRecord.id).in_(record_ids), col(CrmRecord.email).is_not(None)
    )
    ids = {
        i
        for i in session.exec(
            select(SocialProfile.id).where(
                col(SocialProfile.id).in_(linked) | col(SocialProfile.email).in_(emails)
            )
        )
        if i
    }
    records = session.exec(select(CrmRecord).where(col(CrmRecord.id).in_(record_ids)))
    flagged = sorted(ids | profiles_sharing_keys(session, records))
    now = utcnow()
    # Ids and UPDATEs, not profile objects: a full pull flags nearly every stored profile.
    for i in range(0, len(flagged), 500):  # bound parameters per statement
        session.execute(
            update(SocialProfile)
            .where(col(SocialProfile.id).in_(flagged[i : i + 500]))
            .values(match_requested_at=now)
        )


def pull(
    engine: Engine,
    adapter: CrmAdapter,
    *,
    full: bool = False,
    objects: Iterable[str] = OBJECT_ORDER,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Pull each object type from its cursor (or from the start when `full`); returns counts."""
    counts: dict[str, int] = {}
    people = adapter.fields.people
    for object_type in objects:
        if object_type in ("contact", "lead") and object_type not in people:
            continue  # RevOps chose not to work on this person object (ENRICH_CRM_FIELDS)
        with session_scope(engine) as session:
            cursor = _cursor(session, adapter.name, object_type)
            since = None if full else cursor.modified_since
            after_id = None if full else cursor.page_token
        counts[object_type] = 0
        page: list[MirrorRow] = []
        for row in adapter.pull(object_type, since, after_id):
            page.append(row)
            if len(page) >= PAGE:
                _commit_page(engine, adapter.name, object_type, page)
                counts[object_type] += len(page)
                if progress:
                    progress(object_type, len(page))
                page = []
        if page:
            _commit_page(engine, adapter.name, object_type, page)
            counts[object_type] += len(page)
            if progress:
                progress(object_type, len(page))
        log.info("pulled %s %s records from %s", counts[object_type], object_type, adapter.name)
        _pull_deleted(engine, adapter, object_type, full=full)
    return counts


def _pull_deleted(engine: Engine, adapter: CrmAdapter, object_type: str, *, full: bool) -> None:
    """Mark the records the CRM lists as deleted, when due; the time of the last complete
    listing is kept in a cursor of its own (`<object>:deleted`), shared by every process."""
    if type(adapter).pull_deleted is CrmAdapter.pull_deleted:
        return  # the change feed carries deletions: nothing to list
    key = f"{object_type}:deleted"
    started = utcnow()
    with session_scope(engine) as session:
        last = _cursor(session, adapter.name, key).modified_since
    every_s = adapter.deletions_every_s
    if not full and last is not None and (started - last).total_seconds() < every_s:
        return
    seen = gone = 0
    page: list[MirrorRow] = []
    for row in adapter.pull_deleted(object_type):
        page.append(row)
        if len(page) >= PAGE:
            gone += _store_deleted(engine, adapter.name, page)
            seen, page = seen + len(page), []
    if page:
        gone += _store_deleted(engine, adapter.name, page)
        seen += len(page)
    with session_scope(engine) as session:
        cursor = _cursor(session, adapter.name, key)
        cursor.modified_since = started  # an interrupted listing is simply done again
        cursor.updated_at = utcnow()
    log.info(
        "%s lists %s deleted %s records; %s left the mirror", adapter.name, seen, object_type, gone
    )


def _store_deleted(engine: Engine, crm: str, rows: list[MirrorRow]) -> int:
    """Mark mirrored records of these deleted rows deleted (records never mirrored are not
    added); the matcher rebuilds without them and their linked profiles are re-matched."""
    by_key = {(row.object_type, row.crm_id): row for row in rows}
    with session_scope(engine) as session:
        changed: list[int] = []
        for record in session.exec(
            select(CrmRecord).where(
                CrmRecord.crm == crm, col(CrmRecord.crm_id).in_([r.crm_id for r in rows])
            )
        ):
            row = by_key.get((record.object_type, record.crm_id))
            if row is None or record.deleted:
                continue
            record.deleted = True
            record.raw = {**(record.raw or {}), **(row.raw or {})}
            record.pulled_at = utcnow()  # the matcher's freshness check sees the change
            changed.append(id_of(record))
        session.flush()
        _request_rematch(session, changed)
    return len(changed)


def _commit_page(engine: Engine, crm: str, object_type: str, page: list[MirrorRow]) -> None:
    try:
        _store_page(engine, crm, object_type, page)
    except IntegrityError:
        # Another pull (CLI and scheduler) inserted some of these rows first: now they update.
        _store_page(engine, crm, object_type, page)


def _store_page(engine: Engine, crm: str, object_type: str, page: list[MirrorRow]) -> None:
    with session_scope(engine) as session:
        changed = _upsert(session, crm, page)
        session.flush()
        changed += _apply_merges(session, crm, page)
        _request_rematch(session, changed)
        cursor = _cursor(session, crm, object_type)
        # Rows come in (modified, id) order: the last one is where a resumed pull continues.
        last = page[-1]
        if last.modified_at and (
            cursor.modified_since is None or last.modified_at >= cursor.modified_since
        ):
            cursor.modified_since = last.modified_at
            cursor.page_token = last.crm_id
        cursor.updated_at = utcnow()


def queue_attribution(
    engine: Engine, adapter: CrmAdapter, window_days: int, full_every_s: float = FULL_EVERY_S
) -> int:
    """After a pull: put in the outbox the opportunities whose attribution fields moved.
    Those the CRM changed since the last pass (new ones, a stage or close date moved) are
    looked at every time; all of them every `full_every_s`, for what changes without the
    opportunity changing (a person linked later brings their history; a late or imported
    touchpoint). Each pass's position is a cursor of its own, shared by every process."""
    started = utcnow()
    with session_scope(engine) as session:
        changed = _cursor(session, adapter.name, ATTRIBUTION_CURSOR).modified_since
        full = _cursor(session, adapter.name, ATTRIBUTION_FULL_CURSOR).modified_since
    everything = full is None or (started - full).total_seconds() >= full_every_s
    queued = attribution.request_opportunity_syncs(
        engine,
        adapter.name,
        adapter.fields.opportunity,
        timedelta(days=window_days),
        None if everything else changed,
    )
    with session_scope(engine) as session:
        # The CRM's own clock: a record changed during this pass is seen by the next one.
        last = session.exec(
            select(func.max(CrmRecord.modified_at)).where(
                CrmRecord.crm == adapter.name, CrmRecord.object_type == "opportunity"
            )
        ).one()
        cursor = _cursor(session, adapter.name, ATTRIBUTION_CURSOR)
        cursor.modified_since, cursor.updated_at = last or changed, utcnow()
        if everything:
            cursor = _cursor(session, adapter.name, ATTRIBUTION_FULL_CURSOR)
            cursor.modified_since, cursor.updated_at = started, utcnow()
    return queued


def pull_job(full: bool = False) -> dict[str, int]:
    """Job: incremental (or full) pull with the configured CRM; its calls count against the
    daily API budget like the writer's."""
    rt = current()
    if alerts.open_alert(rt.engine, rt.settings) is not None:
        log.warning(
            "CRM credentials refused earlier (see the 'crm_auth' dead letter): the "
            "pull waits until they are fixed or the letter is replayed"
        )
        return {}
    adapter = None
    try:
        adapter = make_adapter(rt.settings)
        counts = pull(rt.engine, adapter, full=full)
        queue_attribution(rt.engine, adapter, rt.settings.attribution_window_days)
        return counts
    except CRMAuthError as exc:
        alerts.raise_alert(rt.engine, rt.settings, exc)
        return {}
    finally:
        if adapter is not None:
            budget.charge(rt.engine, adapter.name, adapter.calls)
