"""Benchmark: instructions per phase of one recompute chunk (read, score, write), by callgrind.

CPU seconds on this shared machine swing by ±15 % between identical runs; instruction counts
do not (the same count twice, whatever else runs). This stores `bench/score_db.py`'s data
(N people, ten touchpoints each) in a SQLite file, then runs one chunk of
`enrich score --recompute`'s work (`enrich.scoring.bulk`: read, score, write, rolled back)
under `valgrind --tool=callgrind` four times, stopping after each phase, and prints the
instructions each phase adds. Caches start cold, as in a chunk of a fresh recompute process.

    .venv/bin/python bench/score_phases.py --people 1000        # ~5 min (valgrind is ~50x)
    options: --root DIR  (score the enrich code of another checkout, e.g. a git worktree)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("none", "read", "score", "write")


def _phase(database_url: str, people: int, stop: str) -> None:
    """Runs in the valgrind child: every phase up to ``stop``."""
    os.environ.update(DATABASE_URL=database_url, CRM="none", ENRICH_LOG_LEVEL="WARNING")
    os.environ.pop("REDIS_URL", None)
    from sqlmodel import Session

    from enrich.config import Settings
    from enrich.runtime import build, install
    from enrich.scoring.active import scorer_cache

    try:
        from enrich.scoring.bulk import read as read_many
        from enrich.scoring.bulk import score as score_many
        from enrich.scoring.bulk import write as write_many
    except ImportError:  # a checkout from before enrich.scoring.bulk (2962a71 and older)
        from enrich.scoring.recompute import _read as read_many  # type: ignore
        from enrich.scoring.recompute import _score as score_many  # type: ignore
        from enrich.scoring.recompute import _write as write_many  # type: ignore

    runtime = install(build(Settings(), embedded_worker=False))
    accounts = (people + 9) // 10
    ids = list(range(accounts + 1, accounts + people + 1))
    now = datetime(2026, 12, 8, tzinfo=UTC)
    with Session(runtime.engine) as session:
        scorer_cache.get(session)
        if stop == "none":
            return
        read = read_many(session, ids)
        if stop == "read":
            return
        scored = score_many(session, ids, read, now, True)
        if stop == "score":
            return
        write_many(session, scored)
        session.flush()
        session.rollback()


def _instructions(root: Path, database_url: str, people: int, stop: str) -> int:
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            str(ROOT / "bench" / "score_phases.py"),
            "--child",
            stop,
            "--people",
            str(people),
            "--database",
            database_url,
        ],
        env={**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": f"{root}:{ROOT}"},
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        sys.exit(f"valgrind printed no instruction count:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--database")
    parser.add_argument("--child", choices=PHASES)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, os.getcwd())  # the checkout being measured comes first
        _phase(args.database, args.people, args.child)
        return
    sys.path.insert(0, str(ROOT))
    from bench.score_db import load
    from enrich.db import upgrade

    database_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='enrich-phases-')) / 'score.db'}"
    upgrade(database_url)
    load(database_url, args.people, args.people * 10)
    counts = {stop: _instructions(args.root, database_url, args.people, stop) for stop in PHASES}
    print(f"score_phases: {args.people:,} people, {args.people * 10:,} touchpoints, {args.root}")
    previous = counts["none"]
    for stop in PHASES[1:]:
        print(f"  {stop:6s} {(counts[stop] - previous) / 1e6:9.1f} M instructions")
        previous = counts[stop]
    print(f"  total  {(counts['write'] - counts['none']) / 1e6:9.1f} M instructions")


if __name__ == "__main__":
    main()
