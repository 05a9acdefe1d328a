"""Training the match rules' weights in the background, with progress the rules page shows.

Training reads the whole mirror and compares ~100,000 pairs (~40 s on a 100,000-record
mirror): too long for a web request. ``start`` records a run and queues ``run``, a job that
takes the run's id; the job trains (``linking.train_rules``), stores the trained rules as a
new match rules version that is *not* active, and records the outcome. The page polls
``status``. One run at a time: starting while one is queued or running answers with that
one, unless it has not finished within ``STALE_AFTER`` (its worker died).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from enrich import linking
from enrich.db import session_scope
from enrich.errors import InputError
from enrich.matching.rules import dump_rules
from enrich.models import TrainingRun, TrainingState, utcnow
from enrich.runtime import current
from enrich.services import rulesets

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=30)
PROGRESS_EVERY_S = 0.5  # how often a run writes its progress (each is a transaction)
_OPEN = (TrainingState.QUEUED, TrainingState.RUNNING)


def as_dict(run: TrainingRun) -> dict[str, Any]:
    """The run as the page and its poll read it; ``going``: queued or running, and not stale."""
    return {
        "going": run.state in _OPEN and run.created_at > utcnow() - STALE_AFTER,
        "id": run.id,
        "state": run.state,
        "phase": run.phase,
        "progress": round(run.progress, 3),
        "started_by": run.started_by,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "message": run.message,
        "version": run.version,
    }


def start(engine: Engine, actor: str) -> tuple[dict[str, Any], bool]:
    """Queue a run (or find the one still going): its status, and whether it is new."""
    with session_scope(engine) as session:
        going = session.exec(
            select(TrainingRun)
            .where(col(TrainingRun.state).in_(_OPEN))
            .where(TrainingRun.created_at > utcnow() - STALE_AFTER)
            .order_by(col(TrainingRun.id).desc())
        ).first()
        if going is not None:
            return as_dict(going), False
        row = TrainingRun(
            state=TrainingState.QUEUED, phase="waiting for a worker", started_by=actor
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        run_id = row.id
    if not current().queue.enqueue(run, run_id):
        _finish(engine, run_id, TrainingState.FAILED, "no worker could take the job; try again")
    found = status(engine, run_id)
    assert found is not None
    return found, True


def status(engine: Engine, run_id: int) -> dict[str, Any] | None:
    with Session(engine) as session:
        row = session.get(TrainingRun, run_id)
        return as_dict(row) if row is not None else None


def latest(engine: Engine) -> dict[str, Any] | None:
    """The most recent run, for the rules page."""
    with Session(engine) as session:
        row = session.exec(select(TrainingRun).order_by(col(TrainingRun.id).desc())).first()
        return as_dict(row) if row is not None else None


def run(run_id: int) -> None:
    """Job: train, store the result as an inactive version, record the outcome."""
    engine = current().engine
    with session_scope(engine) as session:
        row = session.get(TrainingRun, run_id)
        if row is None or row.state != TrainingState.QUEUED:
            return  # an old or repeated job: someone else ran it
        row.state, row.phase, actor = TrainingState.RUNNING, "reading the mirror", row.started_by
    last = 0.0

    def progress(phase: str, done: float) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S:
            last = now
            with session_scope(engine) as s:
                r = s.get(TrainingRun, run_id)
                if r is not None:
                    r.phase, r.progress = phase, done

    try:
        with Session(engine) as session:
            result = linking.train_rules(session, progress=progress)
        first = result.report().splitlines()[0]
        saved = rulesets.save(
            engine, "match", dump_rules(result.rules), actor, f"trained: {first}", activate=False
        )
    except (InputError, ValueError) as exc:
        _finish(engine, run_id, TrainingState.FAILED, f"Training failed: {exc}")
        return
    except Exception:
        log.exception("training run %s failed", run_id)
        _finish(engine, run_id, TrainingState.FAILED, "Training failed: see the server log")
        raise
    th = result.rules.thresholds
    changed = sum(abs(c.after - c.before) >= 0.05 for c in result.changes)
    _finish(
        engine,
        run_id,
        TrainingState.DONE,
        f"Trained version {saved['version']} ({result.rules.version}), not active: {changed} "
        f"weights moved; link at p ≥ {th.link_probability:g} ({th.link:.2f} bits), review at "
        f"p ≥ {th.review_probability:g}. Preview it, then activate it below.",
        str(saved["version"]),
    )


def _finish(
    engine: Engine, run_id: int, state: str, message: str, version: str | None = None
) -> None:
    with session_scope(engine) as session:
        row = session.get(TrainingRun, run_id)
        if row is not None:
            row.state, row.message, row.version = state, message, version
            row.finished_at = utcnow()
            if state == TrainingState.DONE:
                row.phase, row.progress = "done", 1.0
