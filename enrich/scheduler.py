"""Periodic jobs: sweep (re-enqueue stale work), sync pending writes, pull the CRM mirror,
decay scores and purge what is past retention.

With Redis the scheduler only enqueues (workers run the jobs); embedded, it hands them to the
in-process queue. Either way each job is idempotent, so two schedulers are wasteful, not wrong;
sync passes take a lease (enrich/sync/outbox.py), so every gunicorn worker's scheduler may ask
for one and only one pass runs at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from enrich import defaults
from enrich.leads.catchup import catchup_job
from enrich.leads.jobs import work_leads
from enrich.pipeline import sweep
from enrich.retention import retention_job
from enrich.runtime import Runtime
from enrich.scoring.recompute import decay_job
from enrich.services.duplicates import scan_job
from enrich.sync.mirror import pull_job
from enrich.sync.writer import sync_pending

log = logging.getLogger("enrich.scheduler")


@dataclass
class Periodic:
    every_s: float
    func: Callable[..., Any]
    key: str
    next_at: float = 0.0


def default_jobs(rt: Runtime) -> list[Periodic]:
    jobs = [
        Periodic(defaults.SWEEP_EVERY_S, sweep, "sweep"),
        # first run a minute after start, then daily: scores decay without new events
        Periodic(defaults.DECAY_EVERY_S, decay_job, "decay", next_at=time.monotonic() + 60),
        Periodic(
            defaults.RETENTION_EVERY_S, retention_job, "retention", next_at=time.monotonic() + 300
        ),
        Periodic(defaults.DUPLICATES_EVERY_S, scan_job, "duplicates"),
        Periodic(defaults.LEADS_EVERY_S, work_leads, "leads"),
    ]
    if rt.settings.catchup_scopes():
        # first run two minutes after start (a deploy's restart catches up at once), then hourly
        jobs.append(
            Periodic(
                defaults.LEADS_CATCHUP_EVERY_S,
                catchup_job,
                "leads_catchup",
                next_at=time.monotonic() + 120,
            )
        )
    if rt.settings.crm != "none":
        jobs += [
            Periodic(defaults.SYNC_EVERY_S, sync_pending, "sync"),
            Periodic(defaults.PULL_EVERY_S, pull_job, "pull"),
        ]
    return jobs


class Scheduler:
    def __init__(self, rt: Runtime, jobs: list[Periodic] | None = None) -> None:
        self.rt = rt
        self.jobs = jobs if jobs is not None else default_jobs(rt)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> None:
        now = time.monotonic()
        for job in self.jobs:
            if now >= job.next_at:
                job.next_at = now + job.every_s
                self.rt.queue.enqueue(job.func, key=job.key)

    def run_forever(self) -> None:
        log.info(
            "scheduler started (%s queue): %s",
            self.rt.queue.kind,
            ", ".join(f"{j.key} every {j.every_s:g}s" for j in self.jobs),
        )
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a failing tick must not stop the next ones
                log.exception("scheduler tick failed")
            self._stop.wait(1.0)

    def start(self) -> Scheduler:
        self._thread = threading.Thread(
            target=self.run_forever, name="enrich-scheduler", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
