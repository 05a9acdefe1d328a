"""Online matching speed: index build time, RSS, and per-profile p50/p99 against N records.

    python bench/match_speed.py                      # 100,000 records, 2,000 profiles
    python bench/match_speed.py --records 1000000    # the full target size
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.matching_data import generate  # noqa: E402
from enrich.matching.rules import default_rules  # noqa: E402
from enrich.matching.scorer import Matcher  # noqa: E402


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description="Matcher speed.")
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--profiles", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=3)
    a = ap.parse_args()
    ds = generate(a.seed, a.records, a.profiles)
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    m = Matcher(default_rules(), ds.people)
    build = time.perf_counter() - t0
    rss1 = _rss_mb()
    times = []
    for p in ds.profiles:
        t = time.perf_counter()
        m.match(p)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
    print(f"records {a.records}, profiles {a.profiles}: build {build:.1f} s, "
          f"index+records RSS {rss1 - rss0:.0f} MB (process {rss1:.0f} MB), "
          f"match p50 {statistics.median(times):.2f} ms, p99 {p99:.2f} ms, "
          f"stats {m.index_stats()}")


if __name__ == "__main__":
    main()
