"""The catch-up lists each configured form's and owner's leads and reads the ones no webhook
delivered, through the same LeadForm rows: a lost delivery still becomes a touchpoint, a
delivered one is never counted twice; paging, the window and refusals as the platforms
answer them (our reader against the platform sandbox)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from sqlalchemy import update
from sqlmodel import Session, select

from enrich.cli.leads import leads
from enrich.config import Settings
from enrich.db import session_scope
from enrich.leads.catchup import catch_up, catchup_job, cursors
from enrich.leads.records import LeadCatchup
from enrich.models import LeadStatus, Touchpoint
from enrich.sandbox import Sandbox
from enrich.sandbox.platforms import PlatformSandbox
from enrich.scheduler import default_jobs
from tests.leads.harness import ORG, PAGE, LeadWorld
from tests.sync.harness import people_seed

FORM = "5278296666664"
DANA = "urn:li:person:DanaLead1"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[LeadWorld]:
    with Sandbox(seed=people_seed(3)) as sandbox, PlatformSandbox() as platforms:
        w = LeadWorld(
            tmp_path,
            sandbox,
            platforms,
            "salesforce",
            crm_timeout_s=0.5,
            lead_forms_meta_forms=f"{FORM}={PAGE}",
            lead_forms_linkedin_owners=ORG,
        )
        yield w
        w.close()


def recent(days: float = 0.25) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def add_meta(world: LeadWorld, lead_id: str, n: int, when: datetime | None = None) -> None:
    world.platforms.add_meta_lead(
        PAGE,
        lead_id,
        FORM,
        {"full_name": f"Meta Person{n}", "email": f"meta{n}@prospect.example"},
        created_time=(when or recent()).strftime("%Y-%m-%dT%H:%M:%S+0000"),
    )


def add_linkedin(world: LeadWorld, response_id: str, n: int, when: datetime | None = None) -> None:
    world.platforms.add_linkedin_lead(
        response_id,
        "77",
        {"FIRST_NAME": "Li", "LAST_NAME": f"Person{n}", "EMAIL": f"li{n}@prospect.example"},
        f"urn:li:person:LiPerson{n}",
        owner=ORG,
        submitted_at=int((when or recent()).timestamp() * 1000),
    )


def catch(
    world: LeadWorld, since: datetime | None = None, retry_parked: bool = False
) -> dict[str, int]:
    return catch_up(
        world.rt.engine, world.settings, world.readers, since=since, retry_parked=retry_parked
    )


def lead_touchpoints(world: LeadWorld) -> list[str]:
    with Session(world.rt.engine) as s:
        return sorted(
            t.dedupe_key for t in s.exec(select(Touchpoint).where(Touchpoint.kind == "lead_form"))
        )


def cursor_of(world: LeadWorld, source: str) -> LeadCatchup:
    [found] = [c for c in cursors(world.rt.engine) if c.source == source]
    return found


def due_now(world: LeadWorld) -> None:
    with session_scope(world.rt.engine) as s:
        s.execute(update(LeadCatchup).values(next_run_at=datetime.now(UTC)))


def test_a_lost_webhook_is_found_and_a_delivered_one_is_not_counted_twice(
    world: LeadWorld,
) -> None:
    add_meta(world, "1000000000000001", 1)
    add_meta(world, "1000000000000002", 2)  # its delivery was lost
    add_linkedin(world, "li-delivered-1", 1)
    add_linkedin(world, "li-lost-2", 2)
    assert world.meta_leadgen("1000000000000001").status_code == 200
    assert world.linkedin_lead("li-delivered-1").status_code == 200
    world.process()
    assert world.leads() == {"fetched": 2}

    stats = catch(world)
    assert (stats["listed"], stats["added"], stats["done"]) == (4, 2, 2)
    assert world.leads() == {"fetched": 2}
    assert lead_touchpoints(world) == [
        "linkedin:lead:li-delivered-1",
        "linkedin:lead:li-lost-2",
        "meta:lead:1000000000000001",
        "meta:lead:1000000000000002",
    ]
    # The next run re-reads the overlap: everything listed again, nothing new, nothing read.
    due_now(world)
    again = catch(world)
    assert (again["listed"], again.get("added", 0)) == (4, 0)
    assert world.leads() == {}
    assert len(lead_touchpoints(world)) == 4
    # A delivery arriving late for a lead the catch-up already found is a no-op as well.
    assert world.meta_leadgen("1000000000000002").status_code == 200
    world.process()
    assert world.leads() == {}
    assert len(world.lead_rows()) == 4


def test_every_page_of_a_long_listing_is_read(world: LeadWorld) -> None:
    world.readers.page_size = 2
    for n in range(5):
        add_meta(world, f"20000000000000{n:02d}", n)
        add_linkedin(world, f"li-page-{n}", n)
    world.platforms.calls.clear()
    stats = catch(world)
    assert (stats["listed"], stats["added"]) == (10, 10)
    meta_pages = world.platforms.calls.count("GET /{version}/{id}/leads")
    finder_calls = world.platforms.calls.count("GET /rest/leadFormResponses")
    assert meta_pages == 3  # 2 + 2 + 1
    assert finder_calls == 3 + 2  # COMPANY: 2 + 2 + 1; EVENT and ORGANIZATION_PRODUCT: empty
    assert world.leads() == {"fetched": 10}
    assert len(lead_touchpoints(world)) == 10


def test_the_window_starts_an_overlap_before_the_watermark(world: LeadWorld) -> None:
    add_meta(world, "3000000000000001", 1, when=recent(days=30))
    add_linkedin(world, "li-old", 1, when=recent(days=200))
    add_linkedin(world, "li-too-old", 2, when=recent(days=400))  # past LinkedIn's 365 days
    first = catch(world)
    assert first["added"] == 2
    meta = cursor_of(world, "meta")
    assert meta.status == "ok" and meta.watermark is not None
    assert datetime.now(UTC) - meta.watermark < timedelta(minutes=1)

    # A lead from before the overlap is not listed again; one inside it is.
    add_meta(world, "3000000000000002", 2, when=recent(days=0.5))
    add_meta(world, "3000000000000003", 3, when=recent(days=3))
    due_now(world)
    second = catch(world)
    assert (second["listed"], second["added"]) == (1, 1)
    # --since reads further back without moving the watermark backwards.
    third = catch(world, since=recent(days=10))
    assert (third["listed"], third["added"]) == (2, 1)  # the 0.5- and 3-day-old Meta leads
    moved = cursor_of(world, "meta").watermark
    assert moved is not None and meta.watermark is not None and moved >= meta.watermark
    # A --since later than the cursor's own start would leave a gap: the watermark stays.
    with session_scope(world.rt.engine) as s:
        s.execute(update(LeadCatchup).values(watermark=recent(days=5)))
    catch(world, since=recent(days=0.1))
    kept = cursor_of(world, "meta").watermark
    assert kept is not None and datetime.now(UTC) - kept > timedelta(days=4)


def test_a_scheduled_run_waits_for_its_next_time(world: LeadWorld) -> None:
    add_meta(world, "3100000000000001", 1)
    assert catch(world)["added"] == 1
    with session_scope(world.rt.engine) as s:
        s.execute(update(LeadCatchup).values(next_run_at=datetime.now(UTC) + timedelta(hours=1)))
    assert catch(world) == {"waiting": 2}


def test_a_refused_token_parks_the_scope_until_a_person_runs_it_again(world: LeadWorld) -> None:
    add_meta(world, "4000000000000001", 1)
    add_linkedin(world, "li-parked", 1)
    world.platforms.fail(FORM, 190, 460)
    world.platforms.fail(ORG, 401)
    stats = catch(world)
    assert stats == {"needs_token": 2}
    meta, linkedin = cursor_of(world, "meta"), cursor_of(world, "linkedin")
    assert meta.status == linkedin.status == LeadStatus.NEEDS_TOKEN
    assert meta.error is not None and "META_PAGE_TOKENS" in meta.error
    assert linkedin.error is not None and "LINKEDIN_ACCESS_TOKEN" in linkedin.error
    assert meta.watermark is None  # the window was not read: nothing is skipped later

    world.platforms.clear_errors()
    due_now(world)
    assert catch(world) == {"parked": 2}  # the schedule does not hammer a refused token
    fixed = catch(world, retry_parked=True)  # `enrich leads catch-up` once it is fixed
    assert (fixed["done"], fixed["added"]) == (2, 2)
    assert cursor_of(world, "meta").status == "ok" and cursor_of(world, "meta").error is None


def test_a_throttled_listing_waits_and_keeps_its_window(world: LeadWorld) -> None:
    add_meta(world, "5000000000000001", 1)
    world.platforms.fail(FORM, 80005)
    world.platforms.fail(ORG, 429)
    assert catch(world) == {"throttled": 2}
    meta, linkedin = cursor_of(world, "meta"), cursor_of(world, "linkedin")
    assert meta.status == "ok" and meta.watermark is None
    assert meta.next_run_at > datetime.now(UTC) + timedelta(minutes=4)  # Meta: 300 s
    assert linkedin.next_run_at.hour == 0 or linkedin.next_run_at.date() > datetime.now(UTC).date()
    world.platforms.clear_errors()
    assert catch(world) == {"waiting": 2}
    due_now(world)
    assert catch(world)["added"] == 1


def test_a_form_that_does_not_exist_is_parked_not_listed_every_hour(world: LeadWorld) -> None:
    # No lead was ever added: the sandbox does not know the form (Meta's 100/33).
    stats = catch(world)
    assert stats["unavailable"] == 1 and stats["done"] == 1  # LinkedIn: an empty listing
    assert cursor_of(world, "meta").status == LeadStatus.UNAVAILABLE


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("lead_forms_meta_forms", "5278296666664", "<form id>=<page id>"),
        ("lead_forms_meta_forms", "abc=123", "<form id>=<page id>"),
        ("lead_forms_linkedin_owners", "urn:li:person:1", "urn:li:organization:<id>"),
        ("lead_forms_linkedin_owners", "urn:li:organization:1)&q=x", "urn:li:organization:<id>"),
    ],
)
def test_catchup_scopes_are_checked_when_settings_load(name: str, value: str, says: str) -> None:
    with pytest.raises(ValidationError, match=says.replace("<", ".").replace(">", ".")):
        Settings.model_validate({name: value})


def test_the_cli_lists_reads_and_says_what_is_parked(world: LeadWorld) -> None:
    add_meta(world, "6000000000000001", 1)
    world.platforms.fail(ORG, 403)
    runner = CliRunner()
    result = runner.invoke(leads, ["catch-up"], obj={"settings": world.settings})
    assert result.exit_code == 1, result.output  # a scope is parked: a script sees it
    assert "1 lead(s) no delivery had named" in result.output
    assert "1 fetched" in result.output
    assert "needs_permission" in result.output
    assert "r_marketing_leadgen_automation" in result.stderr
    assert lead_touchpoints(world) == ["meta:lead:6000000000000001"]

    world.platforms.clear_errors()
    again = runner.invoke(
        leads, ["catch-up", "--since", "2026-01-01"], obj={"settings": world.settings}
    )
    assert again.exit_code == 0, again.output
    assert "0 lead(s) no delivery had named" in again.output


def test_the_cli_says_what_to_configure_when_nothing_is(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/e.db")
    result = CliRunner().invoke(leads, ["catch-up"], obj={"settings": settings})
    assert result.exit_code == 1
    assert "LEAD_FORMS_META_FORMS" in result.output


def test_the_scheduler_runs_the_catch_up_only_when_scopes_are_configured(
    world: LeadWorld, tmp_path: Path
) -> None:
    [job] = [j for j in default_jobs(world.rt) if j.key == "leads_catchup"]
    assert job.every_s == 3600 and job.func is catchup_job
    world.rt.settings = Settings(database_url=f"sqlite:///{tmp_path}/other.db")
    assert "leads_catchup" not in {j.key for j in default_jobs(world.rt)}
