"""`make run` (`enrich demo`): one command gives a newcomer a sign-in, a week of history, Dana's
touchpoints on all four platforms read back from the sandbox CRM, a review queue, a dead letter
to replay, and the commands to try next; SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.ingest import free_port


def clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            (
                "ENRICH_",
                "SALESFORCE_",
                "HUBSPOT_",
                "DATABASE_",
                "REDIS_",
                "CRM",
                "STANDARD_",
                "X_",
                "META_",
                "LINKEDIN_",
            )
        )
    }


def run_demo(folder: Path, until: str = "Ctrl-C stops") -> tuple[str, int]:
    """Start the demo in `folder`, wait for `until`, SIGTERM it; (output, exit status)."""
    ports = [str(free_port()) for _ in range(3)]
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "enrich",
            "demo",
            "--port",
            ports[0],
            "--salesforce-port",
            ports[1],
            "--hubspot-port",
            ports[2],
        ],
        cwd=folder,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(demo.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 240  # slow on a loaded machine: it waits for the CRM
        while not any(until in line for line in lines) and time.monotonic() < deadline:
            if demo.poll() is not None:
                break
            time.sleep(0.2)
    finally:
        demo.send_signal(signal.SIGTERM)
        status = demo.wait(30)
        reader.join(5)
    return "".join(lines), status


def test_the_first_run_shows_a_living_demo_and_how_to_sign_in(tmp_path: Path) -> None:
    output, status = run_demo(tmp_path)
    assert "Ctrl-C stops" in output, output
    assert "Traceback" not in output
    assert "10 accounts, 40 contacts, 5 leads, 5 opportunities (60 records pulled" in output
    assert output.count("pulled 40 contact records") == 1  # no second full pull racing the first
    # a console user, with its password kept for the next run
    [password] = re.findall(r"password  (\S+)", output)
    assert "email     revops@demo.example" in output
    assert (tmp_path / "var/demo-password").read_text().strip() == password
    assert oct((tmp_path / "var/demo-password").stat().st_mode & 0o777) == "0o600"
    # a week of history and Dana on every platform, all accepted
    assert "a week of sample history: 27 touchpoints sent\n" in output  # and all processed
    assert "writes still pending" not in output
    assert "Standard Webhooks: 10 answered 200" in output
    [score] = [
        line.split()[-1]
        for line in output.splitlines()
        if line.strip().startswith("Social_Score__c")
    ]
    assert float(score) > 0
    [waiting] = re.findall(r"(\d+) people wait in the review queue", output)
    assert int(waiting) >= 3
    assert "One write waits behind a dead letter" in output
    # a lead-gen form on each platform: one on a known contact, one made a new Lead
    assert "Dana Whitfield (Meta): matched by email: a lead_form activity" in output
    assert re.search(
        r"Jonas Berg \(LinkedIn\): no CRM person matched: new salesforce Lead 00Q", output
    )
    # the settings a second terminal needs, and where enrich is
    env = (tmp_path / "var/demo.env").read_text()
    assert "CRM='salesforce'" in env and "SALESFORCE_SESSION_ID=" in env
    assert f"DATABASE_URL='sqlite:///{tmp_path.resolve()}/enrich.db'" in env
    assert "X_CONSUMER_SECRET=" in env and "LINKEDIN_CLIENT_SECRET=" in env
    assert f"SALESFORCE_CA_BUNDLE='{tmp_path.resolve()}/var/" in env
    assert ".venv/bin/enrich" in output
    # SIGTERM stops it like Ctrl-C: exit 0, the sandbox saved its state
    assert status == 0, output[-2000:]
    assert output.rstrip().endswith("stopped")
    assert (tmp_path / "var/sandbox-state.json").is_file()


def test_a_second_run_says_what_it_pulled_and_keeps_the_sign_in(tmp_path: Path) -> None:
    first, _ = run_demo(tmp_path)
    second, status = run_demo(tmp_path)
    assert status == 0
    assert "changed since the last pull" in second
    assert "sample history: already there" in second
    # The first run's staged dead letter would hold every write of this one: it is closed,
    # either replayed by the demo or closed by the sync as an alert about credentials since
    # replaced (the sandbox gives each run a new session).
    with sqlite3.connect(tmp_path / "enrich.db") as db:
        first_letter = db.execute("SELECT replayed_at FROM dead_letter ORDER BY id").fetchone()
    assert first_letter is not None and first_letter[0] is not None
    assert "writes still pending" not in second
    assert "One write waits behind a dead letter" in second
    assert re.findall(r"password  (\S+)", first) == re.findall(r"password  (\S+)", second)
    assert "Traceback" not in second


def test_a_taken_port_is_named_with_the_option_that_moves_it(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        answer = subprocess.run(
            [
                sys.executable,
                "-m",
                "enrich",
                "demo",
                "--port",
                str(free_port()),
                "--salesforce-port",
                port,
                "--hubspot-port",
                str(free_port()),
            ],
            cwd=tmp_path,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert answer.returncode == 1
    assert (
        f"Error: port {port} on 127.0.0.1 is taken (Address already in use): stop what "
        f"uses it (ss -ltnp | grep :{port}) or start with --salesforce-port N"
    ) in answer.stderr
    assert "Traceback" not in answer.stderr + answer.stdout
