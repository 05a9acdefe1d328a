"""The sync pass lease on PostgreSQL (an advisory lock): across real processes, each with its own
engine, one pass runs at a time, and a holder that dies gives the lease up with its
connection, so the next pass is not blocked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from enrich.db import make_engine
from enrich.sync.outbox import pass_lease
from tests.conftest import make_settings
from tests.integration.conftest import postgres_database

ROOT = Path(__file__).resolve().parents[2]
# A process that runs "passes" for a while: each holds the lease 50 ms and notes when.
PASSES = """
import sys, time
from enrich.db import make_engine
from enrich.sync.outbox import pass_lease
from tests.conftest import make_settings

engine = make_engine(make_settings(sys.argv[1]))
deadline = time.monotonic() + float(sys.argv[3])
with open(sys.argv[2], "a") as out:
    while time.monotonic() < deadline:
        with pass_lease(engine) as held:
            if held:
                start = time.time()
                time.sleep(0.05)
                out.write(f"{start} {time.time()}\\n")
                out.flush()
        time.sleep(0.002)
"""
# A process that takes the lease and keeps it until it is killed.
HOLDER = """
import sys, time
from enrich.db import make_engine
from enrich.sync.outbox import pass_lease
from tests.conftest import make_settings

with pass_lease(make_engine(make_settings(sys.argv[1]))) as held:
    print("held" if held else "refused", flush=True)
    time.sleep(600)
"""


def child(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )


def test_two_processes_contending_never_run_two_passes_at_once(
    postgres_server: Any, tmp_path: Path
) -> None:
    url = postgres_database(postgres_server)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [child(PASSES, url, str(log), "3") for log in logs]
    for proc in procs:
        assert proc.wait(60) == 0
    passes = [
        (float(start), float(end), log.name)
        for log in logs
        for start, end in (line.split() for line in log.read_text().splitlines())
    ]
    assert {name for _, _, name in passes} == {"a.log", "b.log"}  # both took turns
    passes.sort()
    for (_, end, _), (start, _, _) in zip(passes, passes[1:], strict=False):
        assert start >= end  # a pass began only after the previous one ended


def test_a_holder_that_dies_gives_the_lease_up_at_once(
    postgres_server: Any, tmp_path: Path
) -> None:
    url = postgres_database(postgres_server)
    engine = make_engine(make_settings(url))
    holder = child(HOLDER, url)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pass_lease(engine) as held:
            assert not held  # another process is running a pass
        os.kill(holder.pid, signal.SIGKILL)  # as when a worker's machine dies mid-pass
        holder.wait(10)
        deadline = time.monotonic() + 5
        while True:
            with pass_lease(engine) as held:
                if held:
                    break
            assert time.monotonic() < deadline, "the dead holder's lease was never given up"
            time.sleep(0.05)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
        engine.dispose()
