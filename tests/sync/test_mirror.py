"""The CRM mirror: people, accounts and the open pipeline, pulled through the real clients."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from enrich.models import CrmRecord
from enrich.sync.mirror import pull
from enrich.sync.sandbox import SAMPLE_SEED, Sandbox
from tests.sync.harness import World


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_opportunities_are_mirrored_with_their_account(crm: str, tmp_path: Path) -> None:
    with Sandbox(seed=SAMPLE_SEED) as sandbox:
        world = World(tmp_path, sandbox, crm)
        try:
            with Session(world.rt.engine) as s:
                accounts = {a.crm_id for a in s.exec(
                    select(CrmRecord).where(CrmRecord.object_type == "account"))}
                opps = list(s.exec(select(CrmRecord).where(CrmRecord.object_type == "opportunity")))
            assert len(opps) == 5
            assert all(o.account_crm_id in accounts and o.title for o in opps)
            assert all((o.raw or {}).get("Amount") or (o.raw or {}).get("amount") for o in opps)
        finally:
            world.close()


def test_an_incremental_pull_with_nothing_new_changes_nothing(tmp_path: Path) -> None:
    with Sandbox(seed=SAMPLE_SEED) as sandbox:
        world = World(tmp_path, sandbox, "salesforce")
        try:
            with Session(world.rt.engine) as s:
                before = len(list(s.exec(select(CrmRecord))))
            counts = pull(world.rt.engine, world.adapter)
            with Session(world.rt.engine) as s:
                assert len(list(s.exec(select(CrmRecord)))) == before
            assert sum(counts.values()) == 0  # already stored: skipped, not re-upserted
        finally:
            world.close()
