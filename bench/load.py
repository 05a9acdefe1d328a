"""Load test: sustained signed webhooks for minutes against the scale-out deployment.

`enrich serve` (gunicorn) + `enrich worker` (rq, N processes) + `enrich scheduler` on a real
redis-server and PostgreSQL (or SQLite with --sqlite), writing to the loopback Salesforce
sandbox seeded with --contacts contacts. A bounded client sends correctly signed Standard
Webhooks deliveries at a fixed rate from --threads threads (each on its own keep-alive
connection, signing as it goes, so timestamps stay fresh for any duration); half of the actors
are CRM contacts (matched, scored, synced: Tasks and fields in the sandbox), half are strangers.

Every --sample seconds it records the queue lag (deliveries stored but not processed, and the
age of the oldest), the outbox (records waiting for a CRM write) and the resident memory of
every process. After the load it waits for the backlog to drain, then checks that nothing was
lost or doubled: every 2xx-answered delivery is stored and processed, one touchpoint each, and
the sandbox holds exactly one Task per touchpoint of a linked contact.

    .venv/bin/python bench/load.py --rate 300 --minutes 3      # fixed rate, Python client
    .venv/bin/python bench/load.py --client wrk --minutes 3     # as fast as it answers (wrk)
    options: --workers 2 (rq) --web-workers 2 --threads 16 --contacts 500 --sqlite

Needs redis-server and PostgreSQL (`make system-deps`), and wrk for --client wrk. Loopback only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.ingest import LUA, SECRET, _lua_string, free_port, wait_listening  # noqa: E402
from bench.sync_common import KINDS, email, seed  # noqa: E402
from enrich.config import load_settings  # noqa: E402
from enrich.db import upgrade  # noqa: E402
from enrich.samples import sign_standard  # noqa: E402
from enrich.sandbox import Sandbox  # noqa: E402
from tests import servers  # noqa: E402
from tests.integration.conftest import Process, descendants  # noqa: E402

PATH = "/webhooks/standard/load"


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0  # connection errors (no HTTP answer)
    accepted: list[str] = field(default_factory=list)
    late: int = 0  # sends that left more than 100 ms after their slot (client saturated)
    wrk_latency: tuple[float, float] | None = None  # (p50, p99) seconds, when wrk sent

    def add(self, status: int, seconds: float, msg_id: str) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                self.accepted.append(msg_id)


def delivery(n: int, contacts: int, rng: random.Random) -> tuple[bytes, str]:
    accounts = max(1, contacts // 10)
    if rng.random() < 0.5:
        i = rng.randrange(contacts)
        actor = {
            "id": f"li-person-{i}",
            "name": f"Person{i} Tester{i}",
            "email": email(i, accounts),
        }
    else:
        actor = {"id": f"li-stranger-{n}", "name": f"Stranger {n}"}
    kind, words = KINDS[n % len(KINDS)]
    data: dict[str, Any] = {
        "platform": "linkedin",
        "kind": kind,
        "actor": actor,
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "post": {"id": f"post-{n}", "text": "Our data platform launch"},
    }
    if words:
        data["text"] = words
    body = json.dumps({"type": "touchpoint.created", "data": data}).encode()
    return body, f"load_{uuid.uuid4().hex}"


def sender(
    port: int,
    rate: float,
    offset: float,
    start: float,
    stop_at: float,
    tally: Tally,
    counter: SharedCount,
    contacts: int,
    seed_: int,
) -> None:
    rng = random.Random(seed_)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    k = 0
    while True:
        slot = start + offset + k / rate
        if slot >= stop_at:
            break
        k += 1
        now = time.monotonic()
        if slot > now:
            time.sleep(slot - now)
        elif now - slot > 0.1:
            with tally.lock:
                tally.late += 1
        body, msg_id = delivery(next(counter), contacts, rng)
        headers = sign_standard(SECRET, body, msg_id=msg_id)
        sent = time.monotonic()
        try:
            conn.request("POST", PATH, body=body, headers=headers)
            answer = conn.getresponse()
            answer.read()
            tally.add(answer.status, time.monotonic() - sent, msg_id)
        except (OSError, http.client.HTTPException):
            with tally.lock:
                tally.errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)


class SharedCount:  # a thread-safe itertools.count
    def __init__(self) -> None:
        self._n, self._lock = 0, threading.Lock()

    def __next__(self) -> int:
        with self._lock:
            self._n += 1
            return self._n


def write_wrk_pool(path: Path, port: int, size: int, contacts: int) -> None:
    """`size` signed deliveries as raw HTTP requests for wrk (bench/ingest.py's Lua script).
    Signed now, so a run must start within the Standard Webhooks tolerance (5 min)."""
    rng = random.Random(0)
    with path.open("w") as out:
        out.write(LUA)
        out.write("pool = {\n")
        for n in range(size):
            body, msg_id = delivery(n, contacts, rng)
            headers = sign_standard(SECRET, body, msg_id=msg_id)
            lines = [
                f"POST {PATH} HTTP/1.1",
                f"Host: 127.0.0.1:{port}",
                *(f"{k}: {v}" for k, v in headers.items()),
                f"Content-Length: {len(body)}",
                "",
                body.decode(),
            ]
            out.write(_lua_string("\r\n".join(lines)) + ",\n")
        out.write("}\n")


def rss_mb(pid: int) -> float:
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main() -> None:  # noqa: PLR0915  (a script: set up, load, sample, drain, check, report)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=300, help="deliveries per second offered")
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--threads", type=int, default=16, help="client threads/connections")
    parser.add_argument("--workers", type=int, default=2, help="rq worker processes")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--contacts", type=int, default=500)
    parser.add_argument("--sample", type=float, default=10, help="seconds between samples")
    parser.add_argument("--drain-timeout", type=float, default=600)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument(
        "--client",
        choices=["python", "wrk"],
        default="python",
        help="python: fixed --rate from --threads threads; wrk: as fast as the "
        "server answers, --threads connections (pre-signed pool)",
    )
    parser.add_argument(
        "--pool-rate",
        type=float,
        default=3000,
        help="wrk pool size per second of run (must exceed the rate reached)",
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="enrich-load-"))
    redis = servers.start_redis()
    pg = None if args.sqlite else servers.start_postgres()
    database_url = (
        f"sqlite:///{tmp / 'load.db'}" if pg is None else servers.create_database(pg, "enrich_load")
    )
    seed_file = tmp / "seed.json"
    seed_file.write_text(json.dumps(seed(args.contacts)))
    sandbox = Sandbox(seed=seed_file).start()
    port = free_port()
    settings = load_settings(
        env_file=None,
        env="development",
        database_url=database_url,
        redis_url=redis.url,
        crm="salesforce",
        salesforce_instance_url=sandbox.salesforce_url,
        salesforce_session_id=sandbox.session_id,
        salesforce_ca_bundle=str(sandbox.ca_path),
        standard_webhook_secrets=f"load={SECRET}",
        public_url="http://enrich.test",
        log_level="WARNING",
        sweep_after_s=30,
        crm_daily_budget=1_000_000,
    )
    upgrade(settings.database_url)
    procs: list[tuple[str, Process]] = []
    engine = create_engine(settings.database_url)

    def one(sql: str) -> Any:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()

    try:
        pull = Process(["crm", "pull", "--full"], settings, tmp / "pull.log")
        if pull.proc.wait(300) != 0:
            sys.exit(f"crm pull failed:\n{pull.output()}")
        web = Process(
            [
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.web_workers),
            ],
            settings,
            tmp / "serve.log",
        )
        procs.append(("web", web))
        wait_listening(port, web.proc)
        for n in range(args.workers):
            procs.append((f"worker{n + 1}", Process(["worker"], settings, tmp / f"w{n}.log")))
        procs.append(("scheduler", Process(["scheduler"], settings, tmp / "sched.log")))
        time.sleep(3)
        client = (
            f"wrk with {args.threads} connections"
            if args.client == "wrk"
            else f"{args.rate:g}/s from {args.threads} client threads"
        )
        print(
            f"load: {client} for {args.minutes:g} min; "
            f"{args.web_workers} gunicorn + {args.workers} rq workers + scheduler on "
            f"{'SQLite' if pg is None else 'PostgreSQL'} + Redis; Salesforce sandbox with "
            f"{args.contacts} contacts; {os.cpu_count()} cores",
            flush=True,
        )

        tally, counter = Tally(), SharedCount()
        start = time.monotonic() + 0.5
        stop_at = start + args.minutes * 60
        threads: list[threading.Thread] = []
        wrk: subprocess.Popen[str] | None = None
        if args.client == "wrk":
            script = tmp / "pool.lua"
            write_wrk_pool(script, port, int(args.pool_rate * args.minutes * 60), args.contacts)
            start = time.monotonic()
            stop_at = start + args.minutes * 60
            wrk = subprocess.Popen(
                [
                    "wrk",
                    "-t2",
                    f"-c{args.threads}",
                    f"-d{int(args.minutes * 60)}s",
                    "--latency",
                    "-s",
                    str(script),
                    f"http://127.0.0.1:{port}{PATH}",
                    "--",
                    "2",
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
        else:
            per_thread = args.rate / args.threads
            threads = [
                threading.Thread(
                    target=sender,
                    daemon=True,
                    args=(
                        port,
                        per_thread,
                        i / args.rate,
                        start,
                        stop_at,
                        tally,
                        counter,
                        args.contacts,
                        i,
                    ),
                )
                for i in range(args.threads)
            ]
            for t in threads:
                t.start()
        samples: list[dict[str, Any]] = []
        print(
            f"{'t(s)':>6} {'stored/s':>8} {'done/s':>7} {'pending':>8} {'oldest(s)':>9} "
            f"{'outbox':>7}  " + " ".join(f"{name:>10}" for name, _ in procs) + "  (RSS MiB)",
            flush=True,
        )
        last = {"t": start, "stored": 0, "done": 0}

        def sample(now: float) -> dict[str, Any]:
            stored_n = one("select count(*) from raw_event")
            done_n = one("select count(*) from raw_event where status <> 'pending'")
            oldest = one("select min(received_at) from raw_event where status = 'pending'")
            if isinstance(oldest, str):  # SQLite
                oldest = datetime.fromisoformat(oldest)
            if oldest is not None and oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=UTC)
            elapsed = max(now - last["t"], 1e-9)
            row = {
                "t": now - start,
                "stored": (stored_n - last["stored"]) / elapsed,
                "done": (done_n - last["done"]) / elapsed,
                "pending": stored_n - done_n,
                "oldest": time.time() - oldest.timestamp() if oldest is not None else 0.0,
                "outbox": one("select count(*) from sync_request"),
                "rss": {name: rss_mb(p.proc.pid) for name, p in procs},
            }
            last.update(t=now, stored=stored_n, done=done_n)
            print(
                f"{row['t']:6.0f} {row['stored']:8.0f} {row['done']:7.0f} {row['pending']:8d} "
                f"{row['oldest']:9.1f} {row['outbox']:7d}  "
                + " ".join(f"{v:10.0f}" for v in row["rss"].values()),
                flush=True,
            )
            return row

        while time.monotonic() < stop_at:
            time.sleep(min(args.sample, max(0.0, stop_at - time.monotonic())))
            samples.append(sample(time.monotonic()))
        for t in threads:
            t.join(60)
        if wrk is not None:
            out = wrk.communicate(timeout=120)[0]
            found = re.search(r"RESULT ok=(\d+) bad=(\d+) p50_us=(\d+) p99_us=(\d+)", out)
            if not found:
                sys.exit(f"could not read wrk's output:\n{out}")
            ok_n, bad_n, p50_us, p99_us = (int(g) for g in found.groups())
            tally.statuses = {200: ok_n, 0: bad_n} if bad_n else {200: ok_n}
            tally.wrk_latency = (p50_us / 1e6, p99_us / 1e6)
            tally.errors += len(re.findall(r"Socket errors.*", out))
        load_end = time.monotonic()
        # Drain: every stored delivery processed and every CRM write done.
        while time.monotonic() - load_end < args.drain_timeout:
            if (
                one("select count(*) from raw_event where status = 'pending'") == 0
                and one("select count(*) from sync_request") == 0
            ):
                break
            time.sleep(1)
        drain_s = time.monotonic() - load_end
        time.sleep(2)
        samples.append(sample(time.monotonic()))
        drained = samples[-1]["pending"] == 0 and samples[-1]["outbox"] == 0

        accepted = set(tally.accepted)
        stored = {
            r[0]
            for r in engine.connect().execute(
                text("select delivery_id from raw_event where source = 'standard:load'")
            )
        }
        processed = one("select count(*) from raw_event where status = 'processed'")
        touchpoints = one("select count(*) from touchpoint")
        linked_tps = one(
            "select count(*) from touchpoint t join identity_link l on "
            "l.profile_id = t.profile_id and l.status in ('auto', 'confirmed')"
        )
        keys = [t.get("Enrich_Touchpoint_Id__c") or "" for t in sandbox.sf_records("Task")]
        task_keys = [k for k in keys if not k.startswith("handoff-")]
        handoff_tasks = len(keys) - len(task_keys)
        handoffs = one("select count(*) from handoff where status = 'written'")
        dead = one("select count(*) from dead_letter")
    finally:
        for _, p in reversed(procs):
            p.stop()
        sandbox.stop()
        engine.dispose()
        if pg is not None:
            pg.stop()
        redis.stop()

    total = sum(tally.statuses.values()) + tally.errors
    ok = sum(v for k, v in tally.statuses.items() if 200 <= k < 300)
    secs = args.minutes * 60
    lat = tally.latencies
    steady = samples[1:-1] or samples
    offered = (
        "wrk, closed loop"
        if args.client == "wrk"
        else f"{tally.late} sends late by > 100 ms: client saturated"
    )
    print(
        f"\nsent {total} in {secs:.0f} s = {total / secs:.0f}/s ({offered}); stored "
        f"{statistics.median(s['stored'] for s in steady):.0f}/s and processed "
        f"{statistics.median(s['done'] for s in steady):.0f}/s (medians of the samples)"
    )
    print(
        f"answers: {dict(sorted(tally.statuses.items()))}, connection errors {tally.errors}; "
        f"error rate {(total - ok) / max(total, 1):.4%}"
    )
    p50, p99 = tally.wrk_latency or (pct(lat, 0.5), pct(lat, 0.99))
    print(f"ack latency: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    pending = [s["pending"] for s in steady]
    print(
        f"queue lag during load: pending median {statistics.median(pending):.0f}, "
        f"max {max(pending)}; oldest pending max "
        f"{max(s['oldest'] for s in samples):.1f} s; "
        f"outbox max {max(s['outbox'] for s in samples)}"
    )
    print(
        f"drained {drain_s:.1f} s after the load stopped"
        if drained
        else f"NOT drained {drain_s:.0f} s after the load stopped (--drain-timeout): "
        f"{samples[-1]['pending']} deliveries still pending, {samples[-1]['outbox']} records "
        "waiting for the CRM; only durability is checked below"
    )
    # rq workers fork a child per job: their figure includes it while a job runs.
    first, end, idle = samples[0]["rss"], steady[-1]["rss"], samples[-1]["rss"]
    print(
        "memory (RSS MiB: first sample → last under load → drained): "
        + ", ".join(
            f"{name} {first[name]:.0f} → {end[name]:.0f} ({end[name] - first[name]:+.0f}) → "
            f"{idle[name]:.0f}"
            for name in first
        )
    )
    lost = len(accepted - stored) if accepted else max(0, ok - len(stored))
    print(
        f"nothing lost: accepted {ok}, stored {len(stored)}, accepted not stored {lost}; "
        f"processed {processed}; touchpoints {touchpoints}"
    )
    print(
        f"CRM: touchpoints of linked contacts {linked_tps}, touchpoint Tasks {len(task_keys)}"
        f" ({len(set(task_keys))} distinct ids); hand-off Tasks {handoff_tasks} for {handoffs} "
        f"hand-offs; dead letters {dead}"
    )
    if not drained:
        durable = lost == 0 and tally.errors == 0 and len(task_keys) == len(set(task_keys))
        print(
            "verdict: "
            + (
                "every accepted delivery is stored (durable ack), no Task twice"
                if durable
                else "MISMATCH (see the lines above)"
            )
        )
        sys.exit(0 if durable else 1)
    exact = (
        lost == 0
        and processed == len(stored) == touchpoints
        and len(task_keys) == len(set(task_keys)) == linked_tps
        and handoff_tasks == handoffs
        and tally.errors == 0
    )
    print(
        "verdict: "
        + (
            "every accepted delivery processed once, one Task per linked touchpoint"
            if exact
            else "MISMATCH (see the lines above)"
        )
    )
    sys.exit(0 if exact else 1)


if __name__ == "__main__":
    main()
