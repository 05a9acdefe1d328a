"""Attribution read from the database: the mirror's opportunities/deals and their people's
touchpoints as the plain rows `enrich.attribution` credits, the funnel of a period, and the
values enrich writes on each opportunity in the CRM.

Reads are bounded by the period: only the opportunities created or won in it, only their
people, only touches inside the look-back windows (a big mirror is not read whole).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, case, func
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from enrich.attribution import (
    NO_POST,
    ORG_CURRENCY,
    Dimension,
    Model,
    Opportunity,
    Period,
    Report,
    Touch,
    attribute,
    facts,
)
from enrich.db import session_scope
from enrich.models import (
    CrmCursor,
    CrmRecord,
    Handoff,
    IdentityLink,
    LinkStatus,
    RuleSet,
    SyncState,
    Touchpoint,
    id_of,
)
from enrich.scoring.active import scorer_cache
from enrich.scoring.taxonomy import Taxonomy
from enrich.sync.outbox import request_sync_many
from enrich.sync.payload import summary

IN_CHUNK = 500  # ids per IN (...) list
MAX_PERIOD_DAYS = 3660  # ten years: a longer period is a typo, not a report
PEOPLE = ("contact", "lead")
CACHE_S = 300.0  # a report is reused this long at most, while nothing it reads changed


@dataclass(frozen=True)
class Query:
    """One report request, validated by `query` (the console and the API share it)."""

    period: Period
    model: Model = Model.LINEAR
    dimension: Dimension = Dimension.PLATFORM
    window: timedelta = timedelta(days=90)


def query(
    start: str | None,
    end: str | None,
    model: str | None,
    dimension: str | None,
    window_days: int,
    today: date | None = None,
) -> Query:
    """A report request from query-string values; raises ValueError with what to send.
    `start`/`end` are dates (YYYY-MM-DD); the period is [start, end + 1 day), the last 90
    days by default."""
    today = today or datetime.now(UTC).date()
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else last - timedelta(days=89)
    except ValueError:
        raise ValueError("start and end must be dates written YYYY-MM-DD") from None
    if first > last:
        raise ValueError("start must be on or before end")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise ValueError(f"a period may span at most {MAX_PERIOD_DAYS} days")
    if first.year < 2000 or last.year > 9000:
        raise ValueError("start and end must be between the years 2000 and 9000")
    try:
        chosen_model = Model(model or Model.LINEAR)
        chosen_dimension = Dimension(dimension or Dimension.PLATFORM)
    except ValueError:
        raise ValueError(
            f"model must be one of {', '.join(Model)}; dimension one of {', '.join(Dimension)}"
        ) from None
    begin = datetime.combine(first, datetime.min.time(), UTC)
    stop = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
    return Query(Period(begin, stop), chosen_model, chosen_dimension, timedelta(days=window_days))


def _moment(value: Any) -> datetime | None:
    """A CRM time: ISO text (Salesforce writes +0000), HubSpot epoch milliseconds, a date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value)
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _amount(value: Any) -> float:
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return 0.0
    return amount if amount == amount and abs(amount) < 1e15 else 0.0  # NaN, absurd values


def opportunity_of(record: CrmRecord, people: frozenset[int]) -> Opportunity | None:
    """An opportunity (Salesforce) or deal (HubSpot) of the mirror, in neutral terms; None
    when the CRM did not say when it was created (it cannot be attributed)."""
    raw = record.raw or {}
    created = _moment(raw.get("CreatedDate") or raw.get("createdate"))
    if created is None:
        return None
    closing = _moment(raw.get("CloseDate") or raw.get("closedate"))
    return Opportunity(
        id=id_of(record),
        name=record.company or record.crm_id,
        created_at=created,
        amount=_amount(raw.get("Amount", raw.get("amount"))),
        currency=str(raw.get("CurrencyIsoCode") or raw.get("deal_currency_code") or ORG_CURRENCY),
        close_date=closing.date() if closing else None,
        closed=_flag(raw.get("IsClosed", raw.get("hs_is_closed"))),
        won=_flag(raw.get("IsWon", raw.get("hs_is_closed_won"))),
        people=people,
    )


