"""The lead catch-up: list the leads each configured Meta form and LinkedIn owner received,
and name the ones no delivery named, so a lost webhook still becomes a touchpoint.

Both platforms retry a failed delivery, but not forever (Meta 36 h) and not when the app was
unsubscribed or down for longer; the listings are the backup (docs/LEAD_FORMS.md §1.4, §2.4).
Each scope (a Meta form, a LinkedIn owner) keeps a cursor (`LeadCatchup`): a run lists what
was submitted from the watermark less `LEAD_CATCHUP_OVERLAP` up to the run's start, and moves
the watermark only once the whole window was listed. What it lists goes through the same
`LeadForm` rows as a delivery (`store.record`, idempotent on (source, lead id)): a lead a
webhook already named changes nothing, a missed one is read by the leads job like any other.

Errors are those of the reads (`PlatformReadError`): throttled waits without losing the
window, a refused token or permission parks the scope with its reason until a person fixes it
and runs `enrich leads catch-up`, a transient fault waits for the next run.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from enrich import defaults
from enrich.config import Settings
from enrich.db import write_scope
from enrich.errors import PlatformReadError
from enrich.leads import store
from enrich.leads.clients import Readers
from enrich.leads.jobs import work_leads
from enrich.leads.records import LeadCatchup
from enrich.models import LeadStatus, utcnow
from enrich.normalize import LeadRef
from enrich.runtime import current

log = logging.getLogger("enrich.leads.catchup")
OK = "ok"
# How far back a scope's first run reads: what each platform still returns (§1.5, §2.5).
HORIZON = {"meta": timedelta(days=90), "linkedin": timedelta(days=365)}


def catchup_job() -> dict[str, int]:
    """Job (the scheduler's `leads_catchup` tick): every scope not parked; the leads job is
    hinted when something was new."""
    rt = current()
    readers = Readers(rt.settings)
    try:
        stats = catch_up(rt.engine, rt.settings, readers)
    finally:
        readers.http.close()
    if stats.get("added"):
        rt.queue.enqueue(work_leads, key="leads")
    return stats


def catch_up(
    engine: Engine,
    settings: Settings,
    readers: Readers,
    *,
    since: datetime | None = None,
    retry_parked: bool = False,
) -> dict[str, int]:
    """One pass over the configured scopes; counts: `listed`, `added` (no delivery had named
    them), and per scope outcome (`done`, `throttled`, `retry`, `parked`, a park status)."""
    stats: Counter[str] = Counter()
    for source, scope, account in settings.catchup_scopes():
        cursor = _cursor(engine, source, scope, account)
        now = utcnow()
        manual = since is not None or retry_parked
        if cursor.status != OK and not retry_parked:
            stats["parked"] += 1
            continue
        if cursor.next_run_at > now and not manual:
            stats["waiting"] += 1
            continue
        own_start = (
            cursor.watermark - defaults.LEAD_CATCHUP_OVERLAP
            if cursor.watermark
            else now - HORIZON[source]
        )
        start = since or own_start
        listed = added = 0
        try:
            for refs in _pages(readers, source, scope, account, start, now):
                with write_scope(engine) as session:
                    added += store.record(session, None, refs)
                listed += len(refs)
        except PlatformReadError as exc:
            stats[_refused(engine, cursor, exc)] += 1
            stats["listed"] += listed
            stats["added"] += added
            continue
        with write_scope(engine) as session:
            row = session.get(LeadCatchup, cursor.id)
            assert row is not None
            if since is None or since <= own_start:
                row.watermark = now
            # else a --since later than the cursor left a gap before it: the watermark stays,
            # so the next run still reads that gap.
            row.status, row.error, row.last_run_at = OK, None, now
            row.found, row.added = listed, added
        if added:
            log.warning(
                "%s %s: the catch-up found %d lead(s) no delivery named", source, scope, added
            )
        stats["done"] += 1
        stats["listed"] += listed
        stats["added"] += added
    return dict(+stats)  # counts that are zero left out


def _pages(
    readers: Readers,
    source: str,
    scope: str,
    account: str | None,
    since: datetime,
    until: datetime,
) -> Iterator[list[LeadRef]]:
    if source == "meta":
        return readers.meta_form_leads(scope, account, since, until)
    return readers.linkedin_owner_leads(scope, since, until)


def _cursor(engine: Engine, source: str, scope: str, account: str | None) -> LeadCatchup:
    with Session(engine) as session:
        found = session.exec(
            select(LeadCatchup).where(LeadCatchup.source == source, LeadCatchup.scope == scope)
        ).first()
    if found is not None:
        return found
    with write_scope(engine) as session:
        row = LeadCatchup(source=source, scope=scope, account=account)
        session.add(row)
    return row


def _refused(engine: Engine, cursor: LeadCatchup, exc: PlatformReadError) -> str:
    """Where a refused listing leaves the scope; its watermark stays (the window is re-read)."""
    with write_scope(engine) as session:
        row = session.get(LeadCatchup, cursor.id)
        assert row is not None
        row.error, row.last_run_at = str(exc)[:2000], utcnow()
        if exc.throttled:
            row.next_run_at = utcnow() + timedelta(seconds=exc.retry_after or 0)
            return "throttled"
        if exc.park is None and not exc.gone:
            return "retry"  # transient: the next run
        # A form or owner the platform says does not exist (or we may not see) is parked too:
        # listing it every hour would not change that.
        row.status = exc.park or LeadStatus.UNAVAILABLE
        log.warning("%s %s catch-up parked as %s: %s", row.source, row.scope, row.status, exc)
        return str(row.status)


def cursors(engine: Engine) -> list[LeadCatchup]:
    """Every scope's cursor, for `enrich leads catch-up` to show."""
    with Session(engine) as session:
        return list(
            session.exec(select(LeadCatchup).order_by(LeadCatchup.source, LeadCatchup.scope))
        )
