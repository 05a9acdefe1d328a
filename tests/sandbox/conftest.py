"""Fixtures: a running sandbox and the real CRM clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hubspot import HubSpot
from simple_salesforce import Salesforce

from enrich.sandbox import SAMPLE_SEED, Sandbox


@pytest.fixture
def seed() -> Any:
    """The seed a test runs on; override in a module (or parametrize) to change it."""
    return SAMPLE_SEED


@pytest.fixture
def sandbox(seed: Any) -> Iterator[Sandbox]:
    with Sandbox(seed=seed) as running:
        yield running


def salesforce_client(sandbox: Sandbox, session_id: str | None = None) -> Salesforce:
    session = requests.Session()
    session.verify = str(sandbox.ca_path)
    # Without this, REQUESTS_CA_BUNDLE from the environment overrides `verify` (crm.md §1).
    session.trust_env = False
    return Salesforce(
        instance_url=sandbox.salesforce_url,
        session_id=session_id or sandbox.session_id,
        session=session,
    )


@pytest.fixture
def sf(sandbox: Sandbox) -> Iterator[Salesforce]:
    client = salesforce_client(sandbox)
    yield client
    client.session.close()


@pytest.fixture
def hs(sandbox: Sandbox) -> HubSpot:
    return HubSpot(access_token=sandbox.access_token, host=sandbox.hubspot_url)
