"""`enrich leads subscribe` installs the app on each configured Page for `leadgen` and
subscribes our LinkedIn webhook to each configured owner, once however often it runs, and
says which target refused and why (against the platform sandbox's subscription endpoints)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from enrich.cli.leads import leads
from enrich.leads.subscribe import subscribe
from enrich.sandbox import Sandbox
from enrich.sandbox.platforms import PlatformSandbox
from tests.leads.harness import ORG, PAGE, LeadWorld
from tests.sync.harness import people_seed


@pytest.fixture
def world(tmp_path: Path) -> Iterator[LeadWorld]:
    with Sandbox(seed=people_seed(1)) as sandbox, PlatformSandbox() as platforms:
        w = LeadWorld(
            tmp_path,
            sandbox,
            platforms,
            "salesforce",
            lead_forms_meta_forms=f"5278296666664={PAGE},5278296666665={PAGE}",
            lead_forms_linkedin_owners=f"{ORG},urn:li:sponsoredAccount:507404993",
        )
        yield w
        w.close()


def test_each_page_and_owner_is_subscribed_once(world: LeadWorld) -> None:
    [page, refused] = subscribe(world.settings, world.readers)  # PUBLIC_URL is http://
    assert (page.target, page.state) == (f"meta page {PAGE}", "subscribed")
    assert refused.state == "failed" and "HTTPS only" in refused.detail
    world.settings = world.settings.model_copy(update={"public_url": "https://enrich.example"})
    first = subscribe(world.settings, world.readers)
    assert [(o.target, o.state) for o in first] == [
        (f"meta page {PAGE}", "exists"),  # two forms, one Page: one install, made above
        (f"linkedin {ORG} COMPANY", "subscribed"),
        (f"linkedin {ORG} EVENT", "subscribed"),
        (f"linkedin {ORG} ORGANIZATION_PRODUCT", "subscribed"),
        ("linkedin urn:li:sponsoredAccount:507404993 SPONSORED", "subscribed"),
    ]
    assert world.platforms.page_apps == {PAGE: ["leadgen"]}
    webhooks = {s["webhook"] for s in world.platforms.lead_notifications.values()}
    assert webhooks == {"https://enrich.example/webhooks/linkedin"}
    assert len(world.platforms.lead_notifications) == 4

    again = subscribe(world.settings, world.readers)
    assert {o.state for o in again} == {"exists"}
    assert len(world.platforms.lead_notifications) == 4


def test_a_refusal_is_reported_per_target_and_the_command_fails(world: LeadWorld) -> None:
    world.platforms.revoke_tokens()
    world.settings = world.settings.model_copy(update={"public_url": "https://enrich.example"})
    result = CliRunner().invoke(leads, ["subscribe"], obj={"settings": world.settings})
    assert result.exit_code == 1
    assert f"needs_token       meta page {PAGE}" in result.output
    assert "META_PAGE_TOKENS" in result.stderr and "LINKEDIN_ACCESS_TOKEN" in result.stderr
    assert world.platforms.page_apps == {} and world.platforms.lead_notifications == {}


def test_the_sandbox_refuses_a_subscription_that_is_not_https(world: LeadWorld) -> None:
    answer = requests.post(
        f"{world.platforms.url}/rest/leadNotifications",
        json={
            "webhook": "http://evil.example/x",
            "owner": {"organization": ORG},
            "leadType": "COMPANY",
        },
        headers={
            "Authorization": f"Bearer {world.platforms.linkedin_token}",
            "LinkedIn-Version": "202601",
            "X-Restli-Protocol-Version": "2.0.0",
        },
        timeout=5,
    )
    assert answer.status_code == 400 and "https" in answer.json()["message"]