def opportunities(
    session: Session,
    records: Iterable[CrmRecord] | None = None,
    keep: Callable[[Opportunity], bool] | None = None,
) -> list[Opportunity]:
    """The mirror's live opportunities (or these records; those `keep` says), each with its
    people: the contacts/leads of its account and its contact roles (`raw.contact_ids`)."""
    if records is None:
        records = session.exec(
            select(CrmRecord).where(
                CrmRecord.object_type == "opportunity",
                CrmRecord.deleted == False,  # noqa: E712
            )
        )
    # People are looked up only for the opportunities kept (a quarter's, not ten years').
    records = [
        r
        for r in records
        if (found := opportunity_of(r, frozenset())) is not None and (keep is None or keep(found))
    ]
    accounts = {(r.crm, r.account_crm_id) for r in records if r.account_crm_id}
    roles = {(r.crm, str(c)) for r in records for c in (r.raw or {}).get("contact_ids") or []}
    members: dict[tuple[str, str], set[int]] = defaultdict(set)
    by_crm_id: dict[tuple[str, str], int] = {}
    for crm in {r.crm for r in records}:
        account_ids = sorted(a for c, a in accounts if c == crm and a)
        for start in range(0, len(account_ids), IN_CHUNK):
            for record_id, account in session.exec(
                select(CrmRecord.id, CrmRecord.account_crm_id).where(
                    CrmRecord.crm == crm,
                    col(CrmRecord.object_type).in_(PEOPLE),
                    CrmRecord.deleted == False,  # noqa: E712
                    col(CrmRecord.account_crm_id).in_(account_ids[start : start + IN_CHUNK]),
                )
            ):
                members[(crm, account or "")].add(record_id or 0)
        role_ids = sorted(i for c, i in roles if c == crm)
        for start in range(0, len(role_ids), IN_CHUNK):
            for record_id, crm_id in session.exec(
                select(CrmRecord.id, CrmRecord.crm_id).where(
                    CrmRecord.crm == crm,
                    col(CrmRecord.object_type).in_(PEOPLE),
                    col(CrmRecord.crm_id).in_(role_ids[start : start + IN_CHUNK]),
                )
            ):
                by_crm_id[(crm, crm_id)] = record_id or 0
    out = []
    for record in records:
        people = set(members.get((record.crm, record.account_crm_id or ""), ()))
        for contact in (record.raw or {}).get("contact_ids") or []:
            if (record.crm, str(contact)) in by_crm_id:
                people.add(by_crm_id[(record.crm, str(contact))])
        opp = opportunity_of(record, frozenset(people))
        if opp is not None:
            out.append(opp)
    return out


def touches(
    session: Session, people: Iterable[int], since: datetime, until: datetime, taxonomy: Taxonomy
) -> dict[int, list[Touch]]:
    """Person record id -> their touches in [since, until), through active links, the
    company's own actions left out (as touchpoints.py decides for every other reader).
    Topics are those of the post engaged with, else of what the person wrote."""
    out: dict[int, list[Touch]] = defaultdict(list)
    found: list[tuple[int, int, datetime, str, str, str, str | None]] = []
    sample: dict[str, int] = {}  # post -> one touchpoint id that carries its text
    ids = sorted(set(people))
    no_post = and_(col(Touchpoint.post_url).is_(None), col(Touchpoint.post_id).is_(None))
    for start in range(0, len(ids), IN_CHUNK):
        # Core rows, not ORM objects: a report over a busy quarter reads ~10^5-10^6 rows; and
        # a post's text once per post (below), not once per touch on it.
        rows = session.connection().execute(
            sql_select(
                col(IdentityLink.record_id),
                col(Touchpoint.id),
                col(Touchpoint.occurred_at),
                col(Touchpoint.platform),
                col(Touchpoint.kind),
                func.coalesce(col(Touchpoint.post_url), col(Touchpoint.post_id)),
                case((no_post, col(Touchpoint.text)), else_=None),
            )
            .join(Touchpoint, col(Touchpoint.profile_id) == IdentityLink.profile_id)
            .where(
                col(IdentityLink.record_id).in_(ids[start : start + IN_CHUNK]),
                col(IdentityLink.status).in_(LinkStatus.ACTIVE),
                col(Touchpoint.is_own).is_(False),
                col(Touchpoint.occurred_at) >= since,
                col(Touchpoint.occurred_at) < until,
            )
        )
        for record_id, tp_id, at, platform, kind, post, text in rows:
            if post:
                sample.setdefault(post, tp_id)
            found.append((record_id, tp_id, at, platform, kind, post or NO_POST, text))
    posts: dict[str, tuple[str, tuple[str, ...]]] = {}  # post -> (label, topics)
    samples = sorted(sample.items(), key=lambda kv: kv[1])
    for start in range(0, len(samples), IN_CHUNK):
        chunk = dict((i, post) for post, i in samples[start : start + IN_CHUNK])
        for tp_id, post_text in session.execute(
            sql_select(col(Touchpoint.id), col(Touchpoint.post_text)).where(
                col(Touchpoint.id).in_(chunk)
            )
        ):
            label = " ".join((post_text or "").split())[:80] or chunk[tp_id]
            posts[chunk[tp_id]] = (label, tuple(sorted(taxonomy.match(post_text or "").topics)))
    own_topics: dict[str, tuple[str, ...]] = {}
    for record_id, tp_id, at, platform, kind, post, text in found:
        label, topics = posts.get(post, ("", ()))
        if post == NO_POST and text:
            if text not in own_topics:
                own_topics[text] = tuple(sorted(taxonomy.match(text).topics))
            topics = own_topics[text]
        out[record_id].append(Touch(tp_id, record_id, at, platform, kind, post, label, topics))
    return out


