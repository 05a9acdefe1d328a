"""The review page says why a pair needs a person, beyond the weights."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from tests.console import seed

pytestmark = pytest.mark.browser


def test_a_possible_job_change_is_said_above_the_candidate(
    revops_page: Any, live: str, client: FlaskClient, engine: Engine
) -> None:
    seed.add_people(engine)
    seed.deliver(
        client,
        engine,
        {"id": "li-priya", "name": "Priya Natarajan", "bio": "CISO at Hooli", "location": "Boston"},
    )
    page = revops_page
    page.goto(f"{live}/review")
    hint = page.locator(".candidate [data-hint=job_change]")
    assert hint.count() == 1
    assert hint.inner_text().startswith(
        "Possible job change: the name, the title and the city agree"
    )
    assert page.js_errors == []
