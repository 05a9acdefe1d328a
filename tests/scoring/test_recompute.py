"""`enrich score --recompute` streams people in chunks and stores exactly what scoring each
person on its own stores: scores with breakdown and reasons, interests, hand-offs and account
roll-ups, in one process or in forked helpers (issue 21)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, col, select

from enrich.db import session_scope
from enrich.models import (
    CrmRecord,
    Handoff,
    IdentityLink,
    Interest,
    LinkStatus,
    Score,
    SocialProfile,
    SyncRequest,
    Touchpoint,
    utcnow,
)
from enrich.runtime import current
from enrich.scoring import bulk
from enrich.scoring.recompute import recompute_all
from enrich.scoring.rescore import rescore

TEXTS = [
    "We need better cloud security posture management",
    "Kubernetes cost at scale is our problem this quarter",
    "Great point about data pipelines and dbt",
    "",
    "Does this do SSO and SCIM?",
]
KINDS = ["like", "comment", "share", "follow", "reply", "mention", "dm", "like", "like"]


def seed(people: int, rng: random.Random) -> list[int]:
    """`people` contacts over accounts of five, each linked to a profile with touchpoints
    (a few with none, a few very engaged); returns the contacts' record ids."""
    now = utcnow()
    ids = []
    with session_scope(current().engine) as session:
        for a in range((people + 4) // 5):
            session.add(CrmRecord(crm="salesforce", object_type="account", crm_id=f"001A{a:06d}"))
        for n in range(people):
            record = CrmRecord(
                crm="salesforce",
                object_type="contact",
                crm_id=f"003C{n:06d}",
                first_name=f"P{n}",
                last_name="Tester",
                email=f"p{n}@acme.example",
                account_crm_id=f"001A{n // 5:06d}",
                title=rng.choice(["CTO", "VP Engineering", "Analyst", None]),
            )
            profile = SocialProfile(
                platform="linkedin",
                platform_user_id=f"li-{n}",
                bio=rng.choice(["Cloud security lead", None, "Data engineer, dbt fan"]),
            )
            session.add_all([record, profile])
            session.flush()
            assert record.id is not None and profile.id is not None
            ids.append(record.id)
            session.add(
                IdentityLink(profile_id=profile.id, record_id=record.id, status=LinkStatus.AUTO)
            )
            for t in range(rng.choice([0, 1, 3, 8, 40])):
                session.add(
                    Touchpoint(
                        dedupe_key=f"tp-{n}-{t}",
                        profile_id=profile.id,
                        platform=rng.choice(["linkedin", "x"]),
                        kind=rng.choice(KINDS),
                        text=rng.choice(TEXTS),
                        post_text=rng.choice(TEXTS),
                        occurred_at=now - timedelta(hours=rng.randint(0, 24 * 90)),
                    )
                )
    return ids


def stored() -> dict[str, Any]:
    """What the CRM is shown and the console reads, without ids and times of writing."""
    with Session(current().engine) as session:
        return {
            "scores": sorted(
                (s.record_id, s.score, s.reasons, s.breakdown, s.topic_scores, s.handoff_armed)
                for s in session.exec(select(Score))
            ),
            "interests": sorted(
                (i.record_id, i.topic, i.strength, i.evidence)
                for i in session.exec(select(Interest))
            ),
            "handoffs": sorted((h.record_id, h.score) for h in session.exec(select(Handoff))),
        }


@pytest.mark.parametrize("workers", [1, 2])
def test_a_streamed_recompute_stores_what_scoring_each_person_alone_stores(
    app: Flask, workers: int
) -> None:
    people = seed(60, random.Random(7))
    now = utcnow()
    with session_scope(current().engine) as session:
        rescore(session, people, now)
    one_by_one = stored()
    assert one_by_one["handoffs"], "the data should make someone engaged enough"

    # A later day: both ways decay alike, from the same stored state.
    later = now + timedelta(days=3)
    with session_scope(current().engine) as session:
        rescore(session, people, later)
    expected = stored()
    with session_scope(current().engine) as session:
        rescore(session, people, now)  # back to the first state (hand-offs stay as made)
    result = recompute_all(current().engine, now=later, batch=17, workers=workers)

    assert result["people"] == 60
    assert stored() == expected


def test_a_first_recompute_scores_everyone_once_and_queues_people_and_accounts(
    app: Flask,
) -> None:
    people = seed(23, random.Random(3))
    result = recompute_all(current().engine, batch=10, workers=2)
    again = recompute_all(current().engine, batch=10, workers=2)

    with Session(current().engine) as session:
        scored = set(session.exec(select(Score.record_id)))
        accounts = set(session.exec(select(CrmRecord.id).where(CrmRecord.object_type == "account")))
        queued = set(session.exec(select(SyncRequest.record_id)))
        handoffs = list(session.exec(select(Handoff.record_id)))
    assert (result["people"], result["changed"]) == (23, 23)
    assert again["changed"] == 0  # same day, same scores: nothing new for the CRM
    assert scored == set(people) | accounts
    assert queued == set(people) | accounts
    assert len(handoffs) == len(set(handoffs))  # one hand-off per crossing, not per run


def test_a_person_the_scorer_cannot_read_keeps_their_score_and_everyone_else_is_rescored(
    app: Flask,
) -> None:
    people = seed(12, random.Random(5))
    with session_scope(current().engine) as session:
        # Stored by an older release: a kind this one does not know.
        broken = session.exec(
            select(Touchpoint).where(col(Touchpoint.dedupe_key).startswith("tp-3-"))
        ).first()
        assert broken is not None
        broken.kind = "poke"
    with Session(current().engine) as session:
        owner = session.exec(
            select(IdentityLink.record_id).where(IdentityLink.profile_id == broken.profile_id)
        ).one()

    result = recompute_all(current().engine, batch=5, workers=1)

    with Session(current().engine) as session:
        scored = set(session.exec(select(Score.record_id)))
    assert result["people"] == 12
    assert scored >= set(people) - {owner} and owner not in scored


@pytest.mark.parametrize("change", ["touchpoint", "link"])
def test_a_touchpoint_or_link_arriving_while_a_chunk_is_scored_is_in_what_it_stores(
    app: Flask, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    people = seed(10, random.Random(11))
    engine = current().engine
    with Session(engine) as session:
        link = session.exec(select(IdentityLink).where(IdentityLink.record_id == people[4])).one()
    arrived = []
    score_chunk = bulk.score

    def live_processing_meanwhile(*args: Any, **kwargs: Any) -> Any:
        # Live processing commits while the chunk is scored outside the writers' lock.
        scored = score_chunk(*args, **kwargs)
        if not arrived:
            with session_scope(engine) as session:
                if change == "touchpoint":
                    session.add(
                        Touchpoint(
                            dedupe_key="tp-late",
                            profile_id=link.profile_id,
                            platform="linkedin",
                            kind="dm",
                            text="Can we talk about cloud security pricing?",
                            occurred_at=utcnow() - timedelta(minutes=5),
                        )
                    )
                else:
                    session.delete(session.get(IdentityLink, link.id))
            arrived.append(change)
        return scored

    monkeypatch.setattr(bulk, "score", live_processing_meanwhile)
    now = utcnow()
    recompute_all(engine, batch=10, workers=1, now=now)
    streamed = stored()
    with session_scope(engine) as session:
        rescore(session, people, now)
    assert arrived == [change]
    assert stored()["scores"] == streamed["scores"]
