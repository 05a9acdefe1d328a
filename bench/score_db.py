"""Benchmark: `enrich score --recompute` through the database, as users run it.

The data is `bench/score_recompute.py`'s touchpoint log (same kinds, platforms, texts and
post pool; its times moved to end today), stored in an enrich database with bulk inserts
before the clock starts: per person a CRM contact (ten to an account, so every account is
rolled up), a social profile with an automatic link, and its touchpoints. Then the real
command runs as a child process, `python -m enrich score --recompute`, and only it is timed:
reading every person's touchpoints, scoring, writing scores, interests, hand-offs, account
roll-ups and outbox rows. The first run creates every score (a rule change on a new
install); the next runs rewrite them (the daily decay job).

    .venv/bin/python bench/score_db.py --people 10000 --touchpoints 100000
    .venv/bin/python bench/score_db.py --people 100000 --touchpoints 1000000   # target < 60 s
    options: --runs 2 --postgres (a PostgreSQL started for the run; default SQLite)
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from bench.score_recompute import AS_OF, generate  # noqa: E402
from enrich.db import upgrade  # noqa: E402
from enrich.models import CrmRecord, IdentityLink, SocialProfile, Touchpoint  # noqa: E402
from tests import servers  # noqa: E402

CHUNK = 20_000


def load(database_url: str, people: int, touchpoints: int) -> None:
    """Store the people, profiles, links and touchpoints with Core bulk inserts."""
    by_person, fields = generate(0, 1, touchpoints, people)
    shift = datetime.now(UTC) - AS_OF
    now = datetime.now(UTC)
    engine = create_engine(database_url)
    tables = {m: m.__table__ for m in (CrmRecord, SocialProfile, IdentityLink, Touchpoint)}
    accounts = (people + 9) // 10
    with engine.begin() as conn:
        conn.execute(
            insert(tables[CrmRecord]),
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
        rows = []
        for n, person in enumerate(by_person):
            rows.append(
                {
                    "id": accounts + n + 1,
                    "crm": "salesforce",
                    "object_type": "contact",
                    "crm_id": f"003C{n:011d}",
                    "first_name": f"Person{n}",
                    "last_name": f"Tester{n}",
                    "email": f"person{n}@account{n // 10}.example",
                    "company": f"Account {n // 10}",
                    "account_crm_id": f"001A{n // 10:011d}",
                    "title": fields[person]["title"],
                    "pulled_at": now,
                    "deleted": False,
                }
            )
        for i in range(0, len(rows), CHUNK):
            conn.execute(insert(tables[CrmRecord]), rows[i : i + CHUNK])
        profiles = [
            {
                "id": n + 1,
                "platform": "linkedin",
                "platform_user_id": f"li-{n}",
                "name": f"Person{n} Tester{n}",
                "first_seen": now,
                "last_seen": now,
            }
            for n in range(len(by_person))
        ]
        links = [
            {
                "profile_id": n + 1,
                "record_id": accounts + n + 1,
                "status": "auto",
                "score": 9.0,
                "decided_by": "matcher",
                "decided_at": now,
            }
            for n in range(len(by_person))
        ]
        for i in range(0, len(profiles), CHUNK):
            conn.execute(insert(tables[SocialProfile]), profiles[i : i + CHUNK])
            conn.execute(insert(tables[IdentityLink]), links[i : i + CHUNK])
        batch: list[dict[str, object]] = []
        for n, person in enumerate(by_person):
            for tp in by_person[person]:
                batch.append(
                    {
                        "dedupe_key": f"bench:{tp.id}",
                        "profile_id": n + 1,
                        "platform": tp.platform.value,
                        "kind": tp.kind.value,
                        "post_text": tp.post_text or None,
                        "text": tp.text or None,
                        "occurred_at": tp.occurred_at + shift,
                        "is_own": False,
                    }
                )
                if len(batch) >= CHUNK:
                    conn.execute(insert(tables[Touchpoint]), batch)
                    batch = []
        if batch:
            conn.execute(insert(tables[Touchpoint]), batch)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--touchpoints", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="enrich-score-db-"))
    pg = servers.start_postgres() if args.postgres else None
    try:
        database_url = (
            servers.create_database(pg, "enrich_score")
            if pg is not None
            else f"sqlite:///{tmp / 'score.db'}"
        )
        upgrade(database_url)
        started = time.perf_counter()
        load(database_url, args.people, args.touchpoints)
        print(
            f"score_db: {args.people:,} people, {args.touchpoints:,} touchpoints stored on "
            f"{'PostgreSQL' if pg else 'SQLite'} in {time.perf_counter() - started:.0f} s "
            f"(not timed); {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CRM": "none",
            "ENRICH_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        env.pop("REDIS_URL", None)
        walls = []
        for run in range(args.runs):
            cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-m", "enrich", "score", "--recompute"],
                env=env,
                cwd=tmp,
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.perf_counter() - started
            cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            # The command and its forked helpers: what the machine's load does not change.
            cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
            if out.returncode != 0:
                sys.exit(f"enrich score --recompute failed:\n{out.stderr[-3000:]}")
            walls.append(wall)
            print(
                f"run {run + 1} ({'scores created' if run == 0 else 'scores rewritten'}): "
                f"{wall:.1f} s, {args.touchpoints / wall:,.0f} touchpoints/s; CPU {cpu:.1f} s "
                f"(the command and its helpers) — {out.stdout.strip()}",
                flush=True,
            )
        engine = create_engine(database_url)
        with engine.connect() as conn:
            scored = conn.execute(text("select count(*) from score")).scalar()
            interests = conn.execute(text("select count(*) from interest")).scalar()
        engine.dispose()
        print(f"scores stored {scored} (people + accounts), interests {interests}")
    finally:
        if pg is not None:
            pg.stop()


if __name__ == "__main__":
    main()
