"""Links social profiles to CRM records in the mirror with the identity matcher, storing each
decision as an IdentityLink (score, rule version, per-comparison contributions).

Humans win: a pair a person confirmed or rejected is never changed here, a rejected pair is
never proposed again, and a profile with a confirmed link is not re-matched at all. The matcher
index is built once per process and rebuilt when the mirror or the active rules change.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cache
from hashlib import blake2b
from typing import Any

from sqlalchemy import delete, func, insert
from sqlmodel import Session, col, select

from enrich.matching import rules as match_rules
from enrich.matching.blocking import person_keys, profile_keys, rematch_keys
from enrich.matching.profile import Person, Profile
from enrich.matching.scorer import Candidate, Decision, Matcher, MatchResult
from enrich.matching.train import Training, train
from enrich.models import (
    CrmRecord,
    IdentityLink,
    LinkStatus,
    ProfileMatchKey,
    RuleSet,
    SocialProfile,
    table_of,
    utcnow,
)

log = logging.getLogger("enrich.linking")


def active_rules(session: Session) -> match_rules.RuleSet:
    row = session.exec(
        select(RuleSet.id, RuleSet.version)
        .where(RuleSet.kind == "match", RuleSet.active == True)  # noqa: E712
        .order_by(col(RuleSet.id).desc())
    ).first()
    if row is None:
        return _default_rules()
    rule_set_id, _ = row
    assert rule_set_id is not None  # a stored row has an id
    return _parsed(rule_set_id, session)


@cache
def _default_rules() -> match_rules.RuleSet:
    return match_rules.default_rules()


_parsed_rules: dict[tuple[str, int], match_rules.RuleSet] = {}


def _parsed(rule_set_id: int, session: Session) -> match_rules.RuleSet:
    """Rule sets are immutable once stored (a change is a new version), so parse each once
    per database: a row id names other rules in another database the process opens."""
    key = (str(session.get_bind().engine.url), rule_set_id)
    if key not in _parsed_rules:
        row = session.get(RuleSet, rule_set_id)
        assert row is not None
        _parsed_rules[key] = match_rules.parse_rules(row.body, source=f"rule set {row.version}")
    return _parsed_rules[key]


def to_person(record: CrmRecord) -> Person:
    return Person(
        id=str(record.id),
        first_name=record.first_name or "",
        last_name=record.last_name or "",
        email=record.email or "",
        company=record.company or "",
        title=record.title or "",
        city=record.city or "",
        country=record.country or "",
        linkedin_url=record.linkedin_url or "",
        twitter_handle=record.twitter_handle or "",
        owner=record.owner_id or "",
        record_type=record.object_type,
        modified_at=record.modified_at.isoformat() if record.modified_at else "",
    )


def matched_fields(record: CrmRecord) -> Person:
    """What of a record can make the matcher decide otherwise: `to_person` without the time it
    last changed in the CRM. Every write of enrich's own (a score) moves that time; the
    survivor rule reads it only to choose among one person's records, as of the index's last
    rebuild, which such a write must not force (`sync.mirror`)."""
    return replace(to_person(record), modified_at="")


def to_profile(profile: SocialProfile) -> Profile:
    return Profile(
        key=str(profile.id),
        platform=profile.platform,
        user_id=profile.platform_user_id,
        handle=profile.handle or "",
        display_name=profile.name or "",
        bio=profile.bio or "",
        location=profile.location or "",
        url=profile.url or "",
        website=profile.website or "",
        email=profile.email or "",
    )


class MatcherCache:
    """One matcher per process over the contacts and leads of the mirror."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._matcher: Matcher | None = None

    def get(self, session: Session) -> Matcher:
        rules = active_rules(session)
        # Any new or re-pulled record moves one of these. Each is one index lookup (two bare
        # max() subqueries, not one filtered aggregate): this runs for every delivery, and a
        # scan of a mirror of a million people per delivery would cost more than the matching.
        mirror = select(
            select(func.max(CrmRecord.pulled_at)).scalar_subquery(),
            select(func.max(CrmRecord.id)).scalar_subquery(),
        )
        key = (rules.version, *session.exec(mirror).one())
        with self._lock:
            if self._matcher is None or key != self._key:
                records = session.exec(
                    select(CrmRecord).where(
                        col(CrmRecord.object_type).in_(("contact", "lead")),
                        CrmRecord.deleted == False,  # noqa: E712
                    )
                )
                self._matcher = Matcher(rules, (to_person(r) for r in records))
                self._key = key
                log.info(
                    "matcher index built: %d people, rules %s", len(self._matcher), rules.version
                )
            return self._matcher


_cache = MatcherCache()


def explanation(contributions: Any) -> list[dict[str, Any]]:
    return [
        {
            "comparison": c.comparison,
            "level": c.level,
            "weight": round(c.weight, 3),
            "explanation": c.explanation,
        }
        for c in contributions
    ]


