"""Benchmark: the attribution report and the after-pull attribution pass on a big mirror.

Stored with bulk inserts before any clock starts (SQLite file): A accounts with 10 contacts
each, a social profile auto-linked to each contact, O opportunities spread over the last
year (30 % won, USD or EUR), and T touchpoints by those profiles over the same year, on a pool
of 500 posts whose texts carry taxonomy terms. Then, timed, each `--runs` times:

- `GET /api/v1/attribution/credits?start=..&end=..&dimension=topic&limit=200` (a quarter,
  linear credit) through the Flask app in process with a bearer token: what the API and the
  console page (which builds the same report) spend, reading and crediting included;
- the same for a whole year;
- `request_opportunity_syncs` over every opportunity (what follows each mirror pull).

    .venv/bin/python bench/attribution.py                       # 10k opps, 1M touchpoints
    .venv/bin/python bench/attribution.py --share 0.2           # 80 % from other profiles
    .venv/bin/python bench/attribution.py --opportunities 1000 --touchpoints 100000
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from enrich import runtime  # noqa: E402
from enrich.app import create_app  # noqa: E402
from enrich.db import upgrade  # noqa: E402
from enrich.models import (  # noqa: E402
    CrmRecord,
    IdentityLink,
    SocialProfile,
    Touchpoint,
    table_of,
)
from enrich.services import attribution  # noqa: E402
from enrich.services.attribution import request_opportunity_syncs  # noqa: E402
from enrich.sync.fields import FieldMap  # noqa: E402
from tests.conftest import make_settings  # noqa: E402

TOKEN = "bench-admin-token-0123456789abcdef"
CHUNK = 20_000
WORDS = [
    "zero trust",
    "cloud security",
    "kubernetes",
    "data pipeline",
    "pricing",
    "SOC 2",
    "observability",
    "machine learning",
    "hiring",
    "webinar",
]


def load(url: str, opportunities: int, touchpoints: int, share: float, seed: int = 1) -> None:
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    year_ago = now - timedelta(days=365)
    accounts = max(opportunities // 2, 1)
    people = accounts * 10
    engine = create_engine(url)

    def chunks(table: type[SQLModel], rows: list[dict[str, object]]) -> None:
        with engine.begin() as conn:
            for i in range(0, len(rows), CHUNK):
                conn.execute(insert(table_of(table)), rows[i : i + CHUNK])

    chunks(
        CrmRecord,
        [
            {
                "id": a + 1,
                "crm": "salesforce",
                "object_type": "account",
                "crm_id": f"001A{a:011d}",
                "company": f"Account {a}",
                "pulled_at": now,
                "deleted": False,
            }
            for a in range(accounts)
        ],
    )
    chunks(
        CrmRecord,
        [
            {
                "id": accounts + n + 1,
                "crm": "salesforce",
                "object_type": "contact",
                "crm_id": f"003C{n:011d}",
                "email": f"p{n}@a{n // 10}.example",
                "account_crm_id": f"001A{n // 10:011d}",
                "pulled_at": now,
                "deleted": False,
            }
            for n in range(people)
        ],
    )
    opp_rows = []
    for o in range(opportunities):
        created = year_ago + timedelta(seconds=rnd.uniform(0, 365 * 86400))
        won = rnd.random() < 0.3
        close = created + timedelta(days=rnd.randint(10, 120))
        opp_rows.append(
            {
                "id": accounts + people + o + 1,
                "crm": "salesforce",
                "object_type": "opportunity",
                "crm_id": f"006O{o:011d}",
                "company": f"Deal {o}",
                "account_crm_id": f"001A{o % accounts:011d}",
                "pulled_at": now,
                "deleted": False,
                "raw": {
                    "CreatedDate": created.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
                    "CloseDate": close.date().isoformat(),
                    "Amount": float(rnd.randint(5, 200) * 1000),
                    "CurrencyIsoCode": rnd.choice(("USD", "EUR")),
                    "IsClosed": won,
                    "IsWon": won,
                },
            }
        )
    chunks(CrmRecord, opp_rows)
    # Profiles beyond the linked people: engaged, but no contact of an opportunity's account.
    others = 0 if share >= 1 else people * 4
    chunks(
        SocialProfile,
        [
            {
                "id": n + 1,
                "platform": "linkedin",
                "platform_user_id": f"li-{n}",
                "first_seen": now,
                "last_seen": now,
            }
            for n in range(people + others)
        ],
    )
    chunks(
        IdentityLink,
        [
            {
                "profile_id": n + 1,
                "record_id": accounts + n + 1,
                "status": "auto",
                "score": 0.99,
                "decided_by": "matcher",
                "decided_at": now,
            }
            for n in range(people)
        ],
    )
    posts = [
        (
            f"https://www.linkedin.com/feed/update/urn:li:activity:{p}",
            " ".join(rnd.sample(WORDS, 2)),
        )
        for p in range(500)
    ]
    kinds = ("like", "comment", "share", "follow")
    rows = []
    for t in range(touchpoints):
        url_, text = rnd.choice(posts)
        rows.append(
            {
                "dedupe_key": f"b{t}",
                "profile_id": rnd.randint(1, people)
                if rnd.random() < share
                else rnd.randint(people + 1, people + others),
                "platform": rnd.choice(("linkedin", "x", "instagram")),
                "kind": rnd.choice(kinds),
                "post_url": url_,
                "post_text": f"Our take on {text}",
                "occurred_at": year_ago + timedelta(seconds=rnd.uniform(0, 365 * 86400)),
                "is_own": False,
            }
        )
        if len(rows) == CHUNK:
            chunks(Touchpoint, rows)
            rows = []
    if rows:
        chunks(Touchpoint, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opportunities", type=int, default=10_000)
    parser.add_argument("--touchpoints", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--share",
        type=float,
        default=1.0,
        help="share of touchpoints by contacts of opportunities' accounts (1: all, the worst "
        "case; the rest come from 4x as many profiles that are no such contact)",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-attribution-"))
    url = f"sqlite:///{folder / 'enrich.db'}"
    settings = make_settings(url, admin_token=TOKEN)
    upgrade(url)
    started = time.perf_counter()
    load(url, args.opportunities, args.touchpoints, args.share)
    print(
        f"stored {args.opportunities} opportunities, {args.touchpoints} touchpoints "
        f"({args.share:.0%} by their accounts' contacts) in "
        f"{time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.1f}"
    )
    app = create_app(settings)
    client = app.test_client()
    engine = runtime.current().engine
    today = datetime.now(UTC).date()
    quarter = (str(today - timedelta(days=89)), str(today))
    year = (str(today - timedelta(days=364)), str(today))
    for name, (first, last) in (("quarter", quarter), ("year", year)):
        q = attribution.query(first, last, "linear", "topic", settings.attribution_window_days)
        made = []
        for _ in range(args.runs):  # what the first request for a report waits
            t0 = time.perf_counter()
            with Session(engine) as session:
                attribution.build(session, q)
            made.append(time.perf_counter() - t0)
        kept = []
        for _ in range(args.runs):  # the same report asked again (page, CSV, next page)
            t0 = time.perf_counter()
            answer = client.get(
                f"/api/v1/attribution/credits?start={first}&end={last}&dimension=topic&limit=200",
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            kept.append(time.perf_counter() - t0)
            assert answer.status_code == 200, answer.data
        print(
            f"{name} report (topic, linear): made in median {statistics.median(made):.2f} s "
            f"of {[round(t, 2) for t in made]}; GET /api/v1/attribution/credits again: median "
            f"{statistics.median(kept[1:] or kept):.3f} s (first call {kept[0]:.2f} s)"
        )
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        asked = request_opportunity_syncs(
            engine,
            "salesforce",
            FieldMap.default("salesforce").opportunity,
            timedelta(days=settings.attribution_window_days),
        )
        times.append(time.perf_counter() - t0)
    print(
        f"request_opportunity_syncs over {args.opportunities} opportunities: median "
        f"{statistics.median(times):.2f} s of {[round(t, 2) for t in times]} "
        f"(asked for {asked} on the last run: none written in between)"
    )
    print(f"load average {os.getloadavg()[0]:.1f}")
    runtime.uninstall()
    shutil.rmtree(folder, ignore_errors=True)  # a few hundred MB


if __name__ == "__main__":
    main()
