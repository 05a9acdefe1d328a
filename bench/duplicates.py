"""Duplicate detection in the mirror: how many true duplicate pairs it finds, how many pairs
it reports that are two people, and what it costs.

    python bench/duplicates.py --seeds 101-105            # both generators, 20,000 people
    python bench/duplicates.py --records 1000000 --generator social   # the cost at scale

Each dataset is a generator's CRM people with ``share`` of them given a second record
(``bench/matching_duplicates.py``). Found pairs are checked against the truth (``Dataset.same``):
recall = true duplicate pairs found / true duplicate pairs; precision = found pairs that are
one person / found pairs. Time is ``duplicates.pairs`` over the whole list (keys, grouping,
pairs), wall clock, after the records were generated; memory is the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.match_accuracy import GENERATORS, seed_list  # noqa: E402
from bench.matching_duplicates import with_duplicates  # noqa: E402
from enrich.matching.duplicates import Duplicates, pairs  # noqa: E402


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=seed_list, default=[101])
    ap.add_argument("--records", type=int, default=20000, help="CRM people before duplicates")
    ap.add_argument("--share", type=float, default=0.08, help="share given a second record")
    ap.add_argument("--generator", choices=[*GENERATORS, "both"], default="both")
    a = ap.parse_args()
    gens = list(GENERATORS) if a.generator == "both" else [a.generator]
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
