"""`GET /metrics`: what an operator watches, in Prometheus' text format (prometheus-client).

Two sources, so the figures are right however many processes and hosts run enrich:

- **The database**, read at scrape time: stored deliveries by source and status, processing
  lag, pending work, CRM API calls and budget, CRM writes by outcome, dead letters, match
  outcomes. Every worker's work lands there, so one scrape of any web process sees all of it.
- **Counters in this process** for what never reaches the database: webhook requests by
  receiver and HTTP status (401s from bad signatures, 413s, 503s). Under gunicorn each worker
  writes its counters to files in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's
  multiprocess mode; `enrich serve` makes a fresh folder when it is unset) and a scrape adds
  them up.

Who may read it: outside development a bearer token, ``ENRICH_METRICS_TOKEN`` (Prometheus:
``authorization: {credentials_file: ...}``); without one set, production answers 403. The
figures are not secrets, but volumes, error rates and backlog tell an outsider when a
flood of forged deliveries is hurting, and which CRM is behind enrich.
"""

from __future__ import annotations

import hmac
import os
import statistics
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast

from flask import Flask, Request, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from enrich.config import Settings
from enrich.models import (
    ActivityWrite,
    ApiUsage,
    DeadLetter,
    Handoff,
    IdentityLink,
    RawEvent,
    SyncRequest,
    Touchpoint,
    utcnow,
)
from enrich.services.stats import match_outcomes
from enrich.sync.budget import daily_limit, today

RECEIVERS = ("x", "meta", "linkedin", "standard")
# Figures are read from the database at most this often, however often /metrics is asked.
CACHE_S = 2.0
LAG_SAMPLE = 1000

# This process's counters; in multiprocess mode their values live in PROMETHEUS_MULTIPROC_DIR.
_COUNTERS = CollectorRegistry(auto_describe=True)
WEBHOOK_REQUESTS = Counter(
    "enrich_webhook_requests",
    "Webhook requests answered, by receiver and HTTP status "
    "(200 stored or duplicate, 401 bad signature, 413 too large, 503 storage down)",
    ["receiver", "status"],
    registry=_COUNTERS,
)


def count_webhook(req: Request, status: int) -> None:
    # The receiver label comes from a fixed list: a path an attacker makes up must not mint
    # a new time series per request.
    parts = req.path.split("/")
    receiver = parts[2] if len(parts) > 2 and parts[2] in RECEIVERS else "other"
    WEBHOOK_REQUESTS.labels(receiver, str(status)).inc()


def _seconds(later: datetime, earlier: datetime) -> float:
    return max((later - earlier).total_seconds(), 0.0)


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes for some aggregate queries; enrich stores UTC.
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


