"""`make run` (`enrich demo`): one command shows a contact gaining a score in the sandbox CRM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.ingest import free_port


def test_the_demo_pulls_the_mirror_once_sends_samples_and_shows_the_score(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ENRICH_", "SALESFORCE_", "HUBSPOT_", "DATABASE_", "REDIS_",
                                "CRM", "STANDARD_"))}
    demo = subprocess.Popen([sys.executable, "-m", "enrich", "demo", "--port", str(free_port())],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(demo.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        deadline = time.monotonic() + 240  # slow on a loaded machine: it waits for the CRM
        while not any("Ctrl-C stops" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(20)
        reader.join(5)
    output = "".join(lines)
    assert "Ctrl-C stops" in output, output
    assert "10 accounts, 40 contacts, 5 leads, 5 opportunities pulled" in output
    assert output.count("pulled 40 contact records") == 1  # no second full pull racing the first
    assert output.count("-> 200 {'raw_event_id'") == 3
    [score] = [line.split()[-1] for line in output.splitlines()
               if line.strip().startswith("Social_Score__c")]
    assert float(score) > 0
    assert "Traceback" not in output