def link_statuses(
    result: MatchResult, rejected: set[int], review_at: float
) -> dict[int, tuple[str, Candidate]]:
    """Record id -> (link status, candidate): the matcher's decisions, with what people
    rejected applied by the matcher's own rule (`MatchResult.respecting`), as link statuses."""
    decided = result.respecting({str(r) for r in rejected}, review_at)
    return {
        int(c.person_id): (
            LinkStatus.AUTO if c.decision is Decision.LINK else LinkStatus.PENDING,
            c,
        )
        for c in decided.candidates
        if c.decision is not Decision.NONE
    }


@dataclass(frozen=True)
class Prepared:
    """A profile matched ahead of its write transaction (by batch processing, outside SQLite's
    write lock): used by `link_profile` only if the profile and the matcher are still the
    ones it was computed with."""

    matcher: Matcher
    query: Profile
    keys: set[str]
    result: MatchResult


def current_matcher(session: Session) -> Matcher:
    """The process's matcher over the mirror and rules as they are now (rebuilt if not)."""
    return _cache.get(session)


class _RecentMatches:
    """The latest matches, by query: a person who engages again, with nothing new about them,
    against the same matcher (mirror and rules unchanged), gets the same result."""

    SIZE = 4096  # people engaging within minutes of each other

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_query: OrderedDict[Profile, Prepared] = OrderedDict()

    def get(self, matcher: Matcher, query: Profile) -> Prepared:
        with self._lock:
            hit = self._by_query.get(query)
            if hit is not None and hit.matcher is matcher:
                self._by_query.move_to_end(query)
                return hit
        keys = profile_keys(query, matcher.rules.blocking.keys)
        prepared = Prepared(matcher, query, keys, matcher.match(query, keys))
        with self._lock:
            newest = next(reversed(self._by_query.values()), None)
            if newest is not None and newest.matcher is not matcher:
                # A rebuilt matcher: drop the old results, and with them the last references
                # to the old index (hundreds of MB on a large mirror).
                self._by_query.clear()
            self._by_query[query] = prepared
            self._by_query.move_to_end(query)
            if len(self._by_query) > self.SIZE:
                self._by_query.popitem(last=False)
        return prepared


_recent = _RecentMatches()


def prepare_match(matcher: Matcher, query: Profile) -> Prepared:
    """Match a profile as `link_profile` would, writing nothing."""
    return _recent.get(matcher, query)


def link_profile(
    session: Session, profile: SocialProfile, prepared: Prepared | None = None
) -> list[IdentityLink]:
    """(Re)decide the links of one profile; returns its active links afterwards."""
    [(_, after)] = link_profiles(
        session, [profile], {} if prepared is None else {profile.id or 0: prepared}
    ).values()
    return after


def link_profiles(
    session: Session,
    profiles: list[SocialProfile],
    prepared: dict[int, Prepared],
    matcher: Matcher | None = None,
) -> dict[int, tuple[set[int], list[IdentityLink]]]:
    """(Re)decide the links of stored profiles, with a few statements for all of them; per
    profile id, the records it was linked to before and its active links afterwards.
    `prepared` holds matches computed ahead (by profile id), used while still valid."""
    ids = [p.id for p in profiles if p.id is not None]
    existing: dict[int, dict[int, IdentityLink]] = {i: {} for i in ids}
    for start in range(0, len(ids), 500):
        for link in session.exec(
            select(IdentityLink).where(col(IdentityLink.profile_id).in_(ids[start : start + 500]))
        ):
            existing[link.profile_id][link.record_id] = link
    out: dict[int, tuple[set[int], list[IdentityLink]]] = {}
    stale_keys: list[int] = []
    new_keys: list[dict[str, int]] = []
    for profile in profiles:
        assert profile.id is not None  # stored before it is matched
        links = existing[profile.id]
        before = set(links)
        profile.match_requested_at = None
        if not any(link.status == LinkStatus.CONFIRMED for link in links.values()):
            matcher = matcher or _cache.get(session)
            keys = _decide(session, profile, links, matcher, prepared.get(profile.id))
            hashes = sorted({_stable(k) for k in rematch_keys(keys)})
            digest = _stable(" ".join(map(str, hashes)))
            if digest != profile.match_keys_digest:  # usually as they were: nothing to write
                stale_keys.append(profile.id)
                new_keys += [{"key": h, "profile_id": profile.id} for h in hashes]
                profile.match_keys_digest = digest
        out[profile.id] = (
            before,
            [link for link in links.values() if link.status in LinkStatus.ACTIVE],
        )
    # Core statements on the session's connection: no ORM bookkeeping for the profiles'
    # blocking keys (`profiles_sharing_keys` reads them).
    table = table_of(ProfileMatchKey)
    conn = session.connection()
    for start in range(0, len(stale_keys), 500):
        conn.execute(delete(table).where(table.c.profile_id.in_(stale_keys[start : start + 500])))
    if new_keys:
        conn.execute(insert(table), new_keys)
    session.flush()
    return out


