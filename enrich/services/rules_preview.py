"""What a rule change would do to the data already stored, before anyone activates it.

Match rules: run the matcher with the candidate rules over stored profiles and the CRM mirror,
and compare with the links stored now (humans win: pairs a person decided are left out).
Topics and scoring: score the people with linked touchpoints under the active and the candidate
configuration and compare.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from enrich.linking import link_statuses, to_person, to_profile
from enrich.matching.rules import parse_rules
from enrich.matching.scorer import Matcher
from enrich.models import CrmRecord, IdentityLink, LinkStatus, SocialProfile, Touchpoint, utcnow
from enrich.scoring import Scorer, ScoringConfig, Taxonomy
from enrich.scoring import Touchpoint as ScoringTouchpoint
from enrich.services.rulesets import current, validate
from enrich.touchpoints import to_scoring

MAX_PROFILES = 5000
MAX_PEOPLE = 300
MAX_TOUCHPOINTS = 20000
EXAMPLES = 5


def mirror_people(session: Session) -> list[CrmRecord]:
    return list(
        session.exec(
            select(CrmRecord).where(
                col(CrmRecord.object_type).in_(("contact", "lead")),
                CrmRecord.deleted == False,  # noqa: E712
            )
        )
    )


def preview(engine: Engine, kind: str, text: str) -> dict[str, Any]:
    summary = validate(kind, text)
    result = _match(engine, text) if kind == "match" else _scores(engine, kind, text)
    return {"kind": kind, "summary": summary, **result}


def _name(profile: SocialProfile) -> str:
    handle = f"@{profile.handle}" if profile.handle else profile.platform_user_id
    return f"{profile.name or handle} ({profile.platform} {handle})"


def _match(engine: Engine, text: str) -> dict[str, Any]:
    rules = parse_rules(text, "match rules")
    with Session(engine) as session:
        records = {r.id: r for r in mirror_people(session)}
        matcher = Matcher(rules, [to_person(r) for r in records.values()])
        profiles = list(
            session.exec(select(SocialProfile).order_by(col(SocialProfile.id)).limit(MAX_PROFILES))
        )
        total = session.exec(select(func.count()).select_from(SocialProfile)).one()
        links: dict[int, list[IdentityLink]] = {}
        for link in session.exec(
            select(IdentityLink).where(col(IdentityLink.profile_id).in_([p.id for p in profiles]))
        ):
            links.setdefault(link.profile_id, []).append(link)
    counts: Counter[str] = Counter()
    examples: dict[str, list[dict[str, Any]]] = {}
    human_decided = 0
    for profile in profiles:
        mine = links.get(profile.id or 0, [])
        if any(link.status == LinkStatus.CONFIRMED for link in mine):
            human_decided += 1
            continue
        rejected = {link.record_id for link in mine if link.status == LinkStatus.REJECTED}
        old_link = next((link.record_id for link in mine if link.status == LinkStatus.AUTO), None)
        old_review = {link.record_id for link in mine if link.status == LinkStatus.PENDING}
        outcome = matcher.match(to_profile(profile))
        best = outcome.link
        decided = link_statuses(outcome, rejected, rules.thresholds.review)
        new_link = next(
            (rid for rid, (status, _) in decided.items() if status == LinkStatus.AUTO), None
        )
        new_review = {rid for rid, (status, _) in decided.items() if status == LinkStatus.PENDING}
        change = _change(old_link, old_review, new_link, new_review)
        counts[change] += 1
        if change != "unchanged" and len(examples.setdefault(change, [])) < EXAMPLES:
            target = new_link or old_link or next(iter(sorted(new_review)), None)
            record = records.get(target or 0)
            examples[change].append(
                {
                    "profile_id": profile.id,
                    "profile": _name(profile),
                    "record_id": target,
                    "record": _record_name(record),
                    "score": best.score
                    if best
                    else (outcome.candidates[0].score if outcome.candidates else None),
                    "from": old_link,
                    "to": new_link,
                }
            )
    return {
        "profiles_checked": len(profiles) - human_decided,
        "human_decided": human_decided,
        # A preview answers within a request: past MAX_PROFILES it is a sample, and says so.
        "profiles_total": total,
        "truncated": total > len(profiles),
        "counts": {
            k: counts.get(k, 0)
            for k in (
                "gained",
                "lost",
                "moved",
                "to_review",
                "new_review",
                "review_dropped",
                "unchanged",
            )
        },
        "examples": examples,
    }


def _record_name(record: CrmRecord | None) -> str | None:
    if record is None:
        return None
    name = " ".join(p for p in (record.first_name, record.last_name) if p) or record.email
    return f"{name} ({record.object_type}{', ' + record.company if record.company else ''})"


def _change(
    old_link: int | None, old_review: set[int], new_link: int | None, new_review: set[int]
) -> str:
    if old_link is not None and new_link is not None:
        return "unchanged" if old_link == new_link else "moved"
    if old_link is None and new_link is not None:
        return "gained"
    if old_link is not None:
        return "to_review" if new_review else "lost"
    if new_review - old_review:
        return "new_review"
    return "review_dropped" if old_review - new_review else "unchanged"


def _scores(engine: Engine, kind: str, text: str) -> dict[str, Any]:
    config = ScoringConfig.from_yaml(current(engine, "scoring")["body"], "active scoring")
    taxonomy = Taxonomy.from_yaml(current(engine, "topics")["body"], "active topics")
    before = Scorer(config, taxonomy)
    after = (
        Scorer(config, Taxonomy.from_yaml(text, "topics"))
        if kind == "topics"
        else Scorer(ScoringConfig.from_yaml(text, "scoring"), taxonomy)
    )
    now = utcnow()
    with Session(engine) as session:
        rows = list(
            session.exec(
                select(IdentityLink.record_id, Touchpoint)
                .join(Touchpoint, col(Touchpoint.profile_id) == IdentityLink.profile_id)
                .where(col(IdentityLink.status).in_(LinkStatus.ACTIVE), Touchpoint.is_own == False)  # noqa: E712
                .order_by(col(Touchpoint.occurred_at).desc())
                .limit(MAX_TOUCHPOINTS)
            )
        )
        records = {
            r.id: r
            for r in session.exec(
                select(CrmRecord).where(col(CrmRecord.id).in_({rid for rid, _ in rows}))
            )
        }
    per_record: dict[int, list[ScoringTouchpoint]] = {}
    truncated = len(rows) >= MAX_TOUCHPOINTS
    for record_id, tp in rows:
        if len(per_record) >= MAX_PEOPLE and record_id not in per_record:
            truncated = True
            continue
        per_record.setdefault(record_id, []).append(to_scoring(tp))
    threshold = after.config.handoff.threshold
    changes = []
    topics_before: Counter[str] = Counter()
    topics_after: Counter[str] = Counter()
    for record_id, tps in per_record.items():
        old = before.score_person(tps, as_of=now, person_id=str(record_id))
        new = after.score_person(tps, as_of=now, person_id=str(record_id))
        topics_before.update(old.topics.keys())
        topics_after.update(new.topics.keys())
        changes.append((record_id, old.score, new.score))
    moved = [c for c in changes if round(c[1]) != round(c[2])]
    moved.sort(key=lambda c: -abs(c[2] - c[1]))
    return {
        "people_checked": len(changes),
        "truncated": truncated,  # the most recently active people only
        "counts": {
            "up": sum(c[2] > c[1] for c in moved),
            "down": sum(c[2] < c[1] for c in moved),
            "unchanged": len(changes) - len(moved),
            "cross_handoff": sum((c[1] >= threshold) != (c[2] >= threshold) for c in changes),
        },
        "examples": {
            "changed": [
                {
                    "record_id": rid,
                    "record": _record_name(records.get(rid)),
                    "before": round(old, 1),
                    "after": round(new, 1),
                }
                for rid, old, new in moved[:10]
            ]
        },
        "topics": {
            "before": dict(topics_before.most_common()),
            "after": dict(topics_after.most_common()),
        },
    }
