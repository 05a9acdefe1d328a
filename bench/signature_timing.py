"""Timing safety of the signature check, measured rather than read from the code.

An attacker who could tell how many leading characters of a forged signature are right could
forge one character at a time. This times `webhooks.accounts.verify` (the X / Meta / LinkedIn
check) on forged signatures that differ from the right one in the first character and in the
last, interleaved over many rounds, and compares the medians. As a control that the method can
see such a leak at all, the same measurement runs on a naive early-exit comparison
(a Python loop that stops at the first differing character).

    .venv/bin/python bench/signature_timing.py            # 200,000 rounds per case
    options: --rounds N
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from enrich.errors import WebhookRejected  # noqa: E402
from webhooks.accounts import Key, verify  # noqa: E402

SECRET = "x-consumer-secret-for-timing"
BODY = b'{"for_user_id":"2244994945","favorite_events":[]}' * 20


def right_signature(secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), BODY, hashlib.sha256).hexdigest()


def flip(signature: str, index: int) -> str:
    index %= len(signature)
    c = signature[index]
    return signature[:index] + ("0" if c != "0" else "1") + signature[index + 1 :]


def naive_equal(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    # Deliberately an explicit loop that exits at the first difference: the timing control.
    for x, y in zip(a, b, strict=True):  # noqa: SIM110
        if x != y:
            return False
    return True


def enrich_check(given: str) -> None:
    # A plain try/except keeps the timed call free of contextlib.suppress's overhead.
    try:  # noqa: SIM105
        verify([Key(SECRET)], given, right_signature)
    except WebhookRejected:
        pass


def naive_check(given: str) -> None:
    naive_equal(right_signature(SECRET), given)


def measure(check: Callable[[str], None], cases: dict[str, str], rounds: int) -> dict[str, float]:
    times: dict[str, list[int]] = {name: [] for name in cases}
    clock = time.perf_counter_ns
    order = list(cases.items())
    rng = random.Random(1)
    for _ in range(rounds):
        rng.shuffle(order)  # interleaved, in random order: drift and position hit all alike
        for name, given in order:
            start = clock()
            check(given)
            times[name].append(clock() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200_000)
    args = parser.parse_args()
    right = right_signature(SECRET)
    cases = {"first char wrong": flip(right, len("sha256=")), "last char wrong": flip(right, -1)}
    print(f"{args.rounds:,} interleaved rounds per case; median ns per check")
    for label, check in (
        ("enrich verify (hmac.compare_digest)", enrich_check),
        ("control: naive early-exit compare", naive_check),
    ):
        medians = measure(check, cases, args.rounds)
        first, last = medians["first char wrong"], medians["last char wrong"]
        print(
            f"  {label:38} first wrong {first:8.0f}  last wrong {last:8.0f}  "
            f"difference {last - first:+6.0f} ns ({last / first - 1:+.2%})"
        )


if __name__ == "__main__":
    main()