def funnel(session: Session, period: Period, report: Report) -> list[dict[str, Any]]:
    """Engaged people → matched → hand-off → influenced opportunity → won, in the period."""
    in_period = (
        col(Touchpoint.occurred_at) >= period.start,
        col(Touchpoint.occurred_at) < period.end,
        Touchpoint.is_own == False,  # noqa: E712
    )
    # Two id sets rather than COUNT(DISTINCT) with a subquery: SQLite plans that one badly.
    active = set(
        session.exec(
            select(IdentityLink.profile_id).where(col(IdentityLink.status).in_(LinkStatus.ACTIVE))
        )
    )
    profiles = set(session.exec(select(Touchpoint.profile_id).distinct().where(*in_period)))
    engaged, matched = len(profiles), len(profiles & active)
    handed = session.exec(
        select(func.count(func.distinct(Handoff.record_id))).where(
            col(Handoff.created_at) >= period.start, col(Handoff.created_at) < period.end
        )
    ).one()
    totals = report.totals.values()
    return [
        {"stage": "engaged", "label": "Engaged people", "count": engaged},
        {"stage": "matched", "label": "Matched to CRM people", "count": matched},
        {"stage": "handoff", "label": "Handed off to sales", "count": handed},
        {
            "stage": "opportunity",
            "label": "Influenced opportunities",
            "count": sum(t.opportunities for t in totals),
        },
        {"stage": "won", "label": "Influenced wins", "count": sum(t.won for t in totals)},
    ]


def build(session: Session, q: Query) -> tuple[Report, list[dict[str, Any]]]:
    """The report and funnel of one request."""
    period, window = q.period, q.window

    def relevant_to(opp: Opportunity) -> bool:
        won_in = opp.won and opp.closed_at and opp.closed_at - timedelta(days=1) in period
        return opp.created_at in period or bool(won_in)

    relevant = opportunities(session, keep=relevant_to)
    people = {p for opp in relevant for p in opp.people}
    taxonomy = scorer_cache.get(session).taxonomy
    found = touches(
        session, people, period.start - window, period.end + timedelta(days=1), taxonomy
    )
    report = attribute(relevant, found, period, window, q.model, q.dimension)
    return report, funnel(session, period, report)


def as_json(q: Query, report: Report, stages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "period": {
            "start": q.period.start.date().isoformat(),
            "end": (q.period.end - timedelta(days=1)).date().isoformat(),
        },
        "model": q.model.value,
        "dimension": q.dimension.value,
        "window_days": q.window.days,
        "funnel": stages,
        "totals": [t.as_dict() for t in report.totals.values()],
    }


def _version(session: Session) -> tuple[Any, ...]:
    """What a report depends on, cheaply: new touchpoints, link decisions, pulls (a changed
    opportunity), hand-offs, topic rules. Any change makes a new report."""
    return (
        session.exec(select(func.max(Touchpoint.id))).one(),
        session.exec(select(func.count(), func.max(IdentityLink.decided_at))).one(),
        session.exec(select(func.max(CrmCursor.updated_at))).one(),
        session.exec(select(func.max(Handoff.id))).one(),
        session.exec(select(func.max(RuleSet.id))).one(),
    )


