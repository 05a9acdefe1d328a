"""The match rules page trains weights on this CRM and stores them as a version to activate."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine

from enrich.services import rulesets
from tests.console import seed
from tests.console.conftest import sign_in


def test_training_stores_a_new_version_that_is_not_active(
    revops_page: Any, live: str, engine: Engine, client: FlaskClient
) -> None:
    seed.add_people(engine)
    seed.review_profiles(client, engine, 3)
    page = revops_page
    page.goto(live + "/rules/match")
    page.locator("#train-form button").click()
    page.wait_for_url(live + "/rules/match")
    note = page.locator(".flash.ok").inner_text()
    assert note.startswith("Trained version 1 (social-default-5-trained-")
    assert "not active" in note and "link at p ≥ 0.99 = 6.63 bits" in note
    assert rulesets.current(engine, "match")["version"] != "1"
    [trained] = rulesets.versions(engine, "match")
    assert not trained["active"] and trained["comment"].startswith("trained: rules ")
    assert "-trained-" in rulesets.version_body(engine, "match", "1")["body"]
    assert page.js_errors == []


def test_viewers_get_no_train_button_and_an_anonymous_post_trains_nothing(
    page: Any, live: str, engine: Engine, client: FlaskClient
) -> None:
    sign_in(page, live, seed.user(engine, "vic@example.com", "viewer"))
    page.goto(live + "/rules/match")
    assert page.locator("#train-form").count() == 0
    assert client.post("/rules/match/train").status_code in (302, 400, 401, 403)
    assert rulesets.versions(engine, "match") == []
