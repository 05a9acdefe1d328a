"""Each CRM user may ask for a limited number of cards per minute; one busy rep (or a card
stuck in a reload loop) does not slow the others."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from enrich.config import Settings
from tests.conftest import make_settings
from tests.embed.conftest import HS_SECRET, SF_CONTACT, SF_KEY, salesforce_headers


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(
        database_url,
        hubspot_client_secret=HS_SECRET,
        salesforce_card_key=SF_KEY,
        card_requests_per_minute=3,
    )


def test_the_fourth_request_in_a_minute_is_429_with_retry_after(client: FlaskClient) -> None:
    url = f"/embed/salesforce/card?recordId={SF_CONTACT}"
    busy = salesforce_headers(user_id="005000000000BUSYAA")
    answers = [client.get(url, headers=busy) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].get_json()["error"]["code"] == "rate_limited"
    # The wait until the first of the three leaves the minute (they came seconds ago).
    assert 50 <= int(answers[-1].headers["Retry-After"]) <= 61
    other = salesforce_headers(user_id="005000000000CALMAA")
    assert client.get(url, headers=other).status_code == 200


def test_requests_that_fail_authentication_do_not_use_up_a_users_allowance(
    client: FlaskClient,
) -> None:
    url = f"/embed/salesforce/card?recordId={SF_CONTACT}"
    victim = "005000000000VICTAA"
    forged = salesforce_headers(user_id=victim, key="f" * 46)
    for _ in range(5):
        assert client.get(url, headers=forged).status_code == 401
    assert client.get(url, headers=salesforce_headers(user_id=victim)).status_code == 200
