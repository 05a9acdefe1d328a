"""Test data through enrich's own code paths: CRM rows through the mirror's upsert, touchpoints
through signed webhook deliveries and the pipeline job, review proposals through the matcher,
dead letters through the pipeline's failure path. Shared by the API and browser suites."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from enrich.console.auth import create_user
from enrich.db import session_scope
from enrich.models import (
    CrmRecord,
    DeadLetter,
    EventStatus,
    IdentityLink,
    RawEvent,
    SocialProfile,
    utcnow,
)
from enrich.pipeline import MAX_ATTEMPTS, _fail, process_raw_event
from enrich.services.tokens import create as create_token
from enrich.sync.adapter import MirrorRow
from enrich.sync.mirror import _upsert
from tests.conftest import STANDARD_SECRET, wait_until
from tests.signing import standard_headers

PASSWORD = "correct-horse-battery-staple"
PEOPLE = [
    # crm_id, first, last, email, company, title, city
    (
        "0035g00000SEED0001",
        "Dana",
        "Whitfield",
        "dana.whitfield@northwind.example",
        "Northwind Traders",
        "VP Operations",
        "Seattle",
    ),
    (
        "0035g00000SEED0002",
        "Robert",
        "Okafor",
        "rokafor@contoso.example",
        "Contoso Ltd",
        "Head of Security",
        "Austin",
    ),
    (
        "0035g00000SEED0003",
        "Priya",
        "Natarajan",
        "priya@fabrikam.example",
        "Fabrikam",
        "CISO",
        "Boston",
    ),
    (
        "0035g00000SEED0004",
        "Marta",
        "Kowalski",
        "marta.k@tailspin.example",
        "Tailspin Toys",
        "Director of IT",
        "Denver",
    ),
    (
        "0035g00000SEED0005",
        "Samuel",
        "Reyes",
        "sam.reyes@litware.example",
        "Litware",
        "CTO",
        "Chicago",
    ),
    (
        "0035g00000SEED0006",
        "Dana",
        "Whitfield",
        "dana@globex.example",
        "Globex",
        "Buyer",
        "Portland",
    ),
]


def add_people(engine: Engine, people: list[tuple[str, ...]] = PEOPLE) -> dict[str, int]:
    """Contacts in the mirror; returns email -> record id."""
    rows = [
        MirrorRow(
            object_type="contact",
            crm_id=c,
            modified_at=utcnow(),
            first_name=f,
            last_name=last,
            email=e,
            company=co,
            title=t,
            city=city,
        )
        for c, f, last, e, co, t, city in people
    ]
    with session_scope(engine) as session:
        _upsert(session, "salesforce", rows)
        return {r.email: r.id for r in session.exec(select(CrmRecord)) if r.email}


def _lead(
    crm_id: str, first: str, last: str, email: str, company: str, city: str, title: str = ""
) -> MirrorRow:
    return MirrorRow(
        object_type="lead",
        crm_id=crm_id,
        modified_at=datetime(2026, 1, 5, tzinfo=UTC),
        first_name=first,
        last_name=last,
        email=email,
        company=company,
        city=city,
        title=title,
    )


# Leads: three of them are PEOPLE's contacts again (likely duplicates), one is a namesake.
DUPLICATE_LEADS = [
    _lead(
        "00Q5g0000LEAD0001",
        "Dana",
        "Whitfield",
        "dana.w@gmail.com",
        "Northwind Traders Inc.",
        "Seattle",
        "VP Operations",
    ),
    _lead("00Q5g0000LEAD0002", "Sam", "Reyes", "sam@litware.example", "", "Chicago"),
    _lead("00Q5g0000LEAD0003", "Marta", "Kowalski", "", "Tailspin Toys", "Denver"),
    _lead("00Q5g0000LEAD0004", "Priya", "Natarajan", "priya.n@gmail.com", "Initech", "Boston"),
]


def add_duplicate_leads(engine: Engine) -> None:
    """DUPLICATE_LEADS in the mirror, beside PEOPLE (`add_people`)."""
    with session_scope(engine) as session:
        _upsert(session, "salesforce", DUPLICATE_LEADS)


def deliver(
    client: FlaskClient,
    engine: Engine,
    actor: dict[str, Any],
    kind: str = "comment",
    text: str | None = None,
    platform: str = "linkedin",
    when: datetime | None = None,
) -> int:
    """A signed delivery through the webhook, processed by the pipeline job; the raw event id."""
    when = when or datetime.now(UTC) - timedelta(hours=1)
    data = {"platform": platform, "kind": kind, "actor": actor, "occurred_at": when.isoformat()}
    if text:
        data["text"] = text
    body = json.dumps({"type": "touchpoint.created", "data": data}).encode()
    answer = client.post(
        "/webhooks/standard/acme", data=body, headers=standard_headers(STANDARD_SECRET, body)
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    raw_id = int(answer.json["raw_event_id"])
    process_raw_event(raw_id)

    def done() -> bool:
        with Session(engine) as session:
            raw = session.get(RawEvent, raw_id)
            return raw is not None and raw.status != EventStatus.PENDING

    wait_until(done)
    return raw_id


def profile_id(engine: Engine, platform: str, user_id: str) -> int:
    with Session(engine) as session:
        return session.exec(
            select(SocialProfile.id).where(
                SocialProfile.platform == platform, SocialProfile.platform_user_id == user_id
            )
        ).one()


def park(engine: Engine, raw_id: int, error: str = "normalise failed: boom") -> int:
    """Make a stored delivery fail for good, through the pipeline's own failure path."""
    with session_scope(engine) as session:
        raw = session.get(RawEvent, raw_id)
        assert raw is not None
        raw.attempts = MAX_ATTEMPTS
        _fail(session, raw, error)
        raw.status = EventStatus.FAILED
    with Session(engine) as session:
        return session.exec(select(DeadLetter.id).where(DeadLetter.ref_id == raw_id)).one()


