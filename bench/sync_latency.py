"""Benchmark: webhook accepted (2xx) → the field visible on the record in the sandbox CRM.

One touchpoint at a time (unloaded latency): a Standard Webhooks–signed comment naming a
person by email is POSTed to the Flask app; the clock starts when the 2xx comes back
(the raw event is committed) and stops when the sandbox's copy of the contact shows the
comment's unique marker in the last-touch summary field (`Last_Social_Touch_Summary__c` /
`enrich_last_touch_summary`). The sandbox state is read in-process every 2 ms, which adds no
CRM call and no HTTP request. People rotate over a pool so each sample is a fresh write.

Modes (same code, chosen by configuration, as in production):
- embedded: SQLite + the in-process queue (the app's own job threads do the work);
- redis: PostgreSQL + a real redis-server + one `enrich worker` (rq) child process; the app in
  this process only stores and enqueues. Needs redis-server and PostgreSQL binaries
  (tests/servers.py starts them in temporary folders).

    .venv/bin/python bench/sync_latency.py                    # both modes, both CRMs, 3 runs
    options: --modes embedded redis --crms salesforce hubspot --runs 3 --samples 30
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from enrich import runtime  # noqa: E402
from enrich.app import create_app  # noqa: E402
from enrich.db import upgrade  # noqa: E402
from enrich.sandbox import Sandbox  # noqa: E402
from enrich.sync.connect import make_adapter  # noqa: E402
from enrich.sync.mirror import pull  # noqa: E402
from tests import servers  # noqa: E402
from tests.conftest import STANDARD_SECRET  # noqa: E402
from tests.integration.conftest import Process, crm_settings  # noqa: E402
from tests.signing import standard_headers  # noqa: E402
from tests.sync.harness import people_seed  # noqa: E402

SUMMARY = {"salesforce": "Last_Social_Touch_Summary__c", "hubspot": "enrich_last_touch_summary"}
POOL = 40
TIMEOUT_S = 60.0


def signed(email: str, marker: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "type": "touchpoint.created",
            "data": {
                "platform": "linkedin",
                "kind": "comment",
                "text": f"Latency probe {marker}",
                "id": f"tp-{marker}",
                "occurred_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "actor": {"id": f"li-{email}", "email": email},
            },
        }
    ).encode()
    return body, standard_headers(STANDARD_SECRET, body)


def visible(sandbox: Sandbox, crm: str, email: str, marker: str) -> bool:
    contact = sandbox.contact(email, crm)
    if contact is None:
        return False
    fields = contact if crm == "salesforce" else contact["properties"]
    return marker in str(fields.get(SUMMARY[crm]) or "")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def one_run(
    mode: str,
    crm: str,
    samples: int,
    workdir: Path,
    redis: servers.Server | None,
    pg: servers.Server | None,
) -> dict[str, Any]:
    with Sandbox(seed=people_seed(POOL)) as sandbox:
        if mode == "embedded":
            settings = crm_settings(f"sqlite:///{workdir / f'{uuid.uuid4().hex}.db'}", sandbox, crm)
        else:
            assert redis is not None and pg is not None
            from redis import Redis

            Redis.from_url(redis.url).flushall()
            settings = crm_settings(
                servers.create_database(pg, f"lat_{uuid.uuid4().hex[:10]}"),
                sandbox,
                crm,
                redis_url=redis.url,
            )
        upgrade(settings.database_url)
        client = create_app(settings).test_client()
        worker = (
            Process(["worker"], settings, workdir / f"worker-{uuid.uuid4().hex}.log")
            if mode == "redis"
            else None
        )
        try:
            pull(runtime.current().engine, make_adapter(settings))
            # Warm-up (first-import and connection costs), not counted.
            latencies, acks = [], []
            for i in range(samples + 2):
                email = f"person{i % POOL}@acme.example"
                marker = uuid.uuid4().hex[:12]
                body, headers = signed(email, marker)
                sent = time.perf_counter()
                answer = client.post("/webhooks/standard/acme", data=body, headers=headers)
                accepted = time.perf_counter()
                if answer.status_code != 200:
                    raise RuntimeError(f"webhook answered {answer.status_code}: {answer.data!r}")
                while not visible(sandbox, crm, email, marker):
                    if time.perf_counter() - accepted > TIMEOUT_S:
                        log = worker.output()[-2000:] if worker else ""
                        raise RuntimeError(f"{marker} not visible after {TIMEOUT_S}s\n{log}")
                    time.sleep(0.002)
                seen = time.perf_counter()
                if i >= 2:
                    latencies.append((seen - accepted) * 1000)
                    acks.append((accepted - sent) * 1000)
        finally:
            if worker:
                worker.stop()
            runtime.uninstall()
    return {
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
        "max": max(latencies),
        "ack_p50": percentile(acks, 0.5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--modes", nargs="+", default=["embedded", "redis"], choices=["embedded", "redis"]
    )
    parser.add_argument(
        "--crms", nargs="+", default=["salesforce", "hubspot"], choices=["salesforce", "hubspot"]
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    redis = pg = None
    if "redis" in args.modes:
        redis, pg = servers.start_redis(), servers.start_postgres()
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="enrich-latency-") as tmp:
            for mode in args.modes:
                for crm in args.crms:
                    runs = []
                    for run in range(args.runs):
                        result = one_run(mode, crm, args.samples, Path(tmp), redis, pg)
                        runs.append(result)
                        print(
                            f"{mode:8} {crm:10} run {run + 1}: p50 {result['p50']:7.1f} ms  "
                            f"p95 {result['p95']:7.1f} ms  max {result['max']:7.1f} ms  "
                            f"(ack p50 {result['ack_p50']:.1f} ms)",
                            flush=True,
                        )
                    rows.append((mode, crm, runs))
    finally:
        for server in (redis, pg):
            if server:
                server.stop()
    print(f"\nmedian of {args.runs} runs, {args.samples} samples each (ms):")
    print("| mode | CRM | p50 | p95 | runs p50 | runs p95 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for mode, crm, runs in rows:
        p50s, p95s = [r["p50"] for r in runs], [r["p95"] for r in runs]
        each50, each95 = (" / ".join(f"{v:.0f}" for v in values) for values in (p50s, p95s))
        print(
            f"| {mode} | {crm} | {statistics.median(p50s):.0f} | {statistics.median(p95s):.0f}"
            f" | {each50} | {each95} |"
        )


if __name__ == "__main__":
    main()
