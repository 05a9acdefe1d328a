"""Secrets never reach the logs, and production refuses placeholder secrets at start.

A real `enrich serve` (gunicorn, DEBUG logs) receives valid, wrongly signed and handshake
requests on every receiver and processes them; its whole log output must contain no secret,
verify token, admin token or signature value."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from sqlmodel import Session, select

from enrich.db import make_engine, upgrade
from enrich.models import EventStatus, RawEvent
from tests.conftest import META_VERIFY_TOKEN, X_SECRET, make_settings, wait_until
from tests.hardening.conftest import SECRETS, SIGNATURE_HEADER, SIGNERS, valid_body
from tests.integration.conftest import settings_env
from tests.signing import x_headers

ADMIN_TOKEN = "admin-token-for-hardening-0123456789"
SECRET_KEY = "session-key-for-hardening-0123456789"


def test_no_secret_token_or_signature_in_logs(tmp_path: Path, serve: Callable[..., Any]) -> None:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'enrich.db'}",
        log_level="DEBUG",
        admin_token=ADMIN_TOKEN,
        secret_key=SECRET_KEY,
        sweep_after_s=1.0,
    )
    upgrade(settings.database_url)
    served = serve(settings)
    signatures: list[str] = []
    for n, (receiver, (path, sign)) in enumerate(sorted(SIGNERS.items())):
        body = valid_body(receiver, n)
        headers = sign(body)
        signatures.append(headers[SIGNATURE_HEADER[receiver]])
        assert served.post(path, body, headers).status_code == 200
        assert served.post(path, body, headers).status_code == 200  # duplicate
        wrong = {
            **headers,
            SIGNATURE_HEADER[receiver]: x_headers("nope", body)["x-twitter-webhooks-signature"],
        }
        assert served.post(path, body + b" ", wrong).status_code == 401
        assert served.post(path, body + b"  ", headers).status_code == 401
    # handshakes: their answers are derived from the secrets
    crc = requests.get(served.url + "/webhooks/x", params={"crc_token": "tok"}, timeout=10)
    signatures.append(crc.json()["response_token"])
    li = requests.get(
        served.url + "/webhooks/linkedin",
        params={"challengeCode": "890e4665-4dfe-4ab1-b689-ed553bceeed0"},
        timeout=10,
    )
    signatures.append(li.json()["challengeResponse"])
    for token in (META_VERIFY_TOKEN, "wrong-token"):
        requests.get(
            served.url + "/webhooks/meta",
            params={"hub.mode": "subscribe", "hub.challenge": "42", "hub.verify_token": token},
            timeout=10,
        )
    requests.get(
        served.url + "/api/v1/people",
        timeout=10,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    requests.get(
        served.url + "/api/v1/people",
        timeout=10,
        headers={"Authorization": "Bearer wrong-token-0123456789"},
    )

    engine = make_engine(settings)
    try:

        def processed() -> bool:
            with Session(engine) as s:
                return all(r.status != EventStatus.PENDING for r in s.exec(select(RawEvent)))

        wait_until(processed, timeout=30)
    finally:
        engine.dispose()
    time.sleep(0.5)
    served.stop()
    log = served.process.output()
    assert "raw event" in log or "webhook refused" in log  # the log did capture the traffic
    for value in (*SECRETS, X_SECRET, META_VERIFY_TOKEN, ADMIN_TOKEN, SECRET_KEY, *signatures):
        assert value not in log, f"a secret or signature value is in the log: {value[:12]}…"
    signature_digests = [s.removeprefix("sha256=").removeprefix("v1,") for s in signatures]
    for digest in signature_digests:
        assert digest not in log
    assert "Traceback" not in log


def _start(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "enrich", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_placeholder_secrets(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'enrich.db'}")
    base = settings_env(settings)
    for name, value in (
        ("ENRICH_SECRET_KEY", "changeme"),
        ("ENRICH_SECRET_KEY", ""),
        ("ENRICH_SECRET_KEY", "CHANGEME"),
        ("X_CONSUMER_SECRET", "secret"),
    ):
        env = {
            **base,
            "ENRICH_ENV": "production",
            "ENRICH_SECRET_KEY": SECRET_KEY,
            "PORT": "1",
            name: value,
        }
        started = time.monotonic()
        done = _start(env, "serve", "--no-migrate")
        assert done.returncode != 0, (name, value, done.stdout[-500:])
        output = done.stdout + done.stderr
        assert "refusing to start in production with placeholder secrets" in output
        assert name in output and "Traceback" not in output, output
        assert time.monotonic() - started < 30  # it stopped before binding or migrating
    # The same placeholders are fine outside production; a real key is fine in production.
    env = {**base, "ENRICH_ENV": "production", "ENRICH_SECRET_KEY": SECRET_KEY}
    assert "refusing" not in (_start(env, "db", "upgrade").stderr)
    assert os.path.exists(tmp_path / "enrich.db")
