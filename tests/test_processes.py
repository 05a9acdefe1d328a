"""enrich's processes stop like any service (SIGTERM: finish or hand back work, exit 0), and
commands agree on exit codes (0 done, 1 error, 2 usage)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from enrich.db import upgrade
from tests.servers import start_redis


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("ENRICH_", "SALESFORCE_", "HUBSPOT_", "DATABASE_", "REDIS_", "CRM", "STANDARD_")
        )
    }
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'enrich.db'}", **extra)
    return env


def enrich(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "enrich", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_after_start(proc: subprocess.Popen[str], ready: str, timeout: float = 60) -> str:
    """Wait for `ready` in the output, send SIGTERM, return the whole output."""
    assert proc.stdout is not None
    out: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        out.append(line)
        if ready in line or (not line and proc.poll() is not None):
            break
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=30)
    return "".join(out) + rest


@pytest.mark.parametrize("command", [["worker"], ["scheduler"]])
def test_embedded_processes_exit_0_on_sigterm(tmp_path: Path, command: list[str]) -> None:
    env = env_for(tmp_path, ENRICH_LOG_LEVEL="INFO")
    upgrade(env["DATABASE_URL"])
    proc = enrich(*command, env=env, cwd=tmp_path)
    output = stop_after_start(proc, "scheduler started")
    assert "scheduler started" in output
    assert proc.returncode == 0, output
    assert "Traceback" not in output


@pytest.mark.redis
def test_the_rq_worker_exits_0_on_sigterm(tmp_path: Path) -> None:
    redis = start_redis()
    try:
        env = env_for(tmp_path, REDIS_URL=redis.url, ENRICH_LOG_LEVEL="DEBUG")
        upgrade(env["DATABASE_URL"])
        proc = enrich("worker", env=env, cwd=tmp_path)
        output = stop_after_start(proc, "Starting BLMOVE operation")  # idle, waiting for a job
        assert "Starting BLMOVE operation" in output
        assert proc.returncode == 0, output
        assert "Traceback" not in output
    finally:
        redis.stop()


@pytest.mark.redis
def test_a_busy_rq_worker_finishes_its_job_before_it_exits(tmp_path: Path) -> None:
    from redis import Redis
    from rq import Queue

    from enrich.queue import QUEUE_NAME

    redis = start_redis()
    try:
        env = env_for(tmp_path, REDIS_URL=redis.url, ENRICH_LOG_LEVEL="DEBUG")
        upgrade(env["DATABASE_URL"])
        proc = enrich("worker", env=env, cwd=tmp_path)
        job = Queue(QUEUE_NAME, connection=Redis.from_url(redis.url)).enqueue("time.sleep", 2)
        output = stop_after_start(proc, f"{job.id}")  # it has taken the job
        job.refresh()
        assert proc.returncode == 0, output
        assert job.get_status() == "finished"
    finally:
        redis.stop()


def test_sync_and_pull_without_a_crm_both_exit_1(tmp_path: Path) -> None:
    env = env_for(tmp_path, CRM="none")
    upgrade(env["DATABASE_URL"])
    for args in (["sync"], ["crm", "pull"]):
        proc = enrich(*args, env=env, cwd=tmp_path)
        output, _ = proc.communicate(timeout=60)
        assert proc.returncode == 1, (args, output)
        assert "no CRM configured: set CRM=salesforce or CRM=hubspot" in output


def test_help_documents_the_exit_codes(tmp_path: Path) -> None:
    proc = enrich("--help", env=env_for(tmp_path), cwd=tmp_path)
    output, _ = proc.communicate(timeout=30)
    assert "Exit status:" in output
    assert "0  done; also serve, worker, scheduler and demo stopped by SIGTERM" in output
    unknown = enrich("no-such-command", env=env_for(tmp_path), cwd=tmp_path)
    unknown.communicate(timeout=30)
    assert unknown.returncode == 2
