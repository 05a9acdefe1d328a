"""Benchmark: signed webhook deliveries per second accepted *and durably stored*, with p50/p99
ack latency, against gunicorn on loopback, next to a bare Flask endpoint on the same gunicorn
settings (the ceiling of this machine and server).

enrich runs as `enrich serve` (2 workers, its buffering gthread worker; --serve-args=--reuse-port
for one SO_REUSEPORT listener per worker) on a
temporary SQLite database; by default its jobs wait in a loopback Redis (ingest measured on its
own), with --embedded they are processed in the web processes while ingesting (the one-process
default). The bare endpoint gets the same gunicorn settings.
The load is `wrk` with a Lua script that replays a pool of pre-signed Standard Webhooks
deliveries, each with a unique webhook-id (a signature covers the id, so the pool is signed
in Python before the clock starts; each wrk thread owns a disjoint slice of it). Bounded: a
thread stops when its slice is used up, and each run lasts at most --seconds; the pool holds
more deliveries than the bare endpoint answers in that time, so it never caps the ceiling.

    .venv/bin/python bench/ingest.py                       # 3 runs each of 8 s, 64 connections
    .venv/bin/python bench/ingest.py --embedded --rate 2000   # ack time at 2,000 deliveries/s
    options: --runs 3 --seconds 8 --connections 64 --workers 2 --threads 8

At saturation every connection always has a request waiting, so the latency is mostly queueing
(64 requests in flight at ~3,000/s is ~21 ms each, by Little's law); --rate paces the
connections to show the ack time at a rate the server sustains.

Needs `wrk` (Debian: apt-get install -y wrk). Loopback only.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
SECRET = "whsec_" + base64.b64encode(b"bench-ingest-secret-0123456789abcd").decode()
PATH = "/webhooks/standard/bench"
LUA = r"""
first, step, i, n_ok, n_bad = 1, 1, 1, 0, 0  -- globals: done() reads them with thread:get
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("first", #threads)
end
function init(args)
  step = tonumber(args[1]); i = first
end
function request()
  local r = pool[i]
  if r == nil then wrk.thread:stop(); return pool[first] end
  i = i + step
  return r
end
function response(status, headers, body)
  if status >= 200 and status < 300 then n_ok = n_ok + 1 else n_bad = n_bad + 1 end
end
function done(summary, latency, requests)
  local ok, bad = 0, 0
  for _, t in ipairs(threads) do ok = ok + t:get("n_ok"); bad = bad + t:get("n_bad") end
  io.write(string.format("RESULT ok=%d bad=%d p50_us=%d p99_us=%d\n", ok, bad,
    latency:percentile(50), latency:percentile(99)))
end
"""


def bare_app() -> Flask:
    """The ceiling: a Flask endpoint that reads the body and answers 200 (gunicorn factory)."""
    from flask import request

    app = Flask("bare")

    @app.post(PATH)
    def _ok() -> tuple[str, int]:
        request.get_data()
        return '{"status":"accepted"}', 200

    return app


def _lua_string(text: str) -> str:
    return (
        '"'
        + text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n")
        + '"'
    )


def write_pool(path: Path, size: int, port: int, delay_ms: int = 0) -> None:
    """`size` raw HTTP requests, each a correctly signed delivery with a unique webhook-id;
    with `delay_ms`, each connection waits that long before each request (wrk's delay())."""
    sys.path.insert(0, str(ROOT))
    from enrich.samples import SAMPLE_PEOPLE, sign_standard, touchpoint_message

    body = json.dumps(touchpoint_message(SAMPLE_PEOPLE[0], "comment", "Does this do SSO?"))
    with path.open("w") as out:
        out.write(LUA)
        if delay_ms:
            out.write(f"function delay() return {delay_ms} end\n")
        out.write("pool = {\n")
        for _ in range(size):
            headers = sign_standard(SECRET, body.encode(), msg_id=f"msg_{uuid.uuid4().hex}")
            lines = [
                f"POST {PATH} HTTP/1.1",
                f"Host: 127.0.0.1:{port}",
                *(f"{k}: {v}" for k, v in headers.items()),
                f"Content-Length: {len(body)}",
                "",
                body,
            ]
            out.write(_lua_string("\r\n".join(lines)) + ",\n")
        out.write("}\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port} after {timeout}s")


@dataclass
class Run:
    target: str
    wrk_rps: float
    stored: int
    seconds: float
    ok: int
    bad: int
    p50_ms: float
    p99_ms: float
    idle: float  # share of the machine's CPU time left idle during the run

    @property
    def rate(self) -> float:
        """Deliveries per second that answered 2xx (bare) / were committed (enrich)."""
        return (self.stored if self.target == "enrich" else self.ok) / self.seconds


def run_wrk(
    script: Path, port: int, args: argparse.Namespace, target: str, count_stored: object
) -> Run:
    before = count_stored() if callable(count_stored) else 0
    cpu_before = cpu_times()
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{args.connections}",
            f"-d{args.seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{PATH}",
            "--",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=args.seconds + 60,
        check=True,
    ).stdout
    cpu = [b - a for a, b in zip(cpu_before, cpu_times(), strict=True)]
    found = re.search(r"RESULT ok=(\d+) bad=(\d+) p50_us=(\d+) p99_us=(\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    dur = re.search(r"requests in ([\d.]+)(m?s)", out)
    if not found or not rps or not dur:
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    seconds = float(dur.group(1)) / (1000 if dur.group(2) == "ms" else 1)
    ok, bad, p50, p99 = (int(g) for g in found.groups())
    stored = (count_stored() - before) if callable(count_stored) else 0
    return Run(
        target,
        float(rps.group(1)),
        stored,
        seconds,
        ok,
        bad,
        p50 / 1000,
        p99 / 1000,
        (cpu[3] + cpu[4]) / max(1, sum(cpu)),
    )


def cpu_times() -> list[int]:
    """The machine's CPU time so far, by kind (/proc/stat: user nice system idle iowait ...)."""
    with open("/proc/stat") as stat:
        return [int(n) for n in stat.readline().split()[1:]]


def start(
    cmd: list[str], env: dict[str, str], port: int, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start a server; its messages go to `log` (read back when a delivery is refused)."""
    with open(log or os.devnull, "ab") as errors:
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=errors
        )
    wait_listening(port, proc)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--serve-args",
        default="",
        help="extra options for `enrich serve`, e.g. --serve-args=--reuse-port",
    )
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="process deliveries in the web processes while ingesting (the "
        "embedded default) instead of leaving them queued in a loopback Redis",
    )
    parser.add_argument(
        "--rate",
        type=int,
        default=0,
        help="pace the load at about this many deliveries per second in all "
        "(each connection waits connections/rate between its requests, so slower "
        "answers lower the rate a little) instead of as many as the server "
        "answers: the ack time at a sustainable rate, not the queueing of a "
        "saturated server",
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=0,
        help="signed requests per run [default: 12,000 per second of run, more "
        "than the bare endpoint answers, so the pool never caps its rate]",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install -y wrk")
    bin_dir = Path(sys.executable).parent
    tmp = Path(tempfile.mkdtemp(prefix="enrich-bench-"))
    db = tmp / "ingest.db"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "ENRICH_ENV": "development",
        "STANDARD_WEBHOOK_SECRETS": f"bench={SECRET}",
        "ENRICH_LOG_LEVEL": "WARNING",
        "CRM": "none",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    enrich_port, bare_port = free_port(), free_port()
    redis = None
    if not args.embedded:
        # Ingest is measured on its own: jobs wait in Redis (no rq worker runs), as they would
        # for the workers of a scale-out deployment. --embedded shows the one-process default.
        redis_port = free_port()
        redis = start(
            [
                "redis-server",
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            env,
            redis_port,
        )
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    enrich = start(
        [
            str(bin_dir / "enrich"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(enrich_port),
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            *args.serve_args.split(),
        ],
        env,
        enrich_port,
        tmp / "enrich.log",
    )
    # The ceiling: gunicorn's own gthread worker, one SO_REUSEPORT listener per worker.
    bare = start(
        [
            str(bin_dir / "gunicorn"),
            "-w",
            str(args.workers),
            "-k",
            "gthread",
            "--threads",
            str(args.threads),
            "--reuse-port",
            "-b",
            f"127.0.0.1:{bare_port}",
            "--log-level",
            "warning",
            "bench.ingest:bare_app()",
        ],
        env,
        bare_port,
    )

    def count(where: str = "") -> int:
        conn = sqlite3.connect(db, timeout=30)
        try:
            return int(conn.execute(f"select count(*) from raw_event {where}").fetchone()[0])
        finally:
            conn.close()

    def stored() -> int:
        return count()

    def processed() -> int:
        return count("where status != 'pending'") if db.exists() else 0

    runs: list[Run] = []
    try:
        for n in range(args.runs):
            for target, port in (("bare", bare_port), ("enrich", enrich_port)):
                script = tmp / f"{target}-{n}.lua"
                delay_ms = round(args.connections * 1000 / args.rate) if args.rate else 0
                write_pool(script, args.pool or 12_000 * args.seconds, port, delay_ms)
                before = processed()
                run = run_wrk(script, port, args, target, stored if target == "enrich" else None)
                runs.append(run)
                # Embedded: how far processing got meanwhile (it yields to ingest, pipeline.py).
                worked = (
                    f", processed {processed() - before}"
                    if args.embedded and target == "enrich"
                    else ""
                )
                print(
                    f"run {n + 1} {target:6}: {run.rate:7.0f}/s  (wrk {run.wrk_rps:.0f} req/s, "
                    f"2xx {run.ok}, non-2xx {run.bad}, stored {run.stored}{worked})  "
                    f"p50 {run.p50_ms:.1f} ms  p99 {run.p99_ms:.1f} ms  cpu idle {run.idle:.0%}",
                    flush=True,
                )
                script.unlink()
                if args.embedded and target == "enrich":
                    # The backlog is processed after the burst, in the same processes: let it
                    # finish, or it would slow the next runs of both servers.
                    started = time.monotonic()
                    while count("where status = 'pending'") and time.monotonic() - started < 300:
                        time.sleep(1)
                    left = count("where status = 'pending'")
                    print(
                        f"      backlog processed in {time.monotonic() - started:.0f} s"
                        + (f", {left} still pending" if left else ""),
                        flush=True,
                    )
                time.sleep(2)
    finally:
        stop(enrich)
        stop(bare)
        if redis is not None:
            stop(redis)
        if any(r.bad for r in runs if r.target == "enrich"):
            # A refused delivery is retried by its sender, not lost; say why it was refused.
            lines = (tmp / "enrich.log").read_text(errors="replace").splitlines()
            print("enrich's log, last lines:", *lines[-10:], sep="\n  ")
        shutil.rmtree(tmp, ignore_errors=True)

    def med(target: str, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in runs if r.target == target)

    bare_rate, enrich_rate = med("bare", "rate"), med("enrich", "rate")
    queue = (
        "embedded queue, processing in-process" if args.embedded else "rq queue on loopback Redis"
    )
    offered = f", {args.rate}/s offered" if args.rate else ""
    print(
        f"\nmedian of {args.runs} runs ({os.cpu_count()} cores, {args.workers} gunicorn workers "
        f"x {args.threads} threads, wrk -t2 -c{args.connections} -d{args.seconds}s{offered}, "
        f"{queue}):"
    )
    print(
        f"  bare Flask 200     {bare_rate:7.0f}/s   p50 {med('bare', 'p50_ms'):.1f} ms   "
        f"p99 {med('bare', 'p99_ms'):.1f} ms"
    )
    print(
        f"  enrich stored      {enrich_rate:7.0f}/s   p50 {med('enrich', 'p50_ms'):.1f} ms   "
        f"p99 {med('enrich', 'p99_ms'):.1f} ms"
    )
    if args.rate:
        print(
            f"  p99 ack {'meets' if med('enrich', 'p99_ms') <= 50 else 'misses'} the 50 ms "
            f"target at {args.rate}/s offered"
        )
        return
    print(
        f"  ratio {enrich_rate / bare_rate:.0%} of bare (target >= 50 %), "
        f"{'meets' if enrich_rate >= 2500 else 'misses'} the 2,500/s target"
    )


if __name__ == "__main__":
    main()
