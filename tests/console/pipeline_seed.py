"""A small pipeline with known attribution, for the report's API, console and CSV tests.

Northwind (account A1) has two contacts on social media: Dana comments on LinkedIn on
2026-01-10 (a post whose text starts like a spreadsheet formula), Robert likes a post on X on
2026-01-20. Our own account also comments (is_own: never counted). Opportunities:

    O1  Northwind expansion  48,000 USD  created 2026-02-01, won 2026-03-15   both touches
    O2  Northwind pilot      12,000 EUR  created 2026-02-10, open             both touches
    O3  Fabrikam renewal      5,000 USD  created 2026-02-05, open             no touch

With the default 90-day window, over 2026-01-01..2026-03-31 and linear credit: USD pipeline
48,000 of 53,000 created (linkedin 24,000, x 24,000), USD won 48,000 (the same split), EUR
pipeline 12,000 (6,000 each). Funnel: 2 engaged, 2 matched, 0 hand-offs, 2 opportunities,
1 win.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from enrich.db import session_scope
from enrich.models import (
    CrmRecord,
    IdentityLink,
    LinkStatus,
    SocialProfile,
    Touchpoint,
    id_of,
    utcnow,
)
from enrich.sync.adapter import MirrorRow
from enrich.sync.mirror import _upsert

FORMULA_POST = '=HYPERLINK("http://evil.example","Zero trust") for cloud security'
PERIOD = "start=2026-01-01&end=2026-03-31"


def _opp(crm_id: str, name: str, account: str, **raw: Any) -> MirrorRow:
    return MirrorRow(
        object_type="opportunity",
        crm_id=crm_id,
        modified_at=utcnow(),
        company=name,
        account_crm_id=account,
        title=raw.get("StageName"),
        raw={"Id": crm_id, "Name": name, "AccountId": account, **raw},
    )


def add_pipeline(engine: Engine) -> dict[str, int]:
    """The world above, through the mirror's upsert; returns name -> record id."""
    rows = [
        MirrorRow("account", "001A1", utcnow(), company="Northwind Traders"),
        MirrorRow("account", "001A2", utcnow(), company="Fabrikam"),
        MirrorRow(
            "contact",
            "003C1",
            utcnow(),
            first_name="Dana",
            last_name="Whitfield",
            email="dana@northwind.example",
            account_crm_id="001A1",
        ),
        MirrorRow(
            "contact",
            "003C2",
            utcnow(),
            first_name="Robert",
            last_name="Okafor",
            email="robert@northwind.example",
            account_crm_id="001A1",
        ),
        _opp(
            "006O1",
            "Northwind expansion",
            "001A1",
            StageName="Closed Won",
            CreatedDate="2026-02-01T09:00:00.000+0000",
            Amount=48000.0,
            CurrencyIsoCode="USD",
            CloseDate="2026-03-15",
            IsClosed=True,
            IsWon=True,
        ),
        _opp(
            "006O2",
            "Northwind pilot",
            "001A1",
            StageName="Prospecting",
            CreatedDate="2026-02-10T09:00:00.000+0000",
            Amount=12000.0,
            CurrencyIsoCode="EUR",
            CloseDate="2026-06-30",
            IsClosed=False,
            IsWon=False,
        ),
        _opp(
            "006O3",
            "Fabrikam renewal",
            "001A2",
            StageName="Prospecting",
            CreatedDate="2026-02-05T09:00:00.000+0000",
            Amount=5000.0,
            CurrencyIsoCode="USD",
            CloseDate="2026-06-30",
            IsClosed=False,
            IsWon=False,
        ),
    ]
    with session_scope(engine) as session:
        _upsert(session, "salesforce", rows)
        session.flush()
        ids = {r.crm_id: id_of(r) for r in session.exec(select(CrmRecord))}
        people = [
            (
                "linkedin",
                "li-dana",
                ids["003C1"],
                "comment",
                FORMULA_POST,
                "https://www.linkedin.com/feed/update/urn:li:activity:1",
                datetime(2026, 1, 10, tzinfo=UTC),
                False,
            ),
            (
                "x",
                "x-robert",
                ids["003C2"],
                "like",
                "Kubernetes cost tips",
                "https://x.com/acme/status/2",
                datetime(2026, 1, 20, tzinfo=UTC),
                False,
            ),
            (
                "linkedin",
                "li-acme",
                ids["003C1"],
                "comment",
                "Our own post",
                "https://www.linkedin.com/feed/update/urn:li:activity:3",
                datetime(2026, 1, 15, tzinfo=UTC),
                True,
            ),
        ]
        for platform, user, record_id, kind, post_text, post_url, at, own in people:
            profile = SocialProfile(platform=platform, platform_user_id=user, handle=user)
            session.add(profile)
            session.flush()
            if not own:
                session.add(
                    IdentityLink(
                        profile_id=id_of(profile),
                        record_id=record_id,
                        status=LinkStatus.AUTO,
                        score=0.99,
                    )
                )
            session.add(
                Touchpoint(
                    dedupe_key=f"{platform}:{user}:{kind}",
                    profile_id=id_of(profile),
                    platform=platform,
                    kind=kind,
                    post_id=post_url.rsplit("/", 1)[-1],
                    post_url=post_url,
                    post_text=post_text,
                    text="Great post",
                    occurred_at=at,
                    is_own=own,
                )
            )
        return {"O1": ids["006O1"], "O2": ids["006O2"], "O3": ids["006O3"]}
