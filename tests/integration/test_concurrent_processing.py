"""Workers processing at once on PostgreSQL lose no score update.

One person's deliveries are serialised by their profile's row, but colleagues at one account
meet on the account's roll-up: a worker that read the other's person score before it was
committed must not overwrite the account with that stale value.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import Session, select

from enrich import runtime
from enrich.db import session_scope, upgrade
from enrich.models import (
    CrmRecord,
    IdentityLink,
    LinkStatus,
    Score,
    SocialProfile,
    Touchpoint,
    utcnow,
)
from enrich.scoring.rescore import rescore, rollup
from enrich.sync.adapter import MirrorRow
from enrich.sync.mirror import _upsert
from tests import servers
from tests.conftest import make_settings
from tests.integration.conftest import postgres_database

ACCOUNT = "001000000000000001"


def engage(session: Session, person: int) -> int:
    """Person `person` comments (linked by hand); returns their record id."""
    record = session.exec(
        select(CrmRecord).where(CrmRecord.email == f"p{person}@acme.example")
    ).one()
    profile = SocialProfile(platform="linkedin", platform_user_id=f"li-{person}")
    session.add(profile)
    session.flush()
    session.add(
        IdentityLink(
            profile_id=profile.id,
            record_id=record.id,
            status=LinkStatus.CONFIRMED,
        )
    )
    session.add(
        Touchpoint(
            dedupe_key=f"tp-{person}",
            profile_id=profile.id,
            platform="linkedin",
            kind="comment",
            text="cloud security",
        )
    )
    session.flush()
    return record.id


@pytest.mark.postgres
def test_colleagues_scored_at_once_both_count_in_their_account(
    postgres_server: servers.Server,
) -> None:
    settings = make_settings(postgres_database(postgres_server))
    upgrade(settings.database_url)
    rt = runtime.install(runtime.build(settings, embedded_worker=False))
    try:
        engine = rt.engine
        with session_scope(engine) as session:
            _upsert(
                session,
                "salesforce",
                [
                    MirrorRow(
                        object_type="account", crm_id=ACCOUNT, modified_at=utcnow(), company="Acme"
                    )
                ],
            )
            _upsert(
                session,
                "salesforce",
                [
                    MirrorRow(
                        object_type="contact",
                        crm_id=f"003{i:015d}",
                        modified_at=utcnow(),
                        first_name=f"Person{i}",
                        last_name="Tester",
                        email=f"p{i}@acme.example",
                        account_crm_id=ACCOUNT,
                    )
                    for i in (1, 2)
                ],
            )
            account = session.exec(select(CrmRecord).where(CrmRecord.crm_id == ACCOUNT)).one()
            session.add(Score(record_id=account.id, score=0.0))  # scored before: an update race

        first = Session(engine)  # worker A: scores person 1, not yet committed
        rescore(first, [engage(first, 1)])

        def worker_b() -> None:  # worker B: person 2, meanwhile
            with session_scope(engine) as session:
                rescore(session, [engage(session, 2)])

        b = threading.Thread(target=worker_b)
        b.start()
        time.sleep(1.0)  # B has read the account's people (or waits its turn)
        first.commit()
        first.close()
        b.join(30)

        with Session(engine) as s:
            account_id = s.exec(select(CrmRecord.id).where(CrmRecord.crm_id == ACCOUNT)).one()
            stored = s.exec(select(Score.score).where(Score.record_id == account_id)).one()
            people = s.exec(
                select(Score.score)
                .join(CrmRecord, CrmRecord.id == Score.record_id)
                .where(CrmRecord.object_type == "contact")
            ).all()
            fresh = rollup(s, "salesforce", ACCOUNT, utcnow())
            assert fresh is not None
            expected = fresh.score
            s.rollback()
        assert len(people) == 2 and all(score > 0 for score in people)
        assert stored == pytest.approx(expected, abs=0.05)
    finally:
        runtime.uninstall()
