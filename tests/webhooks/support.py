"""What the receiver tests share: reading back what was stored, and error answers."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from enrich.models import EventStatus, RawEvent, Touchpoint
from enrich.runtime import current
from tests.conftest import wait_until


def raw_events() -> list[RawEvent]:
    with Session(current().engine) as s:
        return list(s.exec(select(RawEvent).order_by(RawEvent.id)))


def touchpoints() -> list[Touchpoint]:
    with Session(current().engine) as s:
        return list(s.exec(select(Touchpoint).order_by(Touchpoint.id)))


def processed() -> list[RawEvent]:
    """Every stored delivery, once none is pending any more (the embedded worker ran)."""

    def done() -> list[RawEvent] | None:
        rows = raw_events()
        return rows if rows and all(r.status != EventStatus.PENDING for r in rows) else None

    result: list[RawEvent] = wait_until(done)
    return result


def error(answer: Any) -> tuple[int, str]:
    return answer.status_code, answer.json["error"]["code"]


def accounts_json(*items: dict[str, str]) -> str:
    import json

    return json.dumps(list(items))
