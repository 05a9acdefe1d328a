"""Benchmark: the sync writer under CRM faults (20 % of calls answered 429, 5 % answered 503).

Same load as bench/sync_calls.py (--contacts over contacts/10 accounts, --touchpoints through
the real pipeline; the ingested database is cached, see sync_common.py). Per CRM, two fresh
sandboxes from the same seed:

1. fault-free: the writer until nothing is pending; all calls counted by the sandbox;
2. faulty: `sandbox.set_faults(crm, rate_429=0.2, rate_503=0.05, seed=S)`, the writer until
   nothing is pending. Backoff waits are skipped: between runs every pending request is made
   due again (as `World.sync_until_done` does), so the count of writer runs is not a time.

Checked afterwards: every contact carries the score enrich computed (Social_Score__c /
enrich_social_score), exactly one activity per touchpoint (Tasks counted by
Enrich_Touchpoint_Id__c, notes by enrich_touchpoint_id; no key twice; the set of keys equals
the touchpoints'), zero dead letters. Reported: extra calls over the fault-free run.
("429" on the Salesforce side is its real throttling answer, 403 REQUEST_LIMIT_EXCEEDED.)

    .venv/bin/python bench/sync_faults.py [--contacts 2000 --touchpoints 10000] [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sync_common  # noqa: E402
from sync_common import CallCounter, Sandbox, activity_counts  # noqa: E402


def until_done(w: Any, max_runs: int) -> tuple[int, bool]:
    from sqlalchemy import update
    from sqlmodel import select

    from enrich.db import session_scope
    from enrich.models import SyncRequest, utcnow

    for runs in range(1, max_runs + 1):
        w.sync()
        with session_scope(w.rt.engine) as session:
            if session.exec(select(SyncRequest)).first() is None:
                return runs, True
            session.execute(update(SyncRequest).values(next_attempt_at=utcnow()))
    return max_runs, False


def one(
    crm: str, contacts: int, touchpoints: int, fault_seed: int | None, use_cache: bool
) -> dict[str, Any]:
    from sqlmodel import Session, select

    from enrich.models import CrmRecord, DeadLetter, Score, SyncRequest
    from enrich.sync.payload import activity_key
    from enrich.touchpoints import touchpoints_of

    out: dict[str, Any] = {"crm": crm, "fault_seed": fault_seed}
    with Sandbox(seed=sync_common.seed(contacts)) as sandbox, tempfile.TemporaryDirectory() as tmp:
        w, _ = sync_common.world(
            Path(tmp),
            sandbox,
            crm,
            contacts,
            touchpoints,
            use_cache,
            log=lambda m: print(m, file=sys.stderr, flush=True),
        )
        counter = CallCounter(w.adapter)
        sandbox.state.log.entries = type(sandbox.state.log.entries)(maxlen=1_000_000)
        sandbox.reset_log()
        if fault_seed is not None:
            sandbox.set_faults(crm, rate_429=0.2, rate_503=0.05, seed=fault_seed)
        started = time.perf_counter()
        out["runs"], out["done"] = until_done(w, 400)
        out["sync_s"] = time.perf_counter() - started
        sandbox.clear_faults()
        out["all_calls"] = sandbox.requests_count(side=crm)
        out["write_calls"] = w.write_calls()
        out["statuses"] = dict(Counter(str(e["status"]) for e in sandbox.state.log.entries))
        out["by_type_calls"] = counter.calls
        total, distinct, duplicated = activity_counts(w)
        out.update(activities=total, activity_keys=distinct, duplicated_keys=duplicated)
        with Session(w.rt.engine) as s:
            out["dead_letters"] = [(d.kind, d.error[:120]) for d in s.exec(select(DeadLetter))]
            out["pending"] = len(list(s.exec(select(SyncRequest))))
            wrong, expected_keys = 0, set()
            for record in s.exec(select(CrmRecord).where(CrmRecord.object_type == "contact")):
                score = s.exec(select(Score).where(Score.record_id == record.id)).first()
                want = str(round(score.score) if score else 0)
                if crm == "salesforce":
                    [crm_rec] = sandbox.sf_records("Contact", Id=record.crm_id)
                    have = crm_rec.get("Social_Score__c")
                    have = None if have is None else str(round(float(have)))
                else:
                    have = sandbox.hs_object("contacts", record.crm_id)["properties"].get(
                        "enrich_social_score"
                    )
                wrong += have != want
                expected_keys |= {activity_key(tp, record) for tp in touchpoints_of(s, record.id)}
            out["contacts_wrong_score"] = wrong
            out["expected_activities"] = len(expected_keys)
        if crm == "salesforce":
            keys = {t.get("Enrich_Touchpoint_Id__c") for t in sandbox.sf_records("Task")}
        else:
            keys = {
                n["properties"].get("enrich_touchpoint_id") for n in sandbox.hs_objects("notes")
            }
        out["missing_activities"] = len(expected_keys - keys)
        w.close()
    return out


def child(
    crm: str, contacts: int, touchpoints: int, seeds: list[int], use_cache: bool
) -> list[dict[str, Any]]:
    results = [one(crm, contacts, touchpoints, None, use_cache)]
    for s in seeds:
        results.append(one(crm, contacts, touchpoints, s, use_cache))
    return results


def report(results: list[dict[str, Any]], contacts: int, touchpoints: int) -> int:
    print(
        f"\nSync under faults: {contacts:,} contacts, {touchpoints:,} touchpoints; faults 20 % 429 "
        "+ 5 % 503 on the CRM side (seeded)"
    )
    print(
        "Backoff waits SKIPPED: between writer runs every pending request is made due again "
        "(as World.sync_until_done does); 'runs' counts writer passes, not time.\n"
    )
    hdr = (
        f"{'crm':<11}{'faults':<9}{'runs':>5}{'calls':>7}{'extra':>7}{'429':>5}{'503':>5}"
        f"{'acts':>7}{'dup':>5}{'miss':>6}{'bad score':>10}{'dead':>6}{'sync s':>8}"
    )
    print(hdr)
    ok = True
    base: dict[str, int] = {}
    for r in results:
        crm = r["crm"]
        if r["fault_seed"] is None:
            base[crm] = r["all_calls"]
        st = r["statuses"]
        n429 = st.get("429", 0) + (st.get("403", 0) if crm == "salesforce" else 0)
        extra = r["all_calls"] - base[crm]
        label = "none" if r["fault_seed"] is None else f"seed {r['fault_seed']}"
        print(
            f"{crm:<11}{label:<9}{r['runs']:>5}{r['all_calls']:>7}{extra:>7}{n429:>5}"
            f"{st.get('503', 0):>5}{r['activities']:>7}{r['duplicated_keys']:>5}"
            f"{r['missing_activities']:>6}{r['contacts_wrong_score']:>10}"
            f"{len(r['dead_letters']):>6}{r['sync_s']:>8.1f}"
        )
        ok &= (
            r["done"]
            and not r["dead_letters"]
            and r["duplicated_keys"] == 0
            and r["missing_activities"] == 0
            and r["contacts_wrong_score"] == 0
            and r["activities"] == r["expected_activities"]
        )
    for r in results:
        if r["dead_letters"]:
            kinds = Counter(k for k, _ in r["dead_letters"])
            print(
                f"\n{r['crm']} seed {r['fault_seed']}: dead letters {dict(kinds)}; first: "
                f"{r['dead_letters'][0][1]}"
            )
        if not r["done"]:
            print(
                f"\n{r['crm']} seed {r['fault_seed']}: NOT done after {r['runs']} runs "
                f"({r['pending']} requests pending)"
            )
    print(
        "\ncalls per endpoint kind: "
        + "; ".join(f"{r['crm']}/{r['fault_seed']}: {r['by_type_calls']}" for r in results)
    )
    print(
        "\nRESULT:",
        "everything landed exactly once, no dead letters" if ok else "a check FAILED (see above)",
    )
    print("JSON " + json.dumps(results))
    return 0


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--contacts", type=int, default=2000)
    p.add_argument("--touchpoints", type=int, default=10000)
    p.add_argument("--seeds", type=int, nargs="+", default=[1])
    p.add_argument("--crm", choices=["both", "salesforce", "hubspot"], default="both")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(
            "CHILD " + json.dumps(child(a.crm, a.contacts, a.touchpoints, a.seeds, not a.no_cache))
        )
        return 0
    crms = ["salesforce", "hubspot"] if a.crm == "both" else [a.crm]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--child",
                "--crm",
                crm,
                "--contacts",
                str(a.contacts),
                "--touchpoints",
                str(a.touchpoints),
                "--seeds",
                *map(str, a.seeds),
            ]
            + (["--no-cache"] if a.no_cache else []),
            stdout=subprocess.PIPE,
            text=True,
        )
        for crm in crms
    ]
    results = []
    for proc in procs:
        out, _ = proc.communicate()
        line = [x for x in out.splitlines() if x.startswith("CHILD ")]
        if proc.returncode or not line:
            print(out)
            raise SystemExit(f"child failed with {proc.returncode}")
        results += json.loads(line[-1][6:])
    return report(results, a.contacts, a.touchpoints)


if __name__ == "__main__":
    raise SystemExit(main())
