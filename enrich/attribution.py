"""Attribution: which social activity turns into pipeline and revenue. Pure functions over
plain rows; `enrich/services/attribution.py` reads the rows from the database.

The rules, in one place (README "Attribution" says the same to RevOps):

- An opportunity's *people* are the contacts/leads of its account, and its contact roles
  where the CRM has them (Salesforce OpportunityContactRole, HubSpot deal→contact
  associations). Their touchpoints count through active identity links, as everywhere else.
- *Before creation*: touches in ``[created - window, created)``. *Before close*: touches in
  ``[close - window, close)``, where a close date (a day in both CRMs) ends at the end of that
  UTC day. The window is ``ATTRIBUTION_WINDOW_DAYS`` (90 by default).
- *Influenced pipeline* over a period: the amounts of the opportunities created in the period
  with at least one touch before creation. *Won revenue*: the amounts of the opportunities won
  with a close date in the period and at least one touch before close.
- Credit: *first touch* gives the whole amount to the earliest touch, *last touch* to the
  latest, *linear* 1/n to each of the n touches; ties in time go to the lower touch id. A touch
  about several topics splits its share equally between them; one about none goes to
  ``NO_TOPIC``. So each model hands out exactly the influenced amount, per dimension.
- Money is never added across currencies: every sum is kept per currency code (an
  opportunity with none is in ``ORG_CURRENCY``, the CRM's single/company currency).
- A period is ``[start, end)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

NO_TOPIC = "(no topic)"
NO_POST = "(no post)"
ORG_CURRENCY = ""  # an amount without a currency code: the CRM's own (single) currency


class Model(StrEnum):
    FIRST = "first"
    LAST = "last"
    LINEAR = "linear"


class Dimension(StrEnum):
    PLATFORM = "platform"
    POST = "post"
    TOPIC = "topic"


class Touch(NamedTuple):
    """One touchpoint of one of an opportunity's people (a person may touch several times).
    A tuple: a report over a year of a big mirror makes a million of them."""

    id: int
    person_id: int  # the CRM record (contact/lead) it counts for
    at: datetime
    platform: str
    kind: str
    post: str = NO_POST  # the post engaged with: its URL or id
    post_label: str = ""  # a few words of its text, for people to read
    topics: tuple[str, ...] = ()

    def keys(self, dimension: Dimension) -> tuple[str, ...]:
        if dimension is Dimension.PLATFORM:
            return (self.platform,)
        if dimension is Dimension.POST:
            return (self.post,)
        return self.topics or (NO_TOPIC,)


@dataclass(frozen=True)
class Opportunity:
    id: int  # the mirror record id
    name: str
    created_at: datetime
    amount: float = 0.0
    currency: str = ORG_CURRENCY
    close_date: date | None = None
    closed: bool = False
    won: bool = False
    people: frozenset[int] = frozenset()

    @property
    def closed_at(self) -> datetime | None:
        """The end of the close day (UTC): a touch that day came before the close."""
        if self.close_date is None:
            return None
        tz = self.created_at.tzinfo
        return datetime.combine(self.close_date + timedelta(days=1), time.min, tz)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end


def touches_before(
    opportunity: Opportunity,
    touches: Mapping[int, Sequence[Touch]],
    moment: datetime | None,
    window: timedelta,
) -> list[Touch]:
    """The touches of the opportunity's people in ``[moment - window, moment)``, oldest first
    (ties by id), each once even when a person is both an account member and a contact role."""
    if moment is None:
        return []
    start = moment - window
    found = {
        t.id: t
        for person in opportunity.people
        for t in touches.get(person, ())
        if start <= t.at < moment
    }
    return sorted(found.values(), key=lambda t: (t.at, t.id))


def credit(ordered: Sequence[Touch], model: Model) -> list[tuple[Touch, float]]:
    """Each touch's share of one opportunity (shares sum to 1; none when there is no touch)."""
    if not ordered:
        return []
    if model is Model.FIRST:
        return [(ordered[0], 1.0)]
    if model is Model.LAST:
        return [(ordered[-1], 1.0)]
    share = 1.0 / len(ordered)
    return [(t, share) for t in ordered]


