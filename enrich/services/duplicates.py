"""Likely duplicate CRM records, listed for RevOps (the console's `/people/duplicates` and
`GET /api/v1/people/duplicates`): the pairs the active match rules' `duplicates` rule finds
among the mirror's contacts and leads (`enrich.matching.duplicates`), the record the survivor
rule keeps, and how to merge them in the CRM.

The pairs are found over the records the matcher already holds (no second read of the
mirror), once per matcher: they are recomputed only when the mirror or the rules change, and
one request computes them while others wait for it.
"""

from __future__ import annotations

import math
import threading
import weakref
from bisect import bisect_right
from typing import Any, NamedTuple

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from enrich.config import Settings
from enrich.linking import current_matcher
from enrich.matching.duplicates import pairs
from enrich.matching.scorer import Matcher
from enrich.models import CrmRecord
from enrich.services.people import crm_url, record_summary

# (smaller record id, larger record id, their positions in the matcher's people, evidence)
Pair = tuple[int, int, int, int, tuple[str, ...]]

_lock = threading.Lock()
_found: tuple[weakref.ref[Matcher], list[Pair]] | None = None


def _pairs(session: Session) -> tuple[Matcher, list[Pair]]:
    global _found
    matcher = current_matcher(session)
    with _lock:
        if _found is None or _found[0]() is not matcher:
            people = matcher.people
            found = []
            for p in pairs(people, matcher.rules.duplicates):
                (a, pa), (b, pb) = sorted(
                    ((int(people[p.first].id), p.first), (int(people[p.second].id), p.second))
                )
                found.append((a, b, pa, pb, p.evidence))
            found.sort()
            # A weak reference: the list must not keep a replaced matcher (and its index) alive.
            _found = (weakref.ref(matcher), found)
        return matcher, _found[1]


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
    total: int  # pairs in the mirror
    survivor: tuple[str, ...]  # the survivor rule's criteria, in order


def list_pairs(
    engine: Engine, settings: Settings, *, limit: int = 25, after: tuple[int, int] | None = None
) -> Page:
    """A page of duplicate pairs in record id order, after the pair ``after``."""
    with Session(engine) as session:
        matcher, found = _pairs(session)
        start = 0 if after is None else bisect_right(found, (*after, math.inf))
        chosen = found[start : start + limit]
        ids = {i for a, b, *_ in chosen for i in (a, b)}
        records = {
            r.id: r for r in session.exec(select(CrmRecord).where(col(CrmRecord.id).in_(ids)))
        }
        rule = matcher.rules.duplicates
        items = []
        for a, b, pa, pb, evidence in chosen:
            ra, rb = records.get(a), records.get(b)
            if ra is None or rb is None:  # erased since the pairs were found
                continue
            two = (matcher.people[pa], matcher.people[pb])
            survivor = min(two, key=lambda p: rule.rank(p, 0.0, ""))
            items.append(
                {
                    "records": [
                        {**record_summary(r), "crm_url": crm_url(settings, r)} for r in (ra, rb)
                    ],
                    "evidence": list(evidence),
                    "survivor": int(survivor.id),
                    "merge": merge_hint(ra, rb),
                }
            )
    more = start + limit < len(found)
    cursor = (chosen[-1][0], chosen[-1][1]) if more and chosen else None
    return Page(items, cursor, len(found), matcher.rules.duplicates.survivor)
