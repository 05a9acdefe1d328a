"""The match rules page trains weights on this CRM in the background, shows its progress and
stores the result as a version to activate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from playwright.sync_api import expect
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from enrich.console.training import STALE_AFTER
from enrich.db import session_scope
from enrich.models import TrainingRun, TrainingState, utcnow
from enrich.services import rulesets
from tests.console import seed
from tests.console.conftest import sign_in


def _runs(engine: Engine) -> list[TrainingRun]:
    with Session(engine) as session:
        return list(session.exec(select(TrainingRun).order_by(col(TrainingRun.id))))


def test_training_runs_in_the_background_and_stores_a_version_that_is_not_active(
    revops_page: Any, live: str, engine: Engine, client: FlaskClient
) -> None:
    seed.add_people(engine)
    seed.review_profiles(client, engine, 3)
    page = revops_page
    page.goto(live + "/rules/match")
    page.locator("#train-form button").click()
    # The page comes back at once and follows the run; when it ends the page shows the outcome.
    result = page.locator("#training-result")
    result.wait_for(timeout=30_000)
    note = result.inner_text()
    assert note.startswith("Trained version 1 (social-default-7-trained-"), note
    assert "not active" in note and "link at p ≥ " in note and "review at p ≥ 0.2" in note
    assert rulesets.current(engine, "match")["version"] != "1"
    [trained] = rulesets.versions(engine, "match")
    assert not trained["active"] and trained["comment"].startswith("trained: rules ")
    assert "-trained-" in rulesets.version_body(engine, "match", "1")["body"]
    [run] = _runs(engine)
    assert (run.state, run.progress, run.version) == (TrainingState.DONE, 1.0, "1")
    assert run.started_by == "rita@example.com" and run.finished_at is not None
    assert page.locator("#train-form button").is_enabled()
    assert page.js_errors == []


def test_a_run_in_progress_shows_its_progress_and_is_not_started_twice(
    revops_page: Any, live: str, engine: Engine
) -> None:
    with session_scope(engine) as session:
        session.add(
            TrainingRun(
                state=TrainingState.RUNNING, phase="random pairs", progress=0.4, started_by="ann"
            )
        )
    page = revops_page
    page.goto(live + "/rules/match")
    assert page.locator("#training-phase").inner_text() == "random pairs"
    assert page.locator("#training-progress").get_attribute("value") == "0.4"
    assert page.locator("#train-form button").is_disabled()
    # A start posted anyway (another tab) answers with the run that is going.
    page.evaluate("document.querySelector('#train-form button').disabled = false")
    page.locator("#train-form button").click()
    page.wait_for_url(live + "/rules/match#training")
    assert "Training run 1 is still going" in page.locator(".flash").inner_text()
    assert len(_runs(engine)) == 1
    # The page follows the run: its progress moves without a reload.
    with session_scope(engine) as session:
        run = session.get(TrainingRun, 1)
        assert run is not None
        run.phase, run.progress = "EM", 0.97
    expect(page.locator("#training-phase")).to_have_text("EM")
    expect(page.locator("#training-progress")).to_have_text("97 %")
    assert page.js_errors == []


def test_a_run_whose_worker_died_does_not_block_a_new_one(
    revops_page: Any, live: str, engine: Engine, client: FlaskClient
) -> None:
    seed.add_people(engine)
    seed.review_profiles(client, engine, 3)
    with session_scope(engine) as session:
        session.add(
            TrainingRun(
                state=TrainingState.RUNNING,
                started_by="ann",
                created_at=utcnow() - STALE_AFTER - timedelta(minutes=1),
            )
        )
    page = revops_page
    page.goto(live + "/rules/match")
    page.locator("#train-form button").click()
    page.locator("#training-result").wait_for(timeout=30_000)
    runs = _runs(engine)
    assert [r.state for r in runs] == [TrainingState.RUNNING, TrainingState.DONE]


def test_a_failed_run_says_why(revops_page: Any, live: str, engine: Engine) -> None:
    seed.add_people(engine)  # and no profile to learn from
    page = revops_page
    page.goto(live + "/rules/match")
    page.locator("#train-form button").click()
    result = page.locator("#training-result.flash.error")
    result.wait_for(timeout=30_000)
    assert result.inner_text() == "Training failed: training needs CRM records and profiles"
    assert [r.state for r in _runs(engine)] == [TrainingState.FAILED]
    assert rulesets.versions(engine, "match") == []
    assert page.locator("#train-form button").is_enabled()


def test_viewers_get_no_train_button_and_an_anonymous_post_trains_nothing(
    page: Any, live: str, engine: Engine, client: FlaskClient
) -> None:
    sign_in(page, live, seed.user(engine, "vic@example.com", "viewer"))
    page.goto(live + "/rules/match")
    assert page.locator("#train-form").count() == 0
    assert client.post("/rules/match/train").status_code in (302, 400, 401, 403)
    assert client.get("/rules/match/train/1").status_code in (302, 401, 403)
    assert rulesets.versions(engine, "match") == []
    assert _runs(engine) == []


def test_the_progress_of_an_unknown_run_is_404(revops_page: Any, live: str) -> None:
    answer = revops_page.request.get(live + "/rules/match/train/99")
    assert answer.status == 404
