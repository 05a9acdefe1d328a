"""What each romanisation library costs and what it adds to the matcher (issue 23).

    python bench/romanisation.py --seeds 101-103            # costs, then recall per script
    python bench/romanisation.py --costs-only

Costs, each in a fresh interpreter: the import time and the RSS it adds, and for pykakasi
the first conversion too (its kanji dictionary is loaded then); the installed size of the
package's files (``importlib.metadata``). Recall: ``match_accuracy.evaluate`` on both
generators with the #23 families, per script family (link recall, link + review recall),
with the shipped code and with one library replaced by what the matcher would do without
it: Hangul through unidecode instead of korean-romanizer; kanji through unidecode's
Chinese readings instead of pykakasi (``pypinyin``, ``anyascii`` are measured for cost
only: the matcher reads Chinese characters with unidecode, whose pinyin they would
replace). Each variant runs in its own process, so no cache carries over.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.match_accuracy import evaluate, seed_list  # noqa: E402

COSTS = {
    "unidecode": "from unidecode import unidecode; unidecode('Αγγελική 张伟')",
    "korean-romanizer": (
        "from korean_romanizer.romanizer import Romanizer; Romanizer('김민준').romanize()"
    ),
    "pykakasi": "import pykakasi; pykakasi.kakasi().convert('佐藤太郎')",
    "pypinyin": "import pypinyin; pypinyin.lazy_pinyin('张伟')",
    "anyascii": "from anyascii import anyascii; anyascii('张伟 Αγγελική')",
}
_PROBE = """
import sys, time

def rss():  # resident now (ru_maxrss would carry over the parent's peak across exec)
    with open("/proc/self/status") as fh:
        return next(int(x.split()[1]) for x in fh if x.startswith("VmRSS:"))

before = rss()
t = time.perf_counter()
exec(sys.argv[1])
ms = 1000 * (time.perf_counter() - t)
print(ms, (rss() - before) / 1024)
"""


def installed_kb(dist: str) -> float | None:
    try:
        files = metadata.distribution(dist).files or []
    except metadata.PackageNotFoundError:
        return None
    return sum(f.size or 0 for f in files) / 1024


def costs(runs: int) -> None:
    print(f"{'library':18s} {'installed':>10} {'import+first use':>18} {'RSS added':>10}")
    for dist, stmt in COSTS.items():
        size = installed_kb(dist)
        if size is None:
            print(f"{dist:18s} not installed")
            continue
        samples = []
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-c", _PROBE, stmt], capture_output=True, text=True, check=True
            ).stdout.split()
            samples.append((float(out[0]), float(out[1])))
        ms = sorted(s[0] for s in samples)[len(samples) // 2]
        rss = sorted(s[1] for s in samples)[len(samples) // 2]
        print(f"{dist:18s} {size / 1024:>8.1f} MB {ms:>15.0f} ms {rss:>7.0f} MB")


def _without(library: str) -> None:
    """Make the matcher read one script the way it would without ``library``."""
    from unidecode import unidecode

    from enrich.matching import scripts

    if library == "korean-romanizer":

        class _Unidecoded:
            def __init__(self, text: str) -> None:
                self.text = text

            def romanize(self) -> str:
                return unidecode(self.text)

        scripts.Romanizer = _Unidecoded  # type: ignore[misc,assignment]
    elif library == "pykakasi":

        class _NoKakasi:
            @staticmethod
            def convert(text: str) -> list[dict[str, str]]:
                return [{"hepburn": unidecode(c)} for c in text]

        scripts._kakasi = lambda: _NoKakasi()  # type: ignore[assignment]


def recall(variant: str, seeds: list[int]) -> dict[str, list[int]]:
    if variant != "shipped":
        _without(variant)
    counts: Counter[str] = Counter()
    for gen in ("social", "census"):
        for seed in seeds:
            counts.update(
                evaluate(seed, 20000, 3000, generator=gen, duplicates=0.08, families=1.0)[
                    "_families"
                ]
            )
    names = sorted({k.rpartition(":")[0] for k in counts if k.startswith(("script:", "dual"))})
    return {n: [counts[f"{n}:matchable"], counts[f"{n}:link"], counts[f"{n}:found"]] for n in names}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=seed_list, default=[101, 102, 103])
    ap.add_argument("--runs", type=int, default=5, help="cost probes per library (median)")
    ap.add_argument("--costs-only", action="store_true")
    ap.add_argument("--variant", default="", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.variant:
        print(json.dumps(recall(a.variant, a.seeds)))
        return
    costs(a.runs)
    if a.costs_only:
        return
    seeds = ",".join(map(str, a.seeds))
    results = {}
    for variant in ("shipped", "korean-romanizer", "pykakasi"):
        out = subprocess.run(
            [sys.executable, __file__, "--variant", variant, "--seeds", seeds],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results[variant] = json.loads(out.strip().splitlines()[-1])
    print(f"\nrecall per family, both generators, seeds {seeds} (link / link+review)")
    print(f"{'family':18s} {'pairs':>6} " + " ".join(f"{v:>22s}" for v in results))
    for fam, (n, *_rest) in results["shipped"].items():
        cells = []
        for v in results:
            _, link, found = results[v][fam]
            cells.append(f"{link / n:.3f} / {found / n:.3f}")
        print(f"{fam:18s} {n:>6} " + " ".join(f"{c:>22s}" for c in cells))
    print("(columns: shipped; without korean-romanizer: Hangul by unidecode; without pykakasi)")


if __name__ == "__main__":
    main()
