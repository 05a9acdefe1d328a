"""Likely duplicate CRM records, listed for RevOps (the console's `/people/duplicates` and
`GET /api/v1/people/duplicates`): the pairs the active match rules' `duplicates` rule finds
among the mirror's contacts and leads (`enrich.matching.duplicates`), the record the survivor
rule keeps, and how to merge them in the CRM.

A periodic job (`scan_job`) finds the pairs and stores them (`CrmDuplicate`), only when the
mirror or the rules moved since the last scan; a request only reads them, a page at a time, so
no request pays for a search of a million records.
"""

from __future__ import annotations

import logging
import time
from typing import Any, NamedTuple

from sqlalchemy import Engine, and_, delete, func, insert, or_
from sqlmodel import Session, col, select

from enrich.config import Settings
from enrich.db import session_scope
from enrich.linking import active_rules, to_person
from enrich.matching.duplicates import pairs
from enrich.models import CrmDuplicate, CrmRecord, DuplicateScan, table_of
from enrich.runtime import current
from enrich.services.people import crm_url, record_summary

log = logging.getLogger("enrich.duplicates")
_PEOPLE = ("contact", "lead")


def _mirror_key(session: Session) -> str:
    """What a scan's outcome depends on: the rules' version and the mirror's freshness (any
    record added, or changed in what the matcher reads, moves it: `sync.mirror`)."""
    rules = active_rules(session)
    newest, last_id = session.exec(
        select(
            select(func.max(CrmRecord.pulled_at)).scalar_subquery(),
            select(func.max(CrmRecord.id)).scalar_subquery(),
        )
    ).one()
    return f"{rules.version}|{newest.isoformat() if newest else ''}|{last_id or 0}"[:200]


def scan(engine: Engine, *, force: bool = False) -> DuplicateScan | None:
    """Find the mirror's duplicate pairs and store them in place of the last scan's; None
    (nothing done) when the mirror and the rules are as the last scan saw them."""
    started = time.perf_counter()
    with Session(engine) as session:
        key = _mirror_key(session)
        last = session.exec(
            select(DuplicateScan).order_by(col(DuplicateScan.id).desc()).limit(1)
        ).first()
        if last is not None and last.mirror_key == key and not force:
            return None
        rule = active_rules(session).duplicates
        # Streamed: only the matcher's view of each record is kept, not a million ORM rows.
        people = [
            to_person(r)
            for r in session.exec(
                select(CrmRecord)
                .where(
                    col(CrmRecord.object_type).in_(_PEOPLE),
                    CrmRecord.deleted == False,  # noqa: E712
                )
                .execution_options(yield_per=5000)
            )
        ]
    rows = [
        {
            "record_id": min(int(people[p.first].id), int(people[p.second].id)),
            "other_id": max(int(people[p.first].id), int(people[p.second].id)),
            "evidence": list(p.evidence),
        }
        for p in pairs(people, rule)
    ]
    table = table_of(CrmDuplicate)
    with session_scope(engine) as session:
        conn = session.connection()
        conn.execute(delete(table))
        for start in range(0, len(rows), 5000):
            conn.execute(insert(table), rows[start : start + 5000])
        done = DuplicateScan(
            mirror_key=key,
            records=len(people),
            pairs=len(rows),
            seconds=round(time.perf_counter() - started, 3),
        )
        session.add(done)
        session.execute(delete(DuplicateScan).where(col(DuplicateScan.mirror_key) != key))
    log.info("duplicate scan: %d pairs among %d records", len(rows), len(people))
    return done


def scan_job() -> int:
    """Job: scan for duplicate records if the mirror or the rules moved; the pairs found."""
    done = scan(current().engine)
    return done.pairs if done else -1


def merge_hint(a: CrmRecord, b: CrmRecord) -> str:
    """How the CRM joins the two: `merge` (two contacts or two leads: Salesforce's and
    HubSpot's merge), `convert` (a Salesforce lead and contact: convert the lead into the
    contact), or `none` (records of two CRMs)."""
    if a.crm != b.crm:
        return "none"
    return "merge" if a.object_type == b.object_type else "convert"


class Page(NamedTuple):
    items: list[dict[str, Any]]
    cursor: tuple[int, int] | None  # the last pair of this page, when there are more
    total: int  # pairs the last scan found
    survivor: tuple[str, ...]  # the survivor rule's criteria, in order
    scanned_at: str | None  # when the last scan ended (None: no scan yet)


def list_pairs(
    engine: Engine, settings: Settings, *, limit: int = 25, after: tuple[int, int] | None = None
) -> Page:
    """A page of the stored duplicate pairs in record id order, after the pair ``after``.
    A pair one of whose records left the mirror since the scan is left out."""
    dup = CrmDuplicate
    stmt = select(dup).order_by(col(dup.record_id), col(dup.other_id)).limit(limit + 1)
    if after is not None:
        a, b = after
        stmt = stmt.where(
            or_(col(dup.record_id) > a, and_(col(dup.record_id) == a, col(dup.other_id) > b))
        )
    with Session(engine) as session:
        rule = active_rules(session).duplicates
        found = list(session.exec(stmt))
        more = len(found) > limit
        found = found[:limit]
        ids = {i for d in found for i in (d.record_id, d.other_id)}
        records = {
            r.id: r for r in session.exec(select(CrmRecord).where(col(CrmRecord.id).in_(ids)))
        }
        total = session.exec(select(func.count()).select_from(dup)).one()
        last = session.exec(
            select(DuplicateScan.finished_at).order_by(col(DuplicateScan.id).desc()).limit(1)
        ).first()
    items = []
    for d in found:
        ra, rb = records.get(d.record_id), records.get(d.other_id)
        if ra is None or rb is None or ra.deleted or rb.deleted:
            continue
        kept = min((ra, rb), key=lambda r: rule.rank(to_person(r), 0.0, ""))
        items.append(
            {
                "records": [
                    {**record_summary(r), "crm_url": crm_url(settings, r)} for r in (ra, rb)
                ],
                "evidence": list(d.evidence or []),
                "survivor": kept.id,
                "merge": merge_hint(ra, rb),
            }
        )
    cursor = (found[-1].record_id, found[-1].other_id) if more and found else None
    return Page(items, cursor, total, rule.survivor, last.isoformat() if last else None)
