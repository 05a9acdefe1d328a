"""`enrich events send-sample --platform leads`: signed lead deliveries a running enrich reads
from the platform sandbox, and LinkedIn's DELETED that erases one again."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from sqlmodel import Session, select
from werkzeug.serving import make_server

from enrich import runtime
from enrich.app import create_app
from enrich.cli import cli
from enrich.config import Settings
from enrich.db import upgrade
from enrich.leads import samples
from enrich.leads.clients import Readers
from enrich.leads.jobs import run
from enrich.models import LeadForm, LeadStatus
from enrich.sandbox.platforms import PlatformSandbox
from tests.conftest import LINKEDIN_SECRET, META_SECRET, make_settings
from tests.webhooks.support import processed


@pytest.fixture
def enrich_with_platforms(database_url: str) -> Iterator[tuple[str, Settings]]:
    with PlatformSandbox() as platforms:
        samples.seed(platforms)
        settings = make_settings(
            database_url,
            meta_graph_url=platforms.url,
            meta_page_tokens=f"*={platforms.page_token(samples.SAMPLE_PAGE)}",
            linkedin_api_url=platforms.url,
            linkedin_access_token=platforms.linkedin_token,
        )
        upgrade(database_url)
        http = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
        thread = threading.Thread(target=http.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{http.server_port}", settings
        http.shutdown()
        thread.join(5)
        runtime.uninstall()


def send(database_url: str, base: str, *extra: str) -> Result:
    env = {
        "DATABASE_URL": database_url,
        "ENRICH_ENV": "test",
        "META_APP_SECRET": META_SECRET,
        "LINKEDIN_CLIENT_SECRET": LINKEDIN_SECRET,
    }
    args = ["events", "send-sample", "--to", base, "--platform", "leads", *extra]
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)


def test_the_lead_samples_are_read_from_the_platform_sandbox_and_deleted_again(
    enrich_with_platforms: tuple[str, Settings], database_url: str
) -> None:
    base, settings = enrich_with_platforms
    result = send(database_url, base)
    assert result.exit_code == 0, result.output
    assert [line.split(" -> ")[0] for line in result.output.splitlines()] == [
        "POST /webhooks/meta",
        "POST /webhooks/linkedin",
    ]
    processed()
    engine = runtime.current().engine
    assert run(engine, settings, Readers(settings), lambda: None) == {"fetched": 2}

    result = send(database_url, base, "--deleted")
    assert result.exit_code == 0 and result.output.startswith("POST /webhooks/linkedin -> 200")
    processed()
    assert run(engine, settings, Readers(settings), lambda: None) == {"erased": 1}
    with Session(engine) as s:
        statuses = {r.source: r.status for r in s.exec(select(LeadForm))}
    assert statuses == {"meta": LeadStatus.FETCHED, "linkedin": LeadStatus.DELETED}