class _Reports:
    """The last few reports per process for CACHE_S: the page, its CSV and the API's pages
    of one report ask for the same one, which is seconds of work on a big mirror."""

    def __init__(self, size: int = 8) -> None:
        self._lock = threading.Lock()
        self._size = size
        self._items: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is None or time.monotonic() - found[0] > CACHE_S:
                return None
            self._items.move_to_end(key)
            return found[1]

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_reports = _Reports()


def run(engine: Engine, q: Query) -> tuple[Report, list[dict[str, Any]]]:
    with Session(engine) as session:
        key = (str(engine.url), q, _version(session))
        found: tuple[Report, list[dict[str, Any]]] | None = _reports.get(key)
        if found is None:
            found = build(session, q)
            _reports.put(key, found)
        return found


# ---------------------------------------------------------------- CRM fields on opportunities


def first_touch_text(touch: Touch) -> str:
    """How the first social touch reads on the opportunity, e.g. "2026-03-02: Commented on
    your post on LinkedIn: Zero trust for ..." (a text field: marketing filters on it)."""
    return f"{touch.at:%Y-%m-%d}: {summary(touch.kind, touch.platform, touch.post_label)}"[:255]


def opportunity_values(
    session: Session, records: Iterable[CrmRecord], window: timedelta
) -> dict[int, dict[str, Any]]:
    """Per opportunity record id, what its CRM record should show (meaning -> value; see
    `OPPORTUNITY_FIELDS` in sync/fields.py). Opportunities the CRM gave no creation time get
    nothing to write."""
    opps = opportunities(session, records)
    if not opps:
        return {}
    since = min(o.created_at for o in opps) - window
    until = max([o.closed_at or o.created_at for o in opps] + [o.created_at for o in opps])
    taxonomy = scorer_cache.get(session).taxonomy
    found = touches(session, {p for o in opps for p in o.people}, since, until, taxonomy)
    out = {}
    for opp in opps:
        f = facts(opp, found, window, first_touch_text)
        out[opp.id] = {
            "social_influenced": f.influenced,
            "first_social_touch": f.first_touch,
            "touches_before_create": f.touches_before_create,
            "touches_before_close": f.touches_before_close,
        }
    return out


def request_opportunity_syncs(
    engine: Engine,
    crm: str,
    names: dict[str, str | None],
    window: timedelta,
    modified_since: datetime | None = None,
) -> int:
    """Ask the writer to update the opportunities of `crm` (those the CRM changed since
    `modified_since`, else all) whose attribution fields differ from what was last written
    (SyncState). Returns how many were asked for; the writer then diffs and writes only the
    changed fields (sync/mirror.py says when this runs on which)."""
    written = {name for name in names.values() if name}
    if not written:
        return 0
    with session_scope(engine) as session:
        query = select(CrmRecord).where(
            CrmRecord.crm == crm,
            CrmRecord.object_type == "opportunity",
            CrmRecord.deleted == False,  # noqa: E712
        )
        if modified_since is not None:
            query = query.where(col(CrmRecord.modified_at) >= modified_since)
        records = list(session.exec(query))
        wanted = opportunity_values(session, records, window)
        last: dict[tuple[int, str], str | None] = {}
        ids = sorted(wanted)
        for start in range(0, len(ids), IN_CHUNK):
            for state in session.exec(
                select(SyncState).where(
                    col(SyncState.record_id).in_(ids[start : start + IN_CHUNK]),
                    col(SyncState.field).in_(written),
                )
            ):
                last[(state.record_id, state.field)] = state.value
        never = {record_id for record_id in wanted} - {record_id for record_id, _ in last}
        stale = [
            record_id
            for record_id, values in wanted.items()
            # A new field reads empty in the CRM: an opportunity no social touch influenced is
            # not written until it has something to say (one write per opportunity saved on the
            # first pull of a CRM with thousands of them).
            if not (record_id in never and not any(values.values()))
            and any(
                (name := names.get(meaning)) and last.get((record_id, name)) != str(value)
                for meaning, value in values.items()
            )
        ]
        request_sync_many(session, stale)
    return len(stale)
