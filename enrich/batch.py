"""Deliveries processed in batches: many stored deliveries per transaction.

`prepare` reads a batch of pending deliveries and does what costs CPU without writing:
normalise them all, check erasures, stored touchpoints and profiles in bulk, and match every
profile the batch touches against the mirror. `apply` then stores the outcome in one
transaction: profiles, touchpoints (one Core INSERT), links (with the matches prepared), one
bulk rescore of every person touched (`rescore_many`), outbox rows in bulk, and each
delivery's status.

On SQLite `prepare` runs outside the writers' lock, so ingest's group commit never waits on the
matcher; on PostgreSQL the batch is claimed with `SELECT … FOR UPDATE SKIP LOCKED` (`claim`) and
prepared inside the claiming transaction, so N workers process disjoint batches side by side.

What this keeps of processing one delivery at a time (`enrich.pipeline`), it keeps by falling
back to it: a batch whose `prepare` or `apply` raises is rolled back whole and its deliveries are
processed one by one, where a poison delivery is counted, and dead-lettered, on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from enrich.leads import store as lead_store
from enrich.linking import Prepared, current_matcher, link_profiles, prepare_match, to_profile
from enrich.matching.profile import Profile
from enrich.models import (
    EventStatus,
    IdentityLink,
    LinkStatus,
    RawEvent,
    SocialProfile,
    Suppression,
    Touchpoint,
    table_of,
    utcnow,
)
from enrich.normalize import LeadRef, ProfileData, RawEventView, TouchpointData, normalize
from enrich.privacy import identifier_hashes
from enrich.scoring.bulk import rescore_many
from enrich.sync.outbox import request_sync_many

Actor = tuple[str, str]  # (platform, platform user id)
PROFILE_FIELDS = ("handle", "name", "bio", "location", "url", "website", "email")
QUERY_FIELDS = {name: "display_name" if name == "name" else name for name in PROFILE_FIELDS}
T = TypeVar("T")
IN_CHUNK = 500  # values per IN (...) list: SQLite's bound parameter limit is far above


def merge_profile(profile: SocialProfile, data: ProfileData) -> None:
    """What a delivery says of its actor: the newest non-empty value wins, a missing field
    does not erase one, and a changed handle keeps the old one in the history."""
    if data.handle and profile.handle and data.handle != profile.handle:
        profile.handle_history = [*(profile.handle_history or []), profile.handle]
    for name in PROFILE_FIELDS:
        value = getattr(data, name)
        if value:
            setattr(profile, name, value)
    profile.last_seen = utcnow()


@dataclass
class Delivery:
    raw_id: int
    kept: list[TouchpointData]  # the touchpoints of people not erased
    note: str | None  # what the raw event's error column says (errors, ignored items)
    erased_only: bool  # every touchpoint was by an erased person: keep nothing of it
    leads: list[LeadRef] = field(default_factory=list)  # lead-form responses it names


@dataclass
class Plan:
    deliveries: list[Delivery] = field(default_factory=list)
    alone: list[int] = field(default_factory=list)  # to process one by one (normaliser raised)
    new: list[tuple[int, TouchpointData]] = field(default_factory=list)  # in delivery order
    prepared: dict[Actor, Prepared] = field(default_factory=dict)


def _chunks(values: Sequence[T]) -> Iterable[list[T]]:
    for start in range(0, len(values), IN_CHUNK):
        yield list(values[start : start + IN_CHUNK])


def _stored_keys(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(keys):
        found.update(
            session.exec(select(Touchpoint.dedupe_key).where(col(Touchpoint.dedupe_key).in_(chunk)))
        )
    return found


def _profiles(session: Session, actors: Iterable[Actor]) -> dict[Actor, SocialProfile]:
    wanted = set(actors)
    found: dict[Actor, SocialProfile] = {}
    for chunk in _chunks(sorted({uid for _, uid in wanted})):
        for profile in session.exec(
            select(SocialProfile).where(col(SocialProfile.platform_user_id).in_(chunk))
        ):
            actor = (profile.platform, profile.platform_user_id)
            if actor in wanted:
                found[actor] = profile
    return found


def claim(session: Session, after: int, limit: int) -> list[int]:
    """PostgreSQL: lock up to `limit` pending deliveries after id `after` that no other worker
    holds, for the rest of the session's transaction."""
    return [
        i
        for i in session.exec(
            select(RawEvent.id)
            .where(RawEvent.status == EventStatus.PENDING, col(RawEvent.id) > after)
            .order_by(col(RawEvent.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if i is not None
    ]


def prepare(session: Session, ids: list[int]) -> Plan:
    """Normalise and match a batch; reads only (the session may be a read-only one)."""
    plan = Plan()
    raws = session.exec(
        select(RawEvent).where(col(RawEvent.id).in_(ids), RawEvent.status == EventStatus.PENDING)
    ).all()
    normalized = []
    for raw in sorted(raws, key=lambda r: r.id or 0):
        assert raw.id is not None
        view = RawEventView(
            raw.id, raw.source, raw.delivery_id, raw.body, raw.received_at, raw.account
        )
        try:
            normalized.append((raw.id, normalize(view)))
        except Exception:
            plan.alone.append(raw.id)  # parked with its error by the one-by-one path
    hashes = {
        tp.actor: identifier_hashes(
            tp.actor.platform, tp.actor.platform_user_id, tp.actor.handle, tp.actor.email
        )
        for _, result in normalized
        for tp in result.touchpoints
    }
    erased: set[str] = set()
    for chunk in _chunks(sorted(set().union(*hashes.values()))):
        erased.update(
            session.exec(
                select(Suppression.identifier_hash).where(
                    col(Suppression.identifier_hash).in_(chunk)
                )
            )
        )
    for raw_id, result in normalized:
        kept = [tp for tp in result.touchpoints if not hashes[tp.actor] & erased]
        ignored = list(result.ignored)
        if len(kept) < len(result.touchpoints):
            ignored.append(f"{len(result.touchpoints) - len(kept)} touchpoints by erased people")
        plan.deliveries.append(
            Delivery(
                raw_id,
                kept,
                "; ".join(result.errors + ignored)[:2000] or None,
                bool(result.touchpoints) and not kept,
                result.leads,
            )
        )
    stored = _stored_keys(session, [tp.dedupe_key for d in plan.deliveries for tp in d.kept])
    for d in plan.deliveries:
        for tp in d.kept:
            if tp.dedupe_key not in stored:
                stored.add(tp.dedupe_key)  # the same touchpoint twice in a batch counts once
                plan.new.append((d.raw_id, tp))
    to_match = {
        (tp.actor.platform, tp.actor.platform_user_id) for _, tp in plan.new if not tp.is_own
    }
    if not to_match:
        return plan
    existing = _profiles(session, to_match)
    confirmed: set[int] = set()
    for id_chunk in _chunks([p.id for p in existing.values() if p.id is not None]):
        confirmed.update(
            session.exec(
                select(IdentityLink.profile_id).where(
                    col(IdentityLink.profile_id).in_(id_chunk),
                    IdentityLink.status == LinkStatus.CONFIRMED,
                )
            )
        )
    # The profile as the write will leave it (`merge_profile`): stored values, then each
    # delivery's non-empty ones in order; built as the matcher's query, not as an ORM object.
    merged: dict[Actor, Profile] = {}
    for _, tp in plan.new:
        actor = (tp.actor.platform, tp.actor.platform_user_id)
        if actor not in to_match:
            continue
        if actor not in merged:
            stored_profile = existing.get(actor)
            merged[actor] = (
                to_profile(stored_profile)
                if stored_profile is not None
                else Profile(key=str(None), platform=actor[0], user_id=actor[1])
            )
        values = {QUERY_FIELDS[n]: v for n in PROFILE_FIELDS if (v := getattr(tp.actor, n))}
        if values:
            merged[actor] = replace(merged[actor], **values)
    matcher = current_matcher(session)
    for actor, query in merged.items():
        stored_profile = existing.get(actor)
        if stored_profile is None or stored_profile.id not in confirmed:
            plan.prepared[actor] = prepare_match(matcher, query)
    return plan


def apply(session: Session, plan: Plan) -> set[int]:
    """Store a prepared batch in the session's transaction; returns the records it touched.

    Deliveries another worker processed meanwhile are left alone, and so are touchpoints that
    were stored meanwhile (the INSERT skips them)."""
    ids = [d.raw_id for d in plan.deliveries]
    raws = {
        raw.id: raw
        for raw in session.exec(
            select(RawEvent)
            .where(col(RawEvent.id).in_(ids), RawEvent.status == EventStatus.PENDING)
            .with_for_update(skip_locked=True)
        )
    }
    new = [(raw_id, tp) for raw_id, tp in plan.new if raw_id in raws]
    stored = _stored_keys(session, [tp.dedupe_key for _, tp in new])
    new = [(raw_id, tp) for raw_id, tp in new if tp.dedupe_key not in stored]
    actors = sorted({(tp.actor.platform, tp.actor.platform_user_id) for _, tp in new})
    profiles = _profiles(session, actors)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    missing = [a for a in actors if a not in profiles]
    if missing:
        # Skipping a row another worker inserts meanwhile (it waits for that worker's commit),
        # in one order for every worker (so two never wait on each other): no batch fails on a
        # profile both have met.
        now = utcnow()
        session.execute(
            insert(table_of(SocialProfile)).on_conflict_do_nothing(
                index_elements=["platform", "platform_user_id"]
            ),
            [
                {"platform": p, "platform_user_id": u, "first_seen": now, "last_seen": now}
                for p, u in missing
            ],
        )
        profiles |= _profiles(session, missing)
    for _, tp in new:
        merge_profile(profiles[(tp.actor.platform, tp.actor.platform_user_id)], tp.actor)
    session.flush()
    if new:
        table = table_of(Touchpoint)
        session.execute(
            insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]),
            [
                {
                    "dedupe_key": tp.dedupe_key,
                    "raw_event_id": raw_id,
                    "profile_id": profiles[(tp.actor.platform, tp.actor.platform_user_id)].id,
                    "platform": tp.actor.platform,
                    "kind": tp.kind,
                    "account": tp.account,
                    "post_id": tp.post_id,
                    "post_url": tp.post_url,
                    "post_text": tp.post_text,
                    "text": tp.text,
                    "occurred_at": tp.occurred_at,
                    "is_own": tp.is_own,
                }
                for raw_id, tp in new
            ],
        )
    touched = sorted(
        {(tp.actor.platform, tp.actor.platform_user_id) for _, tp in new if not tp.is_own}
    )
    prepared = {profiles[a].id or 0: plan.prepared[a] for a in touched if a in plan.prepared}
    records: set[int] = set()
    if touched:
        linked = link_profiles(
            session, [profiles[a] for a in touched], prepared, current_matcher(session)
        )
        for before, after in linked.values():
            records |= before | {link.record_id for link in after}
    rescore_many(session, records)
    request_sync_many(session, records)
    now = utcnow()
    for d in plan.deliveries:
        raw = raws.get(d.raw_id)
        if raw is None:
            continue
        raw.attempts += 1
        raw.error = d.note
        lead_store.record(session, d.raw_id, d.leads)
        raw.status = EventStatus.PROCESSED if d.kept or d.leads else EventStatus.IGNORED
        raw.processed_at = now
        if d.erased_only:
            raw.body = b""
            raw.headers = {}
    session.flush()
    return records