def _decide(
    session: Session,
    profile: SocialProfile,
    existing: dict[int, IdentityLink],
    matcher: Matcher,
    prepared: Prepared | None,
) -> set[str]:
    """Re-decide the matcher's links of one profile in `existing` (record id -> link, kept
    up to date); returns the profile's blocking keys."""
    assert profile.id is not None
    query = to_profile(profile)
    # A profile prepared before it had an id: the key only names it in the result.
    if (
        prepared is not None
        and prepared.matcher is matcher
        and replace(prepared.query, key=query.key) == query
    ):
        keys, result = prepared.keys, prepared.result
    else:
        fresh = prepare_match(matcher, query)
        keys, result = fresh.keys, fresh.result
    rejected = {rid for rid, link in existing.items() if link.status == LinkStatus.REJECTED}
    decided = link_statuses(result, rejected, matcher.rules.thresholds.review)

    for record_id, link in list(existing.items()):
        if link.status in LinkStatus.HUMAN or record_id in decided:
            continue
        session.delete(link)  # the matcher's own earlier decision, no longer supported
        del existing[record_id]
    for record_id, (status, candidate) in decided.items():
        decision: dict[str, Any] = {
            "status": status,
            "score": round(candidate.score, 3),
            "rule_version": result.rule_version,
            "explanation": explanation(candidate.contributions),
            "decided_by": "matcher",
        }
        known = existing.get(record_id)
        if known is None:
            known = IdentityLink(profile_id=profile.id, record_id=record_id, **decision)
            session.add(known)
            existing[record_id] = known
        elif all(getattr(known, name) == value for name, value in decision.items()):
            continue  # decided as before: no write, and it keeps the time it was decided
        else:
            for name, value in decision.items():
                setattr(known, name, value)
        known.decided_at = utcnow()
    return keys


def _stable(key: str) -> int:
    """A key's 64-bit hash, the same in every process (``hash`` is salted per process)."""
    return int.from_bytes(blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def profiles_sharing_keys(session: Session, records: Iterable[CrmRecord]) -> set[int]:
    """The profiles for which one of these records would be a candidate under the active
    rules (they share a blocking key): what a change of the records can re-decide."""
    families = active_rules(session).blocking.keys
    hashes = sorted(
        {
            _stable(k)
            for r in records
            if r.object_type in ("contact", "lead") and not r.deleted
            for k in rematch_keys(person_keys(to_person(r), families))
        }
    )
    found: set[int] = set()
    for i in range(0, len(hashes), 500):  # bound parameters per statement
        chunk = hashes[i : i + 500]
        found.update(
            session.exec(
                select(ProfileMatchKey.profile_id)
                .where(col(ProfileMatchKey.key).in_(chunk))
                .distinct()
            )
        )
    return found


# The profiles training reads at most (a random sample of them, EM's cost grows with them;
# every profile a person decided is read besides).
TRAIN_PROFILES = 3000


def train_rules(
    session: Session, progress: Callable[[str, float], object] | None = None
) -> Training:
    """Re-estimate the active match rules' weights from this CRM's mirror, its stored
    profiles and what people decided in the review queue (confirmed and rejected pairs are
    labels; the matcher's own decisions are not). Nothing is saved: the caller stores the
    result as a new version, which RevOps preview and activate like any other."""
    rules = active_rules(session)
    matcher = _cache.get(session)
    ids = list(session.exec(select(SocialProfile.id)))
    sample = set(random.Random(0).sample(ids, min(len(ids), TRAIN_PROFILES)))
    decided = list(
        session.exec(
            select(IdentityLink).where(
                col(IdentityLink.status).in_((LinkStatus.CONFIRMED, LinkStatus.REJECTED)),
                IdentityLink.decided_by != "matcher",
            )
        )
    )
    labels = {
        (str(d.profile_id), str(d.record_id)): d.status == LinkStatus.CONFIRMED for d in decided
    }
    sample |= {d.profile_id for d in decided}
    profiles = [
        to_profile(p)
        for p in session.exec(
            select(SocialProfile).where(col(SocialProfile.id).in_(sorted(sample)))
        )
    ]
    stamp = utcnow().strftime("%Y%m%d%H%M%S")
    return train(
        rules,
        matcher.people,
        profiles,
        labels=labels,
        matcher=matcher,
        version=f"{rules.version.split('-trained-')[0]}-trained-{stamp}",
        max_profiles=TRAIN_PROFILES,
        progress=progress,
    )
