"""Duplicate detection in the mirror: how many true duplicate pairs it finds, how many pairs
it reports that are two people, and what it costs.

    python bench/duplicates.py --seeds 101-105            # both generators, 20,000 people
    python bench/duplicates.py --records 1000000 --generator social   # the cost at scale
    python bench/duplicates.py --records 100000 --generator social --scan   # the stored scan

Each dataset is a generator's CRM people with ``share`` of them given a second record
(``bench/matching_duplicates.py``). Found pairs are checked against the truth (``Dataset.same``):
recall = true duplicate pairs found / true duplicate pairs; precision = found pairs that are
one person / found pairs. Time is ``duplicates.pairs`` over the whole list (keys, grouping,
pairs), wall clock, after the records were generated; memory is the process's peak RSS.
``--scan`` instead stores the records in a fresh SQLite mirror (migrated, bulk inserted) and
times the job RevOps' listing reads from, ``services.duplicates.scan``: reading the contacts
and leads, finding the pairs, replacing the stored ones.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.match_accuracy import GENERATORS, seed_list  # noqa: E402
from bench.matching_duplicates import with_duplicates  # noqa: E402
from enrich.db import upgrade  # noqa: E402
from enrich.matching.duplicates import Duplicates, pairs  # noqa: E402
from enrich.models import CrmRecord, table_of  # noqa: E402
from enrich.services.duplicates import scan  # noqa: E402


def run(generator: str, seed: int, records: int, share: float) -> dict[str, float]:
    ds = with_duplicates(GENERATORS[generator](seed, records, 0), seed, share)
    truth = {frozenset(v) for v in ds.same.values()}
    rule = Duplicates()
    t0 = time.perf_counter()
    found = list(pairs(ds.people, rule))
    seconds = time.perf_counter() - t0
    ids = [p.id for p in ds.people]
    got = {frozenset({ids[p.first], ids[p.second]}) for p in found}
    return {
        "records": len(ds.people),
        "true_pairs": len(truth),
        "found": len(got),
        "recall": len(got & truth) / len(truth) if truth else 1.0,
        "precision": len(got & truth) / len(got) if got else 1.0,
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_scan(generator: str, seed: int, records: int, share: float) -> None:
    ds = with_duplicates(GENERATORS[generator](seed, records, 0), seed, share)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/mirror.db"
        upgrade(url)
        engine = create_engine(url)
        now = datetime.now(UTC)
        rows = [
            {
                "crm": "salesforce",
                "object_type": p.record_type or "contact",
                "crm_id": f"{i:018d}",
                "first_name": p.first_name,
                "last_name": p.last_name,
                "email": p.email,
                "company": p.company,
                "title": p.title,
                "city": p.city,
                "country": p.country,
                "linkedin_url": p.linkedin_url,
                "modified_at": datetime.fromisoformat(p.modified_at) if p.modified_at else None,
                "deleted": False,
                "pulled_at": now,
            }
            for i, p in enumerate(ds.people)
        ]
        with engine.begin() as conn:
            for start in range(0, len(rows), 10000):
                conn.execute(insert(table_of(CrmRecord)), rows[start : start + 10000])
        t0 = time.perf_counter()
        done = scan(engine)
        seconds = time.perf_counter() - t0
        assert done is not None
        again = time.perf_counter()
        assert scan(engine) is None
        idle_ms = 1000 * (time.perf_counter() - again)
        print(
            f"{generator} seed {seed}: {done.records} records, {done.pairs} pairs stored; "
            f"scan {seconds:.2f} s, unchanged mirror {idle_ms:.1f} ms; "
            f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=seed_list, default=[101])
    ap.add_argument("--records", type=int, default=20000, help="CRM people before duplicates")
    ap.add_argument("--share", type=float, default=0.08, help="share given a second record")
    ap.add_argument("--generator", choices=[*GENERATORS, "both"], default="both")
    ap.add_argument("--scan", action="store_true", help="time the stored scan over SQLite")
    a = ap.parse_args()
    gens = list(GENERATORS) if a.generator == "both" else [a.generator]
    if a.scan:
        for g in gens:
            for seed in a.seeds:
                run_scan(g, seed, a.records, a.share)
        return
    print("generator  seed  records   true pairs  found    recall   precision  seconds  peak MB")
    for g in gens:
        for seed in a.seeds:
            r = run(g, seed, a.records, a.share)
            print(
                f"{g:9s} {seed:5d} {r['records']:>8.0f} {r['true_pairs']:>11.0f} "
                f"{r['found']:>7.0f} {r['recall']:>8.4f} {r['precision']:>10.4f} "
                f"{r['seconds']:>8.2f} {r['peak_rss_mb']:>8.0f}"
            )


if __name__ == "__main__":
    main()
