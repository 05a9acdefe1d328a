"""CPU per delivery of processing, in process (inner loop): what `process_pending` spends.

A temporary SQLite database with a mirror of --contacts CRM contacts; --deliveries signed
deliveries (`bench/load.py`'s mix: half by CRM contacts, by email, half by strangers seen once;
--repeat makes that many deliveries per person instead) accepted through the app's webhook route
in rq mode (a redis-server of its own, so nothing is processed yet); then `process_pending()`
in this process, timed: normalising, matching against the mirror (the matcher's index built
once, cold, included), touchpoints, links, scores and outbox rows written in batches. No HTTP
server, no CRM writes, no concurrency: it tells whether processing got dearer, which
`bench/pipeline.py`'s rates under load cannot.

    .venv/bin/python bench/process_cpu.py --runs 3
    options: --deliveries 2000 --contacts 2000 --repeat 1 --profile (cProfile's top 40)
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.request_cpu import PATH, SECRET, app_environment  # noqa: E402


def one_run(redis_url: str, a: argparse.Namespace) -> float:
    """A fresh process per run: the matcher's index and every cache start cold."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", redis_url, *sys.argv[1:]],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.exit(out.stderr[-3000:])
    print(out.stdout, end="")
    return float(out.stdout.split("CPU ")[1].split(" ms")[0])


def child(redis_url: str, a: argparse.Namespace) -> None:
    app_environment("process-cpu", redis_url)
    # Settings are read from the environment when the app is made: import after setting it.
    from bench.load import delivery
    from enrich.app import create_app
    from enrich.db import session_scope, upgrade
    from enrich.models import CrmRecord
    from enrich.pipeline import process_pending
    from enrich.runtime import current
    from enrich.samples import sign_standard

    upgrade(os.environ["DATABASE_URL"])
    app = create_app()
    accounts = max(1, a.contacts // 10)
    with session_scope(current().engine) as session:
        for i in range(a.contacts):
            session.add(
                CrmRecord(
                    crm="salesforce",
                    object_type="contact",
                    crm_id=f"003{i:012d}",
                    first_name=f"Person{i}",
                    last_name=f"Tester{i}",
                    email=f"person{i}@account{i % accounts}.example",
                )
            )
    client = app.test_client()
    for n in range(a.deliveries):
        body, msg_id = delivery(n // a.repeat, a.contacts, random.Random(n // a.repeat))
        body = body.replace(b'"id": "post-', f'"id": "p{n}-post-'.encode(), 1)
        answer = client.post(PATH, data=body, headers=sign_standard(SECRET, body, msg_id=msg_id))
        assert answer.status_code == 200, answer.get_data(as_text=True)
    profile = cProfile.Profile() if a.profile else None
    done = 0
    cpu, wall = time.process_time(), time.perf_counter()
    with app.app_context():
        if profile:
            profile.enable()
        while (n := process_pending()) > 0:  # a run hands over after INGEST_RUN_S
            done += n
        if profile:
            profile.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert done == a.deliveries, (done, a.deliveries)
    print(
        f"{done} deliveries processed: CPU {1e3 * cpu / done:.3f} ms per delivery, "
        f"wall {1e3 * wall / done:.3f} ms"
    )
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--deliveries", type=int, default=2000)
    p.add_argument("--contacts", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=1, help="deliveries per person (1: load.py's mix)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        child(a.child, a)
        return
    from tests import servers

    redis = servers.start_redis()
    try:
        cpus = [one_run(redis.url, a) for _ in range(a.runs)]
    finally:
        redis.stop()
    print(
        f"median of {a.runs}: CPU {statistics.median(cpus):.3f} ms per delivery "
        f"(load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