class DatabaseCollector(Collector):
    """The database's figures, gathered in one read-only session per scrape."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine, self.settings = engine, settings

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        with Session(self.engine) as session:
            yield from self._deliveries(session, now)
            yield from self._pending(session, now)
            yield from self._crm(session)
            yield from self._matching(session)

    def _deliveries(self, session: Session, now: datetime) -> Iterator[Metric]:
        stored = GaugeMetricFamily(
            "enrich_deliveries",
            "Stored webhook deliveries by source and status (retention purges old processed ones)",
            labels=["source", "status"],
        )
        for source, status, n in session.exec(
            select(RawEvent.source, RawEvent.status, func.count()).group_by(
                RawEvent.source, RawEvent.status
            )
        ):
            stored.add_metric([source, status], n)
        yield stored
        touchpoints = GaugeMetricFamily(
            "enrich_touchpoints", "Touchpoints stored, by platform", labels=["platform"]
        )
        for platform, n in session.exec(
            select(Touchpoint.platform, func.count()).group_by(Touchpoint.platform)
        ):
            touchpoints.add_metric([platform], n)
        yield touchpoints
        recent = session.exec(
            select(RawEvent.received_at, RawEvent.processed_at)
            .where(col(RawEvent.processed_at).is_not(None))
            .order_by(col(RawEvent.id).desc())
            .limit(LAG_SAMPLE)
        ).all()
        lags = sorted(_seconds(_aware(p), _aware(r)) for r, p in recent if p is not None)
        lag = GaugeMetricFamily(
            "enrich_processing_lag_seconds",
            f"Seconds from receipt to processed, over the last {LAG_SAMPLE} processed deliveries",
            labels=["stat"],
        )
        if lags:
            lag.add_metric(["median"], statistics.median(lags))
            lag.add_metric(["max"], lags[-1])
        yield lag

    def _pending(self, session: Session, now: datetime) -> Iterator[Metric]:
        oldest = session.exec(
            select(func.min(RawEvent.received_at)).where(RawEvent.status == "pending")
        ).one()
        yield GaugeMetricFamily(
            "enrich_oldest_pending_delivery_seconds",
            "Age of the oldest delivery not processed yet (0 when none waits)",
            value=_seconds(now, _aware(oldest)) if oldest else 0.0,
        )
        work = GaugeMetricFamily(
            "enrich_sync_requests",
            "Records waiting to be written to the "
            "CRM: due now, backing off after an error, or not yet due",
            labels=["state"],
        )
        due = session.exec(
            select(func.count())
            .select_from(SyncRequest)
            .where(col(SyncRequest.next_attempt_at) <= now)
        ).one()
        failing = session.exec(
            select(func.count())
            .select_from(SyncRequest)
            .where(col(SyncRequest.last_error).is_not(None))
        ).one()
        total = session.exec(select(func.count()).select_from(SyncRequest)).one()
        work.add_metric(["due"], due)
        work.add_metric(["failing"], failing)
        work.add_metric(["all"], total)
        yield work
        letters = GaugeMetricFamily(
            "enrich_dead_letters", "Dead letters not replayed, by kind", labels=["kind"]
        )
        for kind, n in session.exec(
            select(DeadLetter.kind, func.count())
            .where(col(DeadLetter.replayed_at).is_(None))
            .group_by(DeadLetter.kind)
        ):
            letters.add_metric([kind], n)
        yield letters

    def _crm(self, session: Session) -> Iterator[Metric]:
        crm = self.settings.crm
        calls = GaugeMetricFamily(
            "enrich_crm_api_calls_today",
            "CRM API calls spent today (UTC) by every process, pulls and writes",
            labels=["crm"],
        )
        for name, n in session.exec(
            select(ApiUsage.crm, ApiUsage.calls).where(ApiUsage.day == today())
        ):
            calls.add_metric([name], n)
        yield calls
        if crm != "none":
            yield GaugeMetricFamily(
                "enrich_crm_api_budget",
                "API calls enrich may spend today "
                "(CRM_DAILY_BUDGET, lowered to CRM_BUDGET_SHARE of the "
                "org's allocation once known)",
                value=daily_limit(self.engine, self.settings),
            )
        writes = GaugeMetricFamily(
            "enrich_crm_writes",
            "Activities and hand-off tasks by outcome (written, pending, sending, failed)",
            labels=["crm", "kind", "status"],
        )
        for name, status, n in session.exec(
            select(ActivityWrite.crm, ActivityWrite.status, func.count()).group_by(
                ActivityWrite.crm, ActivityWrite.status
            )
        ):
            writes.add_metric([name, "activity", status], n)
        for status, n in session.exec(
            select(Handoff.status, func.count()).group_by(Handoff.status)
        ):
            writes.add_metric([crm, "handoff", status], n)
        yield writes

    def _matching(self, session: Session) -> Iterator[Metric]:
        links = GaugeMetricFamily(
            "enrich_identity_links",
            "Profile-to-record links by status (auto, confirmed, pending review, rejected)",
            labels=["status"],
        )
        for status, n in session.exec(
            select(IdentityLink.status, func.count()).group_by(IdentityLink.status)
        ):
            links.add_metric([status], n)
        yield links
        profiles = GaugeMetricFamily(
            "enrich_profiles",
            "Social profiles by match outcome: linked, waiting for review, no CRM match",
            labels=["outcome"],
        )
        for outcome, n in match_outcomes(session).items():
            profiles.add_metric([outcome], n)
        yield profiles


def exposition(engine: Engine, settings: Settings) -> bytes:
    """The whole page: this process's (or every worker's) counters, then the database's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counters = CollectorRegistry()
        # prometheus-client leaves this constructor unannotated; it registers itself.
        cast(Any, MultiProcessCollector)(counters)
    else:
        counters = _COUNTERS
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector(engine, settings))
    return generate_latest(counters) + generate_latest(database)


def allowed(settings: Settings, header: str | None) -> bool:
    if settings.metrics_token:
        given = (header or "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), settings.metrics_token.encode())
    return settings.env != "production"


def init_app(app: Flask) -> None:
    cache: dict[str, tuple[float, bytes]] = {}

    @app.get("/metrics")
    def metrics() -> Response:
        settings: Settings = current_app.config["ENRICH_SETTINGS"]
        if not allowed(settings, request.headers.get("Authorization")):
            return Response(
                "metrics need 'Authorization: Bearer <ENRICH_METRICS_TOKEN>'\n",
                403,
                mimetype="text/plain",
            )
        at, body = cache.get("page", (0.0, b""))
        if time.monotonic() - at > CACHE_S:
            body = exposition(current_app.extensions["enrich.runtime"].engine, settings)
            cache["page"] = (time.monotonic(), body)
        return Response(body, mimetype=CONTENT_TYPE_LATEST)

    @app.after_request
    def _count(response: Response) -> Response:
        if request.path.startswith("/webhooks/"):
            count_webhook(request, response.status_code)
        return response
