"""Matching speed: index build time and RSS, online p50/p99 (warm or cold), and backfill.

    python bench/match_speed.py                                  # 100,000 records
    python bench/match_speed.py --records 1000000 --cold 20000   # unseen profiles
    python bench/match_speed.py --records 1000000 --backfill 100000 --workers 1
    python bench/match_speed.py --records 100000 --train 3000    # enrich match train's cost

Online latency, by default, is the warm inner loop: a warm-up pass over the profiles, then
three timed passes over the *same* profiles (every per-profile cache hit); the median p50 and
p99 of the passes are reported. ``--cold N`` instead times N profiles the matcher has never
seen, each once (what a worker meets on live webhooks: the per-name and per-key caches hold
only what earlier, different profiles left); a short warm-up on other profiles first, so the
figure is not the first call's imports. Cold runs also print the CPU time of each match (the
matching thread's own): on a machine shared with other work the wall time includes waiting
for a core, the CPU time does not (it still pays for caches others evict). Backfill matches
``--backfill`` generated profiles with ``Matcher.match_many(workers=...)`` (forked after the
index is built). ``--train N`` times ``train`` (what ``enrich match train`` runs after
reading the files) on the records and N profiles, index build included, as a separate run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.matching_data import generate  # noqa: E402
from enrich.matching.rules import default_rules  # noqa: E402
from enrich.matching.scorer import Matcher  # noqa: E402
from enrich.matching.train import train  # noqa: E402


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _p99(sorted_ms: list[float]) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(0.99 * len(sorted_ms)))]


def main() -> None:
    ap = argparse.ArgumentParser(description="Matcher speed.")
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--profiles", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--backfill", type=int, default=0, help="profiles to backfill (0: skip)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--train",
        type=int,
        default=0,
        help="time training on the records and this many profiles, then stop",
    )
    ap.add_argument(
        "--cold",
        type=int,
        default=0,
        help="time this many unseen profiles once each (instead of warm passes)",
    )
    a = ap.parse_args()
    t = time.perf_counter()
    ds = generate(a.seed, a.records, max(a.profiles, a.backfill, a.train, a.cold + 200))
    print(f"generated {a.records} records in {time.perf_counter() - t:.0f} s", flush=True)
    if a.train:
        t = time.perf_counter()
        result = train(default_rules(), ds.people, ds.profiles[: a.train])
        print(
            f"train on {a.records} records and {a.train} profiles: "
            f"{time.perf_counter() - t:.1f} s wall, index build included "
            f"(EM {result.iterations} iterations, {result.blocked_pairs} blocked pairs, "
            f"{result.random_pairs} random pairs)",
            flush=True,
        )
        return
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    m = Matcher(default_rules(), ds.people)
    build = time.perf_counter() - t0
    rss1 = _rss_mb()
    print(
        f"records {a.records}: build {build:.1f} s, index RSS {rss1 - rss0:.0f} MB "
        f"(process {rss1:.0f} MB with the records), stats {m.index_stats()}",
        flush=True,
    )
    if a.cold:
        for p in ds.profiles[a.cold : a.cold + 200]:  # imports, first-call costs
            m.match(p)
        times, cpu = [], []
        for p in ds.profiles[: a.cold]:
            t, c = time.perf_counter(), time.thread_time()
            m.match(p)
            cpu.append((time.thread_time() - c) * 1000)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        cpu.sort()
        print(
            f"online cold ({a.cold} unseen profiles, each matched once): "
            f"p50 {statistics.median(times):.2f} ms, p99 {_p99(times):.2f} ms, "
            f"max {times[-1]:.1f} ms; CPU time p50 {statistics.median(cpu):.2f} ms, "
            f"p99 {_p99(cpu):.2f} ms",
            flush=True,
        )
        return
    online = ds.profiles[: a.profiles]
    for p in online:  # warm-up
        m.match(p)
    p50s, p99s = [], []
    for _ in range(a.passes):
        times = []
        for p in online:
            t = time.perf_counter()
            m.match(p)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p50s.append(statistics.median(times))
        p99s.append(_p99(times))
    print(
        f"online ({a.profiles} profiles, {a.passes} passes after warm-up): "
        f"p50 {statistics.median(p50s):.2f} ms {[round(x, 2) for x in p50s]}, "
        f"p99 {statistics.median(p99s):.2f} ms {[round(x, 2) for x in p99s]}",
        flush=True,
    )
    if a.backfill:
        todo = ds.profiles[: a.backfill]
        for workers in sorted({1, a.workers}):
            if workers == 1 and a.workers > 1 and a.backfill > 20_000:
                continue  # a long 1-process run only when asked for (--workers 1)
            t = time.perf_counter()
            n = sum(1 for _ in m.match_many(todo, workers=workers))
            wall = time.perf_counter() - t
            print(
                f"backfill {n} profiles, {workers} worker(s): {wall:.1f} s "
                f"({1000 * wall / n:.2f} ms/profile), RSS after {_rss_mb():.0f} MB",
                flush=True,
            )


if __name__ == "__main__":
    main()
