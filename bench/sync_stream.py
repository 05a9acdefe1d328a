"""Benchmark: CRM sync under a stream of webhooks, as users run it.

`enrich serve` (gunicorn, 2 processes, the embedded default: SQLite, in-process queue and
scheduler) with the loopback sandbox as its CRM: 2,000 contacts over 200 accounts. 1,000
Standard-Webhooks-signed touchpoints from 250 of them (matched by email), one per delivery,
are sent:

- steady: spread evenly over --duration seconds (8 senders);
- burst: all at once, as fast as 8 senders go;
- faults: steady, while the CRM answers 20 % of calls 429 (with Retry-After; Salesforce as an
  HTTP 429), 5 % 503, and 2 % "lost" (held past enrich's 3 s client timeout, then performed),
  and HubSpot's search lags new records by 3 s. The storm lasts until 15 s past the first
  window's end (so the routine writes meet it too, not only the hand-offs), and the backlog
  is timed from its end.

Measured from outside, in this process: the sandbox's request log (write calls), its state
polled every 100 ms (when each person's last touch shows in their summary field — routine
latency, clocked from the 2xx of that touch's webhook — and when each hand-off task appears —
urgent latency, from the 2xx of the touch that crossed the threshold), then enrich's database.
The sync's own part is also given: from the delivery's processing (`processed_at`) or the
hand-off's creation to the CRM, which leaves out the wait for processing under load.

The minimum for the window: windows of --window seconds from the first delivery; per window
ceil(people/B) + ceil(their accounts/B) + ceil(touchpoints/B) calls (B = 200 Salesforce,
100 HubSpot), plus for hand-offs, in 5-second windows from the first, ceil(hand-offs/B).
Checked: one activity per touchpoint and one task per hand-off (none lost, none twice),
every person's score as enrich computed it, 0 calls once idle, and (steady) 50 deliveries
re-sent create nothing.

    .venv/bin/python bench/sync_stream.py [--crms salesforce hubspot]
        [--modes steady burst faults] [--window 60] [--duration 30] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.client import RemoteDisconnected
from pathlib import Path
from typing import Any

import requests
from urllib3.exceptions import ProtocolError

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sync_common  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from enrich.db import make_engine, upgrade  # noqa: E402
from enrich.models import CrmRecord, Handoff, RawEvent, Score, SyncRequest  # noqa: E402
from enrich.sandbox import Sandbox  # noqa: E402
from enrich.scoring.score import round_score  # noqa: E402
from enrich.sync.connect import make_adapter  # noqa: E402
from enrich.sync.mirror import pull  # noqa: E402
from enrich.sync.payload import handoff_activity  # noqa: E402
from tests.conftest import STANDARD_SECRET  # noqa: E402
from tests.integration.conftest import Process, crm_settings  # noqa: E402
from tests.signing import standard_headers  # noqa: E402

CONTACTS, ACCOUNTS = 2000, 200
BATCH = {"salesforce": 200, "hubspot": 100}
URGENT_S = 5.0
WRITES = {
    "salesforce": [
        "PATCH composite/sobjects",
        "PATCH composite/sobjects/{sobject}/{external_id_field}",
        "DELETE composite/sobjects",
    ],
    "hubspot": [
        f"POST /crm/v3/objects/{{object_type}}/batch/{action}"
        for action in ("update", "create", "upsert", "archive")
    ]
    + ["POST /crm/v4/associations/{object_type}/{to_object_type}/batch/create"],
}
SUMMARY = {"salesforce": "Last_Social_Touch_Summary__c", "hubspot": "enrich_last_touch_summary"}
SCORE = {"salesforce": "Social_Score__c", "hubspot": "enrich_social_score"}
KEY = {"salesforce": "Enrich_Touchpoint_Id__c", "hubspot": "enrich_touchpoint_id"}
TASK_KEY = "enrich_handoff_id"  # HubSpot hand-off tasks


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plan(people: int, touchpoints: int, seed: int) -> list[tuple[str, str]]:
    """(email, marker) per delivery: 250 people spread over the accounts, skewed."""
    chosen = [sync_common.email(i * (CONTACTS // people), ACCOUNTS) for i in range(people)]
    touches = sync_common.touches(people, touchpoints, seed)
    index = {f"person{i}@account{i % max(1, people // 10)}.example": i for i in range(people)}
    return [(chosen[index[email]], uuid.uuid4().hex[:12]) for email, _, _ in touches]


# Connections `enrich serve` closed as a kept-alive one was reused, retried (post_delivery).
RESETS_RETRIED = [0]
_retried_lock = threading.Lock()


def post_delivery(
    session: requests.Session, url: str, body: bytes, headers: dict[str, str]
) -> requests.Response:
    """POST a delivery; again, on a new connection, if the kept-alive one was closed before any
    byte of an answer came back.

    A server may close an idle kept-alive connection just as the client sends its next request
    on it (gunicorn does after `keepalive` seconds); the client then reads a reset or an end of
    stream instead of an answer, and must retry (RFC 9112 section 9.3.1). urllib3 notices a
    connection closed while it sat in its pool, but not one closed as the request goes out. A
    POST is retried only because a delivery is idempotent: enrich keeps one per webhook-id, as
    every Standard Webhooks sender relies on when it retries.
    """
    for attempt in range(3):
        try:
            return session.post(url, data=body, headers=headers, timeout=30)
        except requests.ConnectionError as exc:
            reason = exc.args[0] if exc.args else None
            closed_unanswered = (
                isinstance(reason, ProtocolError)
                and reason.args[0] == "Connection aborted."
                and isinstance(
                    reason.args[1], ConnectionResetError | BrokenPipeError | RemoteDisconnected
                )
            )
            if attempt == 2 or not closed_unanswered:
                raise
            with _retried_lock:
                RESETS_RETRIED[0] += 1
    raise AssertionError("unreachable")


def body_of(email: str, marker: str, kind: str) -> bytes:
    return json.dumps(
        {
            "type": "touchpoint.created",
            "data": {
                "platform": "linkedin",
                "kind": kind,
                "text": f"stream {marker}",
                "id": f"tp-{marker}",
                "occurred_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "actor": {"id": f"li-{email}", "email": email},
            },
        }
    ).encode()


class Watcher(threading.Thread):
    """Polls the sandbox state: when each marker first shows in a summary field, and when
    each hand-off task first appears."""

    def __init__(self, sandbox: Sandbox, crm: str) -> None:
        super().__init__(daemon=True)
        self.sandbox, self.crm = sandbox, crm
        self.seen_marker: dict[str, float] = {}
        self.seen_handoff: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.1):
            now = time.time()
            if self.crm == "salesforce":
                people = [c.get(SUMMARY[self.crm]) for c in self.sandbox.sf_records("Contact")]
                keys = [t.get(KEY[self.crm]) for t in self.sandbox.sf_records("Task")]
            else:
                people = [
                    c["properties"].get(SUMMARY[self.crm])
                    for c in self.sandbox.hs_objects("contacts")
                ]
                keys = list(activity_keys(self.sandbox, self.crm))
            for summary in people:
                if summary and "stream " in summary:
                    marker = summary.split("stream ", 1)[1][:12]
                    self.seen_marker.setdefault(marker, now)
            for key in keys:
                if key and str(key).startswith("handoff-"):
                    self.seen_handoff.setdefault(str(key), now)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def one_run(
    crm: str, mode: str, window: float, duration: float, workdir: Path, seed: int
) -> dict[str, Any]:
    deliveries = plan(250, 1000, seed)
    kinds = [k for k, _ in sync_common.KINDS]
    with Sandbox(seed=sync_common.seed(CONTACTS)) as sandbox:
        db = workdir / f"stream-{uuid.uuid4().hex[:8]}.db"
        port = free_port()
        settings = crm_settings(
            f"sqlite:///{db}",
            sandbox,
            crm,
            sync_window_s=window,
            crm_timeout_s=3.0,
            crm_daily_budget=100_000,
        )
        upgrade(settings.database_url)
        engine = make_engine(settings)
        pull(engine, make_adapter(settings))
        server = Process(
            ["serve", "--workers", "2", "--port", str(port), "--no-migrate"],
            settings,
            workdir / f"serve-{port}.log",
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while True:
                try:
                    if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                if time.time() > deadline:
                    raise RuntimeError("enrich serve did not start:\n" + server.output()[-3000:])
                time.sleep(0.2)
            serving_since = time.time()
            time.sleep(3)  # the first scheduled pull and sweep
            sandbox.reset_log()
            if mode == "faults":
                sandbox.set_faults(
                    crm,
                    rate_429=0.2,
                    rate_503=0.05,
                    rate_lost=0.02,
                    late_ms=5000,
                    retry_after_s=2,
                    sf_throttle_status=429,
                    seed=seed,
                )
                sandbox.set_limits(hs_search_lag_ms=3000)
            watcher = Watcher(sandbox, crm)
            watcher.start()
            acks: list[tuple[float, str, str]] = []  # (ack time, email, marker)
            sent_bodies: list[tuple[bytes, dict[str, str]]] = []
            lock = threading.Lock()
            session = requests.Session()
            resets_before = RESETS_RETRIED[0]
            start = time.time()

            def send(i: int) -> None:
                email, marker = deliveries[i]
                if mode != "burst":
                    wait = start + duration * i / len(deliveries) - time.time()
                    if wait > 0:
                        time.sleep(wait)
                body = body_of(email, marker, kinds[i % len(kinds)])
                headers = standard_headers(STANDARD_SECRET, body, msg_id=f"msg_{marker}")
                answer = post_delivery(session, f"{base}/webhooks/standard/acme", body, headers)
                if answer.status_code != 200:
                    raise RuntimeError(f"webhook {answer.status_code}: {answer.text[:200]}")
                with lock:
                    acks.append((time.time(), email, marker))
                    sent_bodies.append((body, headers))

            with ThreadPoolExecutor(8) as pool:
                list(pool.map(send, range(len(deliveries))))
            stream_end = storm_end = time.time()
            if mode == "faults":
                storm_end = max(stream_end, start + window + 15)
                time.sleep(max(0.0, storm_end - time.time()))
                sandbox.clear_faults()
                sandbox.set_limits(hs_search_lag_ms=0)
            ack_of = {marker: at for at, _, marker in acks}
            people = {email for _, email, _ in acks}
            clear_by = storm_end + window + 180
            while time.time() < clear_by:
                with Session(engine) as s:
                    pending = (
                        s.exec(select(SyncRequest)).first()
                        or s.exec(select(RawEvent.id).where(RawEvent.status == "pending")).first()
                    )
                    waiting = s.exec(
                        select(Handoff).where(col(Handoff.status).in_(("pending", "sending")))
                    ).first()
                if pending is None and waiting is None:
                    break
                time.sleep(0.5)
            cleared = time.time()
            time.sleep(1)
            calls = sum(sandbox.requests_count(e, side=crm) for e in WRITES[crm])
            time.sleep(6)  # idle: a few scheduler ticks with nothing new
            idle_calls = sum(sandbox.requests_count(e, side=crm) for e in WRITES[crm]) - calls
            resent_new = None
            if mode == "steady":
                before = activity_keys(sandbox, crm)
                for body, headers in sent_bodies[:50]:
                    post_delivery(session, f"{base}/webhooks/standard/acme", body, headers)
                time.sleep(window + 8)
                resent_new = sum(activity_keys(sandbox, crm).values()) - sum(before.values())
            # enrich's daily decay job first runs a minute after start: the scores it changes
            # are news too, synced a window later. Compare fields after that, once nothing is
            # pending.
            time.sleep(max(0.0, serving_since + 75 - time.time()))
            settle_by = time.time() + window + 60
            while time.time() < settle_by:
                with Session(engine) as s:
                    if s.exec(select(SyncRequest)).first() is None:
                        break
                time.sleep(0.5)
            watcher.stop.set()
            watcher.join()
            by_endpoint = {e: sandbox.requests_count(e, side=crm) for e in WRITES[crm]}
            fired = dict(sandbox.faults[crm].fired)
            with Session(engine) as s:
                processed = {
                    d.removeprefix("msg_"): at.timestamp()
                    for d, at in s.exec(
                        select(RawEvent.delivery_id, RawEvent.processed_at).where(
                            col(RawEvent.processed_at).is_not(None)
                        )
                    )
                }
                handoffs = list(
                    s.exec(
                        select(Handoff, CrmRecord).join(
                            CrmRecord, CrmRecord.id == Handoff.record_id
                        )
                    )
                )
                scores = {
                    r.email: round_score(sc)  # as the CRM is given it (half up)
                    for r, sc in s.exec(
                        select(CrmRecord, Score.score)
                        .join(Score, Score.record_id == CrmRecord.id)
                        .where(CrmRecord.object_type == "contact")
                    )
                }
                backlog = len(list(s.exec(select(SyncRequest))))
        except Exception:
            print("enrich serve's log, last lines:\n" + server.output()[-6000:], file=sys.stderr)
            raise
        finally:
            server.stop()
        keys = activity_keys(sandbox, crm)
        touch_keys = {k: n for k, n in keys.items() if not k.startswith("handoff-")}
        handoff_keys = {k: n for k, n in keys.items() if k.startswith("handoff-")}
        theirs = crm_scores(sandbox, crm)
        wrong = [e for e in people if theirs.get(e) != scores.get(e)]
        wrong_fields = len(wrong)
        if wrong:
            print(
                "wrong fields, e.g.:",
                [(e, scores.get(e), theirs.get(e)) for e in wrong[:5]],
                flush=True,
            )
        shown = final_markers(sandbox, crm)
    # Routine: per person, the touch the CRM shows last (the newest enrich wrote), from its 2xx
    # to when it first showed.
    routine = [
        watcher.seen_marker[m] - ack_of[m]
        for m in shown
        if m in watcher.seen_marker and m in ack_of
    ]
    # The sync's own part: from the touch's processing (touchpoint stored, scored) to the CRM.
    routine_sync = [
        watcher.seen_marker[m] - processed[m]
        for m in shown
        if m in watcher.seen_marker and m in processed
    ]
    urgent, urgent_sync, urgent_processing = [], [], []
    ack_times = sorted(acks)
    for handoff, record in handoffs:
        key = handoff_activity(handoff, record, "x").key
        created = handoff.created_at.timestamp()
        # the 2xx of this person's touch just before the hand-off was created
        prior = [
            (at, marker)
            for at, email, marker in ack_times
            if email == record.email and at <= created
        ]
        if key in watcher.seen_handoff:
            urgent_sync.append(watcher.seen_handoff[key] - created)
            if prior:
                urgent.append(watcher.seen_handoff[key] - prior[-1][0])
                if prior[-1][1] in processed:
                    # webhook 2xx -> that delivery processed (the wait for processing)
                    urgent_processing.append(processed[prior[-1][1]] - prior[-1][0])
    passes = sync_passes(server.log)
    minimum = minimum_calls(crm, acks, handoffs, window, start)
    return {
        "calls": calls,
        "minimum": minimum,
        "idle_calls": idle_calls,
        "routine_p50": percentile(routine, 0.5),
        "routine_p95": percentile(routine, 0.95),
        "urgent_p50": percentile(urgent, 0.5),
        "urgent_p95": percentile(urgent, 0.95),
        "routine_sync_p50": percentile(routine_sync, 0.5),
        "routine_sync_p95": percentile(routine_sync, 0.95),
        "urgent_sync_p50": percentile(urgent_sync, 0.5),
        "urgent_sync_p95": percentile(urgent_sync, 0.95),
        "urgent_processing_p50": percentile(urgent_processing, 0.5),
        "urgent_processing_p95": percentile(urgent_processing, 0.95),
        **passes,
        "by_endpoint": {
            k.rsplit("/", 1)[-1] if crm == "hubspot" else k: v for k, v in by_endpoint.items() if v
        },
        "faults_fired": fired,
        "handoffs": len(handoffs),
        "activities": sum(touch_keys.values()),
        "lost_activities": len(acks) - len(touch_keys),
        "dup_activities": sum(n - 1 for n in touch_keys.values()),
        "lost_handoffs": len(handoffs) - len(handoff_keys),
        "dup_handoffs": sum(n - 1 for n in handoff_keys.values()),
        "wrong_fields": wrong_fields,
        "backlog": backlog,
        "clear_s": cleared - storm_end,
        "stream_s": stream_end - start,
        "resent_new": resent_new,
        "resets_retried": RESETS_RETRIED[0] - resets_before,
    }


PASS_LINE = re.compile(
    r"sync pass \((?P<kind>[\w-]+)\): (?P<records>\d+) records, (?P<handoffs>\d+) hand-offs "
    r"\(oldest made (?P<waited>[\d.]+) s before the pass\), (?P<activities>\d+) activities, "
    r"(?P<calls>\d+) calls, (?P<took>[\d.]+) s"
)


def sync_passes(log: Path) -> dict[str, Any]:
    """From enrich's own log: how many passes of each kind ran and how long they took, and
    how long the oldest hand-off of each pass that wrote some had waited for it."""
    rows = [m.groupdict() for m in PASS_LINE.finditer(log.read_text(errors="replace"))]
    routine = [float(r["took"]) for r in rows if r["kind"] == "routine"]
    urgent = [float(r["took"]) for r in rows if r["kind"] != "routine"]
    waited = [float(r["waited"]) for r in rows if int(r["handoffs"])]
    return {
        "passes_routine": len(routine),
        "passes_handoff": len(urgent),
        "routine_pass_max_s": max(routine, default=0.0),
        "handoff_pass_p95_s": percentile(urgent, 0.95),
        "handoff_waited_p95_s": percentile(waited, 0.95),
    }


def minimum_calls(
    crm: str, acks: list[tuple[float, str, str]], handoffs: list[Any], window: float, start: float
) -> int:
    batch = BATCH[crm]
    first = min(at for at, _, _ in acks)
    by_window: dict[int, list[str]] = {}
    for at, email, _ in acks:
        by_window.setdefault(int((at - first) // window) if window else 0, []).append(email)
    total = 0
    for emails in by_window.values():
        people = set(emails)
        accounts = {e.split("@", 1)[1] for e in people}
        total += sum(math.ceil(n / batch) for n in (len(people), len(accounts), len(emails)))
    created = sorted(h.created_at.timestamp() for h, _ in handoffs)
    if created:
        buckets: dict[int, int] = {}
        for at in created:
            buckets[int((at - created[0]) // URGENT_S)] = (
                buckets.get(int((at - created[0]) // URGENT_S), 0) + 1
            )
        total += sum(math.ceil(n / batch) for n in buckets.values())
    return total


def final_markers(sandbox: Sandbox, crm: str) -> list[str]:
    rows = (
        sandbox.sf_records("Contact")
        if crm == "salesforce"
        else [c["properties"] for c in sandbox.hs_objects("contacts")]
    )
    return [
        str(r.get(SUMMARY[crm])).split("stream ", 1)[1][:12]
        for r in rows
        if "stream " in str(r.get(SUMMARY[crm]) or "")
    ]


def activity_keys(sandbox: Sandbox, crm: str) -> dict[str, int]:
    """How many times each key shows: Salesforce Tasks; HubSpot notes and (hand-offs) tasks."""
    if crm == "salesforce":
        keys = [str(t.get(KEY[crm])) for t in sandbox.sf_records("Task")]
    else:
        keys = [str(n["properties"].get(KEY[crm])) for n in sandbox.hs_objects("notes")]
        keys += [str(t["properties"].get(TASK_KEY)) for t in sandbox.hs_objects("tasks")]
    return dict(Counter(keys))


def crm_scores(sandbox: Sandbox, crm: str) -> dict[str, int]:
    if crm == "salesforce":
        return {
            c["Email"]: round(float(c.get(SCORE[crm]) or 0))
            for c in sandbox.sf_records("Contact")
            if c.get(SCORE[crm]) is not None
        }
    return {
        c["properties"]["email"]: round(float(c["properties"][SCORE[crm]]))
        for c in sandbox.hs_objects("contacts")
        if c["properties"].get(SCORE[crm])
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--crms", nargs="+", default=["salesforce", "hubspot"], choices=["salesforce", "hubspot"]
    )
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["steady", "burst", "faults"],
        choices=["steady", "burst", "faults"],
    )
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="enrich-stream-") as tmp:
        for crm in args.crms:
            for mode in args.modes:
                for run in range(args.runs):
                    r = one_run(crm, mode, args.window, args.duration, Path(tmp), seed=run + 1)
                    rows.append((crm, mode, r))
                    print(
                        f"{crm:10} {mode:6} run {run + 1}: "
                        + json.dumps(
                            {k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()}
                        ),
                        flush=True,
                    )
    print(f"\nwindow {args.window:g} s, stream {args.duration:g} s (median of {args.runs} runs)")
    print(
        "| CRM | mode | write calls | minimum | ratio | idle calls | routine p50/p95 s "
        "| urgent p50/p95 s | sync part: routine / urgent p95 s | activities lost/dup "
        "| hand-offs lost/dup | wrong fields | clear s |"
    )
    print("| --- " * 13 + "|")
    for crm in args.crms:
        for mode in args.modes:
            runs = [r for c, m, r in rows if c == crm and m == mode]

            def med(name: str, runs: list[dict[str, Any]] = runs) -> float:
                return float(statistics.median(r[name] for r in runs))

            print(
                f"| {crm} | {mode} | {med('calls'):.0f} | {med('minimum'):.0f} | "
                f"{med('calls') / med('minimum'):.2f} | {med('idle_calls'):.0f} | "
                f"{med('routine_p50'):.1f} / {med('routine_p95'):.1f} | "
                f"{med('urgent_p50'):.1f} / {med('urgent_p95'):.1f} | "
                f"{med('routine_sync_p95'):.1f} / {med('urgent_sync_p95'):.1f} | "
                f"{max(r['lost_activities'] for r in runs)} / "
                f"{max(r['dup_activities'] for r in runs)} | "
                f"{max(r['lost_handoffs'] for r in runs)} / "
                f"{max(r['dup_handoffs'] for r in runs)} | "
                f"{max(r['wrong_fields'] for r in runs)} | {med('clear_s'):.0f} |"
            )


if __name__ == "__main__":
    main()