@dataclass
class Credit:
    """What one key (a platform, post or topic) earned, in one currency."""

    key: str
    currency: str
    label: str = ""
    pipeline: float = 0.0  # credited amount of influenced pipeline
    opportunities: float = 0.0  # credited share of influenced opportunities
    won_revenue: float = 0.0
    won: float = 0.0  # credited share of won opportunities
    touches: int = 0  # touches before creation, counted once per opportunity they touched

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label or self.key,
            "currency": self.currency,
            "pipeline": round(self.pipeline, 2),
            "opportunities": round(self.opportunities, 4),
            "won_revenue": round(self.won_revenue, 2),
            "won": round(self.won, 4),
            "touches": self.touches,
        }


@dataclass
class Totals:
    """Influenced pipeline and won revenue of a period, in one currency."""

    currency: str
    pipeline: float = 0.0
    opportunities: int = 0
    created_opportunities: int = 0  # every opportunity created in the period
    created_amount: float = 0.0
    won_revenue: float = 0.0
    won: int = 0
    won_all: int = 0  # every opportunity won in the period
    won_all_amount: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items()}
        for k in ("pipeline", "created_amount", "won_revenue", "won_all_amount"):
            out[k] = round(out[k], 2)
        return out


@dataclass
class Report:
    model: Model
    dimension: Dimension
    totals: dict[str, Totals] = field(default_factory=dict)  # currency -> totals
    rows: list[Credit] = field(default_factory=list)  # by currency, then pipeline, descending


def attribute(
    opportunities: Iterable[Opportunity],
    touches: Mapping[int, Sequence[Touch]],
    period: Period,
    window: timedelta,
    model: Model,
    dimension: Dimension,
) -> Report:
    """Influenced pipeline and won revenue of `period`, credited to `dimension` by `model`."""
    report = Report(model, dimension)
    rows: dict[tuple[str, str], Credit] = {}

    def row(key: str, currency: str, touch: Touch) -> Credit:
        found = rows.get((currency, key))
        if found is None:
            label = touch.post_label if dimension is Dimension.POST else ""
            found = rows[(currency, key)] = Credit(key, currency, label)
        return found

    for opp in opportunities:
        totals = report.totals.get(opp.currency) or report.totals.setdefault(
            opp.currency, Totals(opp.currency)
        )
        if opp.created_at in period:
            totals.created_opportunities += 1
            totals.created_amount += opp.amount
            before = touches_before(opp, touches, opp.created_at, window)
            if before:
                totals.opportunities += 1
                totals.pipeline += opp.amount
                for touch in before:
                    for key in set(touch.keys(dimension)):
                        row(key, opp.currency, touch).touches += 1
                for touch, share in credit(before, model):
                    keys = touch.keys(dimension)
                    for key in keys:
                        credited = row(key, opp.currency, touch)
                        credited.pipeline += opp.amount * share / len(keys)
                        credited.opportunities += share / len(keys)
        closed_at = opp.closed_at
        if opp.won and closed_at is not None and closed_at - timedelta(days=1) in period:
            totals.won_all += 1
            totals.won_all_amount += opp.amount
            before = touches_before(opp, touches, closed_at, window)
            if before:
                totals.won += 1
                totals.won_revenue += opp.amount
                for touch, share in credit(before, model):
                    keys = touch.keys(dimension)
                    for key in keys:
                        credited = row(key, opp.currency, touch)
                        credited.won_revenue += opp.amount * share / len(keys)
                        credited.won += share / len(keys)
    report.rows = sorted(
        rows.values(), key=lambda r: (r.currency, -r.pipeline, -r.won_revenue, r.key)
    )
    return report


@dataclass(frozen=True)
class OpportunityFacts:
    """What enrich writes on an opportunity/deal in the CRM (see sync/fields.py)."""

    influenced: bool
    first_touch: str
    touches_before_create: int
    touches_before_close: int


def facts(
    opportunity: Opportunity,
    touches: Mapping[int, Sequence[Touch]],
    window: timedelta,
    describe: Any = None,
) -> OpportunityFacts:
    """The CRM fields of one opportunity: influenced (a touch before creation), its first
    touch (as `describe(touch)` words it), touches before creation and before close (the
    latter 0 while it is open)."""
    before = touches_before(opportunity, touches, opportunity.created_at, window)
    at_close = (
        touches_before(opportunity, touches, opportunity.closed_at, window)
        if opportunity.closed
        else []
    )
    first = before[0] if before else None
    return OpportunityFacts(
        influenced=bool(before),
        first_touch=(describe(first) if describe else first.platform) if first else "",
        touches_before_create=len(before),
        touches_before_close=len(at_close),
    )
