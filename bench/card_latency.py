"""Benchmark: how fast the CRM card answers from a warm server on a 100k-person database.

Builds (once, reused from --workdir) a SQLite database through enrich's own schema: 10,000
accounts, 100,000 people (90% contacts of an account, 10% leads), a quarter of them engaged
with one linked social profile and a heavy-tailed number of touchpoints over 180 days (median
~6, some in the hundreds), 3,000 open opportunities; then scores, interests and account
roll-ups are computed by enrich's own recompute (``enrich.scoring.recompute.recompute_all``).

Then starts ``enrich serve`` (gunicorn, 2 workers x 4 threads, as in production), warms it,
and times Salesforce card requests (``GET /embed/salesforce/card`` with the named-credential
key, as Apex sends them) over real HTTP from one client: engaged contacts, quiet contacts,
unknown ids and accounts. The figure includes the HTTP round trip, the key check, rate limit,
the database reads, the trend recompute and JSON; the baseline is ``GET /healthz`` on the
same server (the HTTP floor).

    .venv/bin/python bench/card_latency.py                 # 100,000 people, 3 runs x 400
    options: --people N --runs 3 --samples 400 --workdir /tmp/enrich-card-bench
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import insert
from sqlmodel import Session, col, select

from enrich.config import load_settings
from enrich.db import make_engine, upgrade
from enrich.models import CrmRecord, IdentityLink, SocialProfile, Touchpoint
from enrich.scoring.recompute import recompute_all

KEY = "bench-card-key-0123456789abcdef0123456789"
USER = "005000000000BENCHA"
NOW = datetime.now(UTC)
KINDS = (
    ["like"] * 55
    + ["follow"] * 8
    + ["comment"] * 14
    + ["share"] * 9
    + ["reply"] * 6
    + ["mention"] * 4
    + ["dm"] * 2
    + ["quote"] * 2
)
TEXTS = [
    "How does this handle zero trust for contractors?",
    "Great piece on cloud security",
    "We are evaluating SIEM tools this quarter",
    "Interesting take on data governance",
    "Does it integrate with Snowflake?",
    "Congrats on the launch!",
]
TITLES = [
    "CISO",
    "VP Operations",
    "Head of IT",
    "Analyst",
    "CTO",
    "Director of Security",
    "Buyer",
    "Engineer",
]


def sf_id(prefix: str, n: int) -> str:
    return f"{prefix}{n:012d}AAA"


COLUMNS = ("first_name", "last_name", "email", "company", "title", "account_crm_id", "raw")


def record(**values: Any) -> dict[str, Any]:
    """A crm_record row with every column named (one INSERT ... executemany for all rows)."""
    return {
        **dict.fromkeys(COLUMNS),
        "crm": "salesforce",
        "deleted": False,
        "pulled_at": NOW,
        "modified_at": NOW,
        **values,
    }


def build(url: str, people: int, rng: random.Random) -> None:
    upgrade(url)
    settings = load_settings(env_file=None, database_url=url, env="test")
    engine = make_engine(settings)
    accounts = max(1, people // 10)
    rows: list[dict[str, Any]] = [
        record(object_type="account", crm_id=sf_id("001", a), company=f"Company {a}")
        for a in range(accounts)
    ]
    engaged: list[int] = []
    for p in range(people):
        lead = p % 10 == 9
        rows.append(
            record(
                object_type="lead" if lead else "contact",
                crm_id=sf_id("00Q" if lead else "003", p),
                first_name=f"First{p}",
                last_name=f"Last{p}",
                email=f"person{p}@example.com",
                company=f"Company {p % accounts}",
                title=rng.choice(TITLES),
                account_crm_id=None if lead else sf_id("001", p % accounts),
            )
        )
        if rng.random() < 0.25:
            engaged.append(p)
    for o in range(min(3000, accounts)):
        rows.append(
            record(
                object_type="opportunity",
                crm_id=sf_id("006", o),
                company=f"Deal {o}",
                title="Negotiation",
                account_crm_id=sf_id("001", rng.randrange(accounts)),
                raw={"IsClosed": False, "Amount": 10000},
            )
        )
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(CrmRecord), rows[i : i + 5000])
        ids = {
            crm_id: rid
            for rid, crm_id in conn.execute(
                CrmRecord.__table__.select().with_only_columns(
                    CrmRecord.__table__.c.id, CrmRecord.__table__.c.crm_id
                )
            )
        }
        profiles, links, tps = [], [], []
        for n, p in enumerate(engaged):
            profiles.append(
                {
                    "id": n + 1,
                    "platform": "linkedin",
                    "platform_user_id": f"li-{p}",
                    "handle": f"person{p}",
                    "name": f"First{p} Last{p}",
                    "email": f"person{p}@example.com",
                    "first_seen": NOW,
                    "last_seen": NOW,
                }
            )
            record_id = ids[sf_id("00Q" if p % 10 == 9 else "003", p)]
            links.append(
                {
                    "profile_id": n + 1,
                    "record_id": record_id,
                    "status": "auto",
                    "score": 12.5,
                    "decided_by": "matcher",
                    "decided_at": NOW,
                    "explanation": [
                        {
                            "comparison": "email",
                            "level": "exact",
                            "weight": 9.1,
                            "explanation": "same email",
                        }
                    ],
                }
            )
            for t in range(min(400, int(rng.paretovariate(1.3) * 4))):
                kind = rng.choice(KINDS)
                tps.append(
                    {
                        "dedupe_key": f"b-{p}-{t}",
                        "profile_id": n + 1,
                        "platform": "linkedin",
                        "kind": kind,
                        "is_own": False,
                        "occurred_at": NOW - timedelta(days=rng.random() * 180),
                        "text": rng.choice(TEXTS) if kind in ("comment", "reply") else None,
                        "post_url": f"https://www.linkedin.com/feed/update/{p}-{t}",
                    }
                )
        for table, batch in ((SocialProfile, profiles), (IdentityLink, links), (Touchpoint, tps)):
            for i in range(0, len(batch), 5000):
                conn.execute(insert(table), batch[i : i + 5000])
    print(
        f"built: {accounts} accounts, {people} people, {len(engaged)} engaged, "
        f"{len(tps)} touchpoints; scoring...",
        flush=True,
    )
    started = time.perf_counter()
    recompute_all(engine)
    print(f"scored in {time.perf_counter() - started:.0f} s", flush=True)
    engine.dispose()


def serve(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SALESFORCE_CARD_KEY": KEY,
        "ENRICH_ENV": "development",
        "CARD_REQUESTS_PER_MINUTE": "1000000",
        "ENRICH_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "enrich",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "4",
        ],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120  # a busy machine starts gunicorn slowly
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.5)
    proc.terminate()
    proc.wait(20)
    raise SystemExit(f"server did not start; see {log}")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--workdir", default="/tmp/enrich-card-bench")
    args = parser.parse_args()
    rng = random.Random(7)
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    db = work / f"card-{args.people}.db"
    url = f"sqlite:///{db}"
    if not db.exists():
        build(url, args.people, rng)
    upgrade(url)  # a database built by an older checkout gets the current schema
    pools = _pools(url)
    proc = serve(url, args.port, work / "server.log")
    base = f"http://127.0.0.1:{args.port}"
    session = requests.Session()
    headers = {"X-Enrich-Card-Key": KEY, "X-Enrich-User-Id": USER}
    mix = ["engaged"] * 6 + ["account"] * 2 + ["quiet", "unknown"]
    try:
        for _ in range(60):  # warm: caches, scorer, connection pools in both workers
            session.get(
                f"{base}/embed/salesforce/card",
                params={"recordId": rng.choice(pools["engaged"])},
                headers=headers,
            )
        results: dict[str, list[float]] = {}
        health: list[float] = []
        for run in range(args.runs):
            by_kind: dict[str, list[float]] = {k: [] for k in set(mix)}
            for _ in range(args.samples):
                kind = rng.choice(mix)
                started = time.perf_counter()
                answer = session.get(
                    f"{base}/embed/salesforce/card",
                    headers=headers,
                    params={"recordId": rng.choice(pools[kind])},
                )
                by_kind[kind].append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.text
                started = time.perf_counter()
                session.get(f"{base}/healthz")
                health.append((time.perf_counter() - started) * 1000)
            every = [v for values in by_kind.values() for v in values]
            print(
                f"run {run + 1}: cards p50 {pct(every, 0.5):.1f} ms, p95 {pct(every, 0.95):.1f}"
                f" ms, p99 {pct(every, 0.99):.1f} ms (n={len(every)})",
                flush=True,
            )
            for kind, values in by_kind.items():
                results.setdefault(kind, []).append(pct(values, 0.95))
            results.setdefault("all", []).append(pct(every, 0.95))
        print(f"\n{args.people:,} people; median over {args.runs} runs of each run's p95:")
        for kind in ("all", "engaged", "account", "quiet", "unknown"):
            print(f"  {kind:8s} p95 {statistics.median(results[kind]):7.1f} ms")
        floor = pct(health, 0.95)
        print(
            f"  /healthz p95 {floor:.1f} ms (HTTP floor); card p95 / floor = "
            f"{statistics.median(results['all']) / floor:.1f}x; target < 300 ms"
        )
    finally:
        proc.terminate()
        proc.wait(20)


def _pools(url: str) -> dict[str, list[str]]:
    """The records to ask for, read back from the bench database."""
    settings = load_settings(env_file=None, database_url=url, env="test")
    engine = make_engine(settings)
    with Session(engine) as session:
        engaged = list(
            session.exec(
                select(CrmRecord.crm_id).join(
                    IdentityLink, col(IdentityLink.record_id) == CrmRecord.id
                )
            )
        )
        linked = set(engaged)
        quiet = [
            c
            for c in session.exec(
                select(CrmRecord.crm_id).where(CrmRecord.object_type == "contact").limit(20_000)
            )
            if c not in linked
        ][:2000]
        accounts = list(
            session.exec(select(CrmRecord.crm_id).where(CrmRecord.object_type == "account"))
        )
    engine.dispose()
    return {
        "engaged": engaged,
        "quiet": quiet,
        "account": accounts,
        "unknown": [sf_id("003", 10**9 + n) for n in range(2000)],
    }


if __name__ == "__main__":
    main()
