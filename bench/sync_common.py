"""Shared set-up of the CRM sync benchmarks (bench/sync_calls.py, bench/sync_faults.py).

A loopback sandbox CRM seeded with N contacts over N/10 accounts, enrich on SQLite with its
mirror pulled (tests/sync/harness.py `World`), and M touchpoints ingested through the real
pipeline. Every contact gets at least one touchpoint; the rest are spread with a skew (a few
people engage a lot), seeded, so runs are comparable.

Ingest is slow at this size (about 20 ms per touchpoint on 2 cores, ~3.5 min for 10,000: the
pipeline, not the sync, is the cost) and is not what these benchmarks measure, so the enrich
database right after ingest is kept in a cache directory keyed by (crm, contacts, touchpoints,
seed) and copied for later runs. The sandbox's ids are deterministic for a seed, so a copy
matches a fresh sandbox. `--no-cache` ingests afresh.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from enrich.sandbox import Sandbox  # noqa: E402
from tests.sync.harness import World  # noqa: E402

CACHE = Path(
    os.environ.get("ENRICH_BENCH_CACHE", Path(tempfile.gettempdir()) / "enrich-bench-sync")
)
KINDS = [
    ("like", None),
    ("comment", "Great point about data pipelines"),
    ("share", None),
    ("mention", "cc our analytics team"),
    ("reply", "Agreed, we use this at work"),
    ("follow", None),
]


def email(i: int, accounts: int) -> str:
    return f"person{i}@account{i % accounts}.example"


def seed(contacts: int) -> dict[str, Any]:
    accounts = max(1, contacts // 10)
    return {
        "enrich_fields": True,
        "accounts": [
            {"key": f"a{j}", "name": f"Account {j} Inc", "domain": f"account{j}.example"}
            for j in range(accounts)
        ],
        "contacts": [
            {
                "first_name": f"Person{i}",
                "last_name": f"Tester{i}",
                "email": email(i, accounts),
                "account": f"a{i % accounts}",
            }
            for i in range(contacts)
        ],
    }


def touches(
    contacts: int, touchpoints: int, rng_seed: int = 1
) -> list[tuple[str, str, str | None]]:
    """(email, kind, text): one per contact, then the rest skewed (Pareto) over contacts."""
    accounts = max(1, contacts // 10)
    rng = random.Random(rng_seed)
    who = list(range(contacts))
    weights = [rng.paretovariate(1.2) for _ in range(contacts)]
    who += rng.choices(range(contacts), weights=weights, k=max(0, touchpoints - contacts))
    rng.shuffle(who)
    out = []
    for i in who[:touchpoints]:
        kind, text = rng.choice(KINDS)
        out.append((email(i, accounts), kind, text))
    return out


def world(
    workdir: Path,
    sandbox: Sandbox,
    crm: str,
    contacts: int,
    touchpoints: int,
    use_cache: bool = True,
    log: Any = print,
) -> tuple[World, float | None]:
    """A World with the load ingested (from the cache when present); returns (world, ingest s)."""
    key = CACHE / f"{crm}-{contacts}c-{touchpoints}t-v1.db"
    db = workdir / "world.db"
    if use_cache and key.exists():
        shutil.copyfile(key, db)
        # The copy's mirror cursor is set, so World's pull is incremental: on HubSpot that is
        # the search API, 100 per page, and the sandbox allows 5 searches/s like HubSpot does.
        # Set-up, not measured: lifted for the pull only.
        limit = sandbox.limits.hs_search_per_second
        sandbox.set_limits(hs_search_per_second=10**6)
        w = World(workdir, sandbox, crm)
        sandbox.set_limits(hs_search_per_second=limit)
        sandbox.reset_usage()
        log(f"[{crm}] ingest: reused {key}")
        return w, None
    w = World(workdir, sandbox, crm)
    started = time.perf_counter()
    w.ingest(touches(contacts, touchpoints))
    took = time.perf_counter() - started
    log(f"[{crm}] ingest: {touchpoints} touchpoints through the pipeline in {took:.0f} s")
    if use_cache:
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = key.with_suffix(".tmp")
        src, dst = sqlite3.connect(db), sqlite3.connect(tmp)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        tmp.replace(key)
    w.sandbox.reset_log()
    return w, took


class CallCounter:
    """Wraps an adapter's write methods to attribute each HTTP call to an object type."""

    def __init__(self, adapter: Any) -> None:
        self.adapter = adapter
        self.calls: dict[str, int] = {}
        self.items: dict[str, int] = {}
        for name in ("write_fields", "write_activities", "delete_activities"):
            setattr(adapter, name, self._wrap(name, getattr(adapter, name)))

    def _wrap(self, name: str, method: Any) -> Any:
        def wrapped(*args: Any) -> Any:
            if name == "write_fields":
                label, n = f"fields:{args[0]}", len(args[1])
            elif name == "write_activities":
                acts = args[0]
                label = "handoff tasks" if acts and all(a.handoff for a in acts) else "activities"
                n = len(acts)
            else:
                label, n = name, len(args[0])
            before = self.adapter.calls
            try:
                return method(*args)
            finally:
                self.calls[label] = self.calls.get(label, 0) + self.adapter.calls - before
                self.items[label] = self.items.get(label, 0) + n

        return wrapped


def activity_counts(w: World) -> tuple[int, int, int]:
    """(activities in the CRM, distinct touchpoint keys, keys present more than once)."""
    from collections import Counter

    if w.crm == "salesforce":
        keys = [t.get("Enrich_Touchpoint_Id__c") for t in w.sandbox.sf_records("Task")]
    else:
        keys = [n["properties"].get("enrich_touchpoint_id") for n in w.sandbox.hs_objects("notes")]
    keys = [k for k in keys if not str(k or "").startswith("handoff-")]  # follow-up tasks
    counts = Counter(keys)
    return len(keys), len(counts), sum(1 for n in counts.values() if n > 1)
