"""A CRM storm: throttling, outages and calls that land but answer too late, for many runs.

Afterwards every touchpoint is exactly one activity on its contact (a late answer's write is
found, not repeated), the fields hold enrich's latest values, and whatever was parked as a
dead letter lands on replay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from enrich.db import session_scope
from enrich.deadletters import replay
from enrich.models import ActivityWrite, CrmRecord, DeadLetter, Score, SyncRequest, utcnow
from enrich.sandbox import Sandbox
from enrich.sync.hs_activities import NOTE_KEY_PROPERTY
from tests.sync.harness import World, people_seed

pytestmark = pytest.mark.slow
PEOPLE, TOUCHES = 60, 240


@pytest.fixture(params=["salesforce", "hubspot"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with Sandbox(seed=people_seed(PEOPLE)) as sandbox:
        w = World(tmp_path, sandbox, request.param, crm_timeout_s=0.5)
        yield w
        w.close()


def activity_keys(world: World) -> Counter[str]:
    if world.crm == "salesforce":
        return Counter(t["Enrich_Touchpoint_Id__c"] for t in world.sandbox.sf_records("Task"))
    return Counter(n["properties"][NOTE_KEY_PROPERTY] for n in world.sandbox.hs_objects("notes"))


def crm_scores(world: World) -> dict[str, float]:
    if world.crm == "salesforce":
        return {c["Email"]: c["Social_Score__c"] for c in world.sandbox.sf_records("Contact")}
    return {
        c["properties"]["email"]: float(c["properties"].get("enrich_social_score") or 0)
        for c in world.sandbox.hs_objects("contacts")
    }


def run_storm(world: World, runs: int) -> None:
    for _ in range(runs):
        world.sync()
        with session_scope(world.rt.engine) as session:  # skip backoff waits, keep the storm on
            session.execute(update(SyncRequest).values(next_attempt_at=utcnow()))


def test_a_storm_of_throttling_outages_and_late_answers_leaves_each_touchpoint_once(
    world: World,
) -> None:
    world.sandbox.set_faults(rate_429=0.2, rate_503=0.15, rate_late=0.25, late_ms=700, seed=7)
    for wave in range(0, TOUCHES, 10):  # touchpoints keep arriving while the CRM misbehaves
        world.ingest(
            [
                (
                    f"person{i % PEOPLE}@acme.example",
                    ("comment", "like", "share")[i % 3],
                    f"touch {i}",
                )
                for i in range(wave, wave + 10)
            ]
        )
        run_storm(world, 2)
    fired = world.sandbox.faults[world.crm].fired
    assert min(fired["429"], fired["503"], fired["late"]) > 0, fired
    world.sandbox.clear_faults()
    replayed = replay(world.rt.engine)
    world.sync_until_done()

    with Session(world.rt.engine) as s:
        written = list(s.exec(select(ActivityWrite)))
        assert len(written) == TOUCHES and {w.status for w in written} == {"written"}
        assert list(s.exec(select(DeadLetter).where(DeadLetter.replayed_at == None))) == []  # noqa: E711
        ours = {
            r.email: round(score)
            for r, score in s.exec(
                select(CrmRecord, Score.score)
                .join(Score, Score.record_id == CrmRecord.id)
                .where(CrmRecord.object_type == "contact")
            )
        }
    keys = activity_keys(world)
    assert sum(keys.values()) == TOUCHES, f"{sum(keys.values())} activities ({replayed} replayed)"
    assert max(keys.values()) == 1
    theirs = crm_scores(world)
    assert {email: theirs[email] for email in ours} == ours
