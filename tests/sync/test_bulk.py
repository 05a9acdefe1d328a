"""Salesforce field updates past a configurable size go through one Bulk API 2.0 job (through
simple-salesforce's `sf.bulk2`) instead of one collection call per 200 records; failed rows are
handled record by record, like a collection's."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from enrich.models import DeadLetter
from enrich.sandbox import Sandbox
from tests.sync.harness import World, people_seed

INGEST = "POST jobs/ingest"


def test_a_large_field_run_is_one_bulk_job_and_a_small_one_is_not(tmp_path: Path) -> None:
    with Sandbox(seed=people_seed(130)) as sandbox:
        world = World(
            tmp_path,
            sandbox,
            "salesforce",
            salesforce_bulk_threshold=100,
            salesforce_bulk_poll_s=0.05,
        )
        try:
            [gone] = sandbox.sf_records("Contact", Email="person7@acme.example")
            world.adapter.sf.Contact.delete(gone["Id"])
            sandbox.reset_log()
            world.ingest([(f"person{i}@acme.example", "like", None) for i in range(120)])
            stats = world.sync()
            assert sandbox.requests_count(INGEST) == 1
            assert sandbox.requests_count("PUT jobs/ingest/{job_id}/batches") == 1
            assert sandbox.requests_count("PATCH composite/sobjects") == 1  # the account only
            assert stats["written"] == 120 and stats["failed"] == 1  # 119 people + the account
            for i in (0, 59, 119):
                contact = sandbox.contact(f"person{i}@acme.example")
                assert contact is not None and contact["Social_Score__c"] > 0
                assert contact["Last_Social_Touch_Summary__c"].startswith("Liked your post")
            with Session(world.rt.engine) as s:
                [letter] = list(s.exec(select(DeadLetter)))
            assert letter.kind == "sync" and gone["Id"] in str(letter.payload)
            # Every call the job made is counted against the budget: create, upload, close,
            # poll(s), failed rows.
            assert stats["calls"] >= 5 + 1 + 1  # the job, the account, the Tasks
            sandbox.reset_log()
            world.ingest([("person1@acme.example", "comment", "again")])
            world.sync()
            assert sandbox.requests_count(INGEST) == 0  # 2 records: collections
            assert sandbox.requests_count("PATCH composite/sobjects") == 2
        finally:
            world.close()