def user(engine: Engine, email: str, role: str) -> str:
    create_user(engine, email=email, password=PASSWORD, role=role)
    return email


def token(engine: Engine, role: str, scopes: list[str] | None = None) -> str:
    secret, _ = create_token(engine, name=f"{role} test", role=role, scopes=scopes, actor="tests")
    return secret


def review_profiles(client: FlaskClient, engine: Engine, n: int = 3) -> list[int]:
    """`n` profiles whose names resemble CRM contacts but carry no email: the matcher puts
    them in the review queue."""
    looks = [
        ("Dana Whitfield", "danaw", ""),
        ("Bob Okafor", "bobokafor", ""),
        ("Priya N.", "priyan", "Security at Fabrikam, Boston"),
        ("Marta Kowalski", "martak", ""),
        ("Sam Reyes", "samreyes", ""),
    ]
    pids = []
    for i, (name, handle, bio) in enumerate(looks[:n]):
        deliver(
            client,
            engine,
            {"id": f"rv-{i}", "handle": handle, "name": name, "bio": bio},
            kind="like",
            platform="x",
        )
        pids.append(profile_id(engine, "x", f"rv-{i}"))
    return pids


REVIEWER_CHOSEN = [
    {
        "comparison": "reviewer",
        "level": "chosen",
        "weight": 0.0,
        "explanation": "chosen in the review queue by rita@example.com",
    }
]


def decided_links(
    engine: Engine, record_id: int, links: list[tuple[float, str, str | None, str, Any]]
) -> None:
    """(score, status, rule version, decided by, explanation) -> one link, each on its own
    profile; `explanation` None means an ordinary matcher explanation. Written directly (not
    through the matcher and the review queue) because the calibration tests need exact
    scores; the rows are shaped as `enrich.linking` and `enrich.services.decisions` write them."""
    with session_scope(engine) as session:
        for i, (score, status, version, by, explanation) in enumerate(links):
            profile = SocialProfile(platform="x", platform_user_id=f"cal-{score}-{status}-{i}")
            session.add(profile)
            session.flush()
            matcher = [
                {
                    "comparison": "name",
                    "level": "exact",
                    "weight": score,
                    "explanation": "'Ann Lee' vs 'Ann Lee': exact",
                }
            ]
            session.add(
                IdentityLink(
                    profile_id=profile.id,
                    record_id=record_id,
                    status=status,
                    score=score,
                    rule_version=version,
                    decided_by=by,
                    explanation=matcher if explanation is None else explanation,
                )
            )
