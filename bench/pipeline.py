"""Benchmark: the whole job users run, end to end, at steady rates.

Signed Standard Webhooks deliveries at a fixed rate, over HTTP, into `enrich serve` (real
gunicorn, 2 processes) → stored → processed (normalised, matched against the mirror, scored)
→ written to the loopback Salesforce sandbox (fields and one Task per touchpoint of a linked
contact). Two deployments:

- `embedded`: the default, one command: `enrich serve` on SQLite with its in-process queue and
  scheduler (processing runs in the web processes);
- `postgres`: PostgreSQL + Redis, `enrich serve` + 2 `enrich worker` (rq) + `enrich scheduler`.

The load is `bench/load.py`'s open-loop client (each thread on one keep-alive connection,
sending at its slots whatever the answers take; half of the actors CRM contacts, half
strangers) at each rate of --rates for --seconds, one deployment per run, the rates one after
the other with the backlog drained in between. The processing lag of a delivery is read from
the database: from `received_at` (stored, before the 2xx) to `processed_at` (its touchpoints,
links, score and outbox row committed, in one transaction). A rate is *sustained* when every
accepted delivery of the step was processed with a lag under --max-lag (10 s), the step's
deliveries were all processed within --max-lag of its end, and at least 95 % of the offered
rate was accepted (acks slow enough to hold the client back are not keeping up). Per rate
it prints accepted/s, processed/s, lag p50/p95/max, the client's share of the CPU (it runs
on the same 2 cores); per second of the step, the lag curve, drawn into --plot (PNG). After
the last step it waits for the CRM writes and checks that nothing was lost or written twice.

    .venv/bin/python bench/pipeline.py --setup embedded --rates 250,500,1000
    .venv/bin/python bench/pipeline.py --setup postgres --rates 500,1000,1500
    options: --seconds 30 --threads 16 --contacts 2000 --max-lag 10 --plot FILE.png
             --sync-window 5 (ENRICH_SYNC_WINDOW_S; the default 60 only delays the CRM writes)

Needs redis-server and PostgreSQL for `postgres` (`make system-deps`). Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.ingest import SECRET, free_port, wait_listening  # noqa: E402
from bench.load import SharedCount, Tally, sender  # noqa: E402
from bench.sync_common import seed  # noqa: E402
from enrich.config import load_settings  # noqa: E402
from enrich.db import upgrade  # noqa: E402
from enrich.sandbox import Sandbox  # noqa: E402
from tests import servers  # noqa: E402
from tests.integration.conftest import Process, descendants  # noqa: E402

ACCEPTED_SHARE = 0.95  # of the offered rate, for a step to count as sustained


def _utc(value: Any) -> float:
    if isinstance(value, str):  # SQLite through a bare connection
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return float(value.timestamp())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def cpu_seconds() -> float:
    """CPU time of this process (the client) so far."""
    t = os.times()
    return t.user + t.system


def tree_cpu_s(pids: list[int]) -> float:
    """CPU seconds used so far by these processes and all their descendants."""
    ticks = 0
    for pid in {q for p in pids for q in (p, *descendants(p))}:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        fields = [int(n) for n in stat.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4], sum(fields)


def run_step(
    port: int, rate: float, seconds: float, threads: int, contacts: int, counter: SharedCount
) -> tuple[Tally, float, float, float, float]:
    """Send at `rate` for `seconds`; returns the tally, the wall start and end (epoch), the
    client's CPU share of the machine and the machine's busy share."""
    tally = Tally()
    start = time.monotonic() + 0.2
    stop_at = start + seconds
    per_thread = rate / threads
    workers = [
        threading.Thread(
            target=sender,
            daemon=True,
            args=(port, per_thread, i / rate, start, stop_at, tally, counter, contacts, i),
        )
        for i in range(threads)
    ]
    cpu0, (busy0, total0) = cpu_seconds(), machine_busy()
    wall0 = time.time() + 0.2
    for w in workers:
        w.start()
    for w in workers:
        w.join(seconds + 120)
    wall1 = time.time()
    busy1, total1 = machine_busy()
    ticks = max(1, total1 - total0)
    client = (cpu_seconds() - cpu0) * os.sysconf("SC_CLK_TCK") / ticks
    return tally, wall0, wall1, client, (busy1 - busy0) / ticks


def main() -> None:  # noqa: PLR0915  (a script: set up, load, measure, check, report)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", choices=["embedded", "postgres"], default="embedded")
    parser.add_argument("--rates", default="250,500,1000", help="deliveries/s, one step each")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="rq workers (postgres)")
    parser.add_argument("--max-lag", type=float, default=10.0)
    parser.add_argument("--sync-window", type=float, default=5.0)
    parser.add_argument("--plot", default="", help="write the lag curves to this PNG")
    parser.add_argument("--json", default="", help="write the per-second curves as JSON")
    parser.add_argument(
        "--plot-from", nargs="+", default=[], help="only draw --plot from these --json files"
    )
    args = parser.parse_args()
    if args.plot_from:
        runs = [json.loads(Path(f).read_text()) for f in args.plot_from]
        plot([(r["setup"], r["steps"]) for r in runs], Path(args.plot), args.max_lag)
        return
    rates = [float(r) for r in args.rates.split(",")]

    tmp = Path(tempfile.mkdtemp(prefix="enrich-pipeline-"))
    redis = pg = None
    if args.setup == "postgres":
        redis, pg = servers.start_redis(), servers.start_postgres()
        database_url = servers.create_database(pg, "enrich_pipeline")
    else:
        database_url = f"sqlite:///{tmp / 'pipeline.db'}"
    seed_file = tmp / "seed.json"
    seed_file.write_text(json.dumps(seed(args.contacts)))
    sandbox = Sandbox(seed=seed_file).start()
    port = free_port()
    settings = load_settings(
        env_file=None,
        env="development",
        database_url=database_url,
        redis_url=redis.url if redis else None,
        crm="salesforce",
        salesforce_instance_url=sandbox.salesforce_url,
        salesforce_session_id=sandbox.session_id,
        salesforce_ca_bundle=str(sandbox.ca_path),
        standard_webhook_secrets=f"load={SECRET}",
        public_url="http://enrich.test",
        log_level="WARNING",
        sync_window_s=args.sync_window,
        crm_daily_budget=10_000_000,
    )
    upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    procs: list[Process] = []

    def one(sql: str, **params: Any) -> Any:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    results: list[dict[str, Any]] = []
    try:
        pull = Process(["crm", "pull", "--full"], settings, tmp / "pull.log")
        if pull.proc.wait(600) != 0:
            sys.exit(f"crm pull failed:\n{pull.output()}")
        web = Process(
            ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            settings,
            tmp / "serve.log",
        )
        procs.append(web)
        wait_listening(port, web.proc, timeout=60)
        if args.setup == "postgres":
            procs += [
                Process(["worker"], settings, tmp / f"worker{n}.log") for n in range(args.workers)
            ]
            procs.append(Process(["scheduler"], settings, tmp / "scheduler.log"))
        time.sleep(5)  # first scheduled pull and sweep, workers registered
        deployment = (
            "enrich serve (2 gunicorn processes) on SQLite, in-process queue and scheduler"
            if args.setup == "embedded"
            else f"enrich serve (2 gunicorn processes) + {args.workers} rq workers + scheduler "
            "on PostgreSQL + Redis"
        )
        print(
            f"pipeline: {deployment}; Salesforce sandbox with {args.contacts} contacts; "
            f"{args.threads} client threads; {args.seconds:g} s per rate; "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        counter = SharedCount()
        # enrich's processes and its database servers (not the client, not the sandbox CRM).
        server_pids = [p.proc.pid for p in procs] + [s.proc.pid for s in (pg, redis) if s]
        for rate in rates:
            first_id = int(one("select coalesce(max(id), 0) from raw_event"))
            cpu0 = tree_cpu_s(server_pids)
            tally, t0, t1, client_cpu, busy = run_step(
                port, rate, args.seconds, args.threads, args.contacts, counter
            )
            # Drain: wait for this step's deliveries (not for ever: an overloaded rate
            # stops the run, the lag already says what happened).
            deadline = time.time() + max(args.max_lag, 10) + 120
            while time.time() < deadline:
                if not one(
                    "select count(*) from raw_event where id > :f and status = 'pending'",
                    f=first_id,
                ):
                    break
                time.sleep(0.5)
            drained_at = time.time()
            cpu_s = tree_cpu_s(server_pids) - cpu0
            with engine.connect() as conn:
                rows = [
                    (_utc(r), _utc(p) if p is not None else None, s)
                    for r, p, s in conn.execute(
                        text(
                            "select received_at, processed_at, status from raw_event "
                            "where id > :f order by id"
                        ),
                        {"f": first_id},
                    )
                ]
            accepted = sum(v for k, v in tally.statuses.items() if 200 <= k < 300)
            done = [(r, p) for r, p, _ in rows if p is not None]
            lags = [p - r for r, p in done]
            pending = sum(1 for _, p, _ in rows if p is None)
            span = t1 - t0
            in_step = sum(1 for _, p in done if p <= t1)
            curve = []
            for second in range(int(span) + 1):
                lo = t0 + second
                window = [p - r for r, p in done if lo <= r < lo + 1]
                if window:
                    curve.append(
                        (second, pct(window, 0.5), pct(window, 0.95), max(window), len(window))
                    )
            sustained = (
                pending == 0
                and not tally.errors
                and accepted == len(rows)
                # A server that answers too slowly for the client to keep the rate is not
                # keeping up, however fast it then processes what it accepted.
                and accepted / span >= ACCEPTED_SHARE * rate
                and bool(lags)
                and max(lags) < args.max_lag
            )
            result = {
                "rate": rate,
                "sent_per_s": (sum(tally.statuses.values()) + tally.errors) / span,
                "accepted_per_s": accepted / span,
                "processed_per_s_in_step": in_step / span,
                "stored": len(rows),
                "processed": len(done),
                "pending": pending,
                "errors": tally.errors,
                "non_2xx": sum(v for k, v in tally.statuses.items() if not 200 <= k < 300),
                "late_sends": tally.late,
                "ack_p50_ms": pct(tally.latencies, 0.5) * 1000,
                "ack_p99_ms": pct(tally.latencies, 0.99) * 1000,
                "lag_p50": pct(lags, 0.5),
                "lag_p95": pct(lags, 0.95),
                "lag_max": max(lags) if lags else float("nan"),
                "drain_s": drained_at - t1,
                # Deliveries processed per second from the step's start until its backlog
                # was gone: what processing keeps up with when ingest is at this rate.
                "throughput": len(done) / max(1e-9, drained_at - t0),
                # CPU time of enrich (and its database servers) per delivery, from the step's
                # start until its backlog was gone: ingest, processing, scoring, CRM writes.
                # Unlike the rates it does not depend on what else the machine runs; the
                # rate it implies on 2 cores of its own is a CPU-bound estimate.
                "cpu_ms_per_delivery": 1000 * cpu_s / max(1, len(done)),
                "client_cpu": client_cpu,
                "machine_busy": busy,
                "sustained": sustained,
                "curve": curve,
            }
            results.append(result)
            print(
                f"rate {rate:6.0f}/s: accepted {result['accepted_per_s']:6.0f}/s "
                f"(non-2xx {result['non_2xx']}, errors {tally.errors}, late sends "
                f"{tally.late}), processed {result['processed_per_s_in_step']:6.0f}/s during "
                f"the step, {result['throughput']:6.0f}/s until drained; "
                f"lag p50 {result['lag_p50']:.2f} s p95 {result['lag_p95']:.2f} s "
                f"max {result['lag_max']:.2f} s; ack p50 {result['ack_p50_ms']:.1f} ms p99 "
                f"{result['ack_p99_ms']:.1f} ms; backlog drained {result['drain_s']:.1f} s "
                f"after; client CPU {client_cpu:.0%} of the machine, machine busy "
                f"{busy:.0%}; {'SUSTAINED' if sustained else 'not sustained'}; "
                f"server CPU {result['cpu_ms_per_delivery']:.1f} ms per delivery "
                f"(~{2000 / result['cpu_ms_per_delivery']:.0f}/s on 2 cores of its own)",
                flush=True,
            )
            for second, p50, p95, worst, n in curve[:: max(1, len(curve) // 6)]:
                print(
                    f"    t={second:3d} s  received {n:5d}  lag p50 {p50:6.2f}  "
                    f"p95 {p95:6.2f}  max {worst:6.2f}",
                    flush=True,
                )
            if pending:
                print("    (backlog not drained: higher rates skipped)", flush=True)
                break
        # The CRM: every touchpoint of a linked contact written once, as a Task.
        deadline = time.time() + 300
        while time.time() < deadline:
            if not one("select count(*) from sync_request") and not one(
                "select count(*) from raw_event where status = 'pending'"
            ):
                break
            time.sleep(1)
        time.sleep(2)
        stored = one("select count(*) from raw_event")
        processed = one("select count(*) from raw_event where status = 'processed'")
        touchpoints = one("select count(*) from touchpoint")
        linked = one(
            "select count(*) from touchpoint t join identity_link l on "
            "l.profile_id = t.profile_id and l.status in ('auto', 'confirmed')"
        )
        dead = one("select count(*) from dead_letter")
        keys = [t.get("Enrich_Touchpoint_Id__c") or "" for t in sandbox.sf_records("Task")]
        tasks = [k for k in keys if not k.startswith("handoff-")]
    finally:
        for p in reversed(procs):
            p.stop()
        sandbox.stop()
        engine.dispose()
        if pg is not None:
            pg.stop()
        if redis is not None:
            redis.stop()

    print(
        f"\nend state: stored {stored}, processed {processed}, touchpoints {touchpoints}; "
        f"touchpoints of linked contacts {linked}, Tasks in the CRM {len(tasks)} "
        f"({len(set(tasks))} distinct); dead letters {dead}"
    )
    exact = processed == stored == touchpoints and len(tasks) == len(set(tasks)) == linked
    best = max((r["rate"] for r in results if r["sustained"]), default=0)
    print(
        f"highest sustained rate ({args.setup}, lag < {args.max_lag:g} s): "
        f"{best:.0f} deliveries/s; "
        + (
            "nothing lost or doubled"
            if exact
            else "MISMATCH (a delivery not processed, or a Task missing or twice)"
        )
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"setup": args.setup, "steps": results}))
    if args.plot:
        plot([(args.setup, results)], Path(args.plot), args.max_lag)
        print(f"lag curves: {args.plot}")
    sys.exit(0 if exact else 1)


def plot(runs: list[tuple[str, list[dict[str, Any]]]], path: Path, max_lag: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = 2 if len(runs) > 1 else 1
    rows = (len(runs) + columns - 1) // columns
    fig, axes = plt.subplots(
        rows, columns, figsize=(6 * columns, 3.6 * rows), squeeze=False, sharey=True
    )
    for ax, (setup, steps) in zip(axes.flat, runs, strict=False):
        for step in steps:
            xs = [c[0] for c in step["curve"]]
            p95 = [max(c[2], 0.01) for c in step["curve"]]
            (line,) = ax.plot(xs, p95, label=f"{step['rate']:.0f}/s offered")
            ax.plot(xs, [max(c[3], 0.01) for c in step["curve"]], ":", color=line.get_color())
        ax.axhline(max_lag, color="grey", lw=0.8, ls="--")
        ax.set_yscale("log")
        ax.set_xlabel("second of the step (deliveries by time received)")
        ax.set_ylabel("lag, s (p95 solid, max dotted)")
        ax.set_title(setup, fontsize=10)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


if __name__ == "__main__":
    main()
