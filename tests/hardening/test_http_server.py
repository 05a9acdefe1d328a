"""`enrich serve` as a real process against clients that misbehave on the wire (issue 15,
findings 4, 5 and 9): slow bodies cannot starve it, a second server cannot take its port, and
what gunicorn refuses itself is answered in enrich's JSON error shape."""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from gunicorn.config import Config

from enrich import defaults
from enrich.config import Settings
from tests.conftest import make_settings
from tests.hardening.conftest import SIGNERS, valid_body
from tests.integration.conftest import settings_env

pytestmark = pytest.mark.slow


@pytest.fixture
def served(serve: Callable[..., Any], tmp_path: Path) -> Any:
    return serve(
        make_settings(f"sqlite:///{tmp_path / 'served.db'}"), "--workers", "2", "--threads", "8"
    )


@contextlib.contextmanager
def slow_clients(port: int, n: int) -> Iterator[list[socket.socket]]:
    """`n` connections that send headers announcing 1000 bytes, then only `{}`."""
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(
                b"POST /webhooks/standard/acme HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{}"
            )
            socks.append(s)
        yield socks
    finally:
        for s in socks:
            s.close()


def test_fifty_slow_bodies_do_not_keep_a_valid_delivery_waiting(served: Any) -> None:
    path, sign = SIGNERS["standard"]
    with slow_clients(served.port, 50):
        time.sleep(0.5)  # every slow connection has been accepted and is waiting
        for n in range(5):
            body = valid_body("standard", n)
            started = time.monotonic()
            answer = served.post(path, body, sign(body), timeout=5)
            assert answer.status_code == 200
            assert time.monotonic() - started < 1.0
        health = requests.get(served.url + "/healthz", timeout=5)
        assert health.status_code == 200


def test_a_body_not_sent_within_the_read_deadline_is_a_408(served: Any) -> None:
    with slow_clients(served.port, 1) as [sock]:
        sock.settimeout(defaults.REQUEST_READ_S + 5)
        answer = sock.recv(4096)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408")
    assert json.loads(body)["error"]["code"] == "request_timeout"


def test_a_body_sent_slowly_but_within_the_deadline_is_accepted(served: Any) -> None:
    path, sign = SIGNERS["standard"]
    body = valid_body("standard", 99)
    head = "".join(f"{k}: {v}\r\n" for k, v in sign(body).items())
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode()
        )
        for i in range(0, len(body), 16):
            sock.sendall(body[i : i + 16])
            time.sleep(0.02)
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 200"), answer


def test_expect_100_continue_and_chunked_bodies_still_work(served: Any) -> None:
    path, sign = SIGNERS["standard"]
    body = valid_body("standard", 7)
    headers = {**sign(body), "Expect": "100-continue"}
    assert served.post(path, body, headers).status_code == 200
    body = valid_body("standard", 8)
    chunked = requests.post(
        served.url + path, data=iter([body[:10], body[10:]]), headers=sign(body), timeout=10
    )
    assert chunked.status_code == 200


def test_kept_alive_connections_reused_within_the_keepalive_are_all_answered_under_load(
    served: Any,
) -> None:
    """8 senders, each on one kept-alive connection, pausing up to 3/4 of gunicorn's keep-alive
    timeout between deliveries while a busy loop takes a core: every delivery is answered 200 on
    the connection it was sent on. (An idle connection is closed after the keep-alive timeout,
    and a request sent on it in that instant is reset unanswered: the race every HTTP/1.1 client
    retries, RFC 9112 section 9.3.1; bench/sync_stream.py's sender does.)"""
    keepalive = Config().keepalive
    path, sign = SIGNERS["standard"]
    failures: list[str] = []
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])

    def sender(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        try:
            conn.connect()
            sock = conn.sock
            for n in range(12):
                body = valid_body("standard", k * 100 + n)
                try:
                    conn.request("POST", path, body=body, headers=sign(body))
                    answer = conn.getresponse()
                    answer.read()
                except OSError as exc:  # a reset or a close: what must not happen here
                    failures.append(f"sender {k}, delivery {n}: {exc!r}")
                    return
                if answer.status != 200 or conn.sock is not sock:
                    failures.append(f"sender {k}, delivery {n}: {answer.status}, reconnected")
                    return
                time.sleep(random.uniform(0.05, 0.75 * keepalive))
        finally:
            conn.close()

    try:
        threads = [threading.Thread(target=sender, args=(k,)) for k in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        busy.kill()
        busy.wait()
    assert failures == []


def test_overlong_request_line_and_headers_are_json_errors(served: Any) -> None:
    long_line = requests.get(served.url + "/healthz?q=" + "a" * 5000, timeout=5)
    assert long_line.status_code == 414
    assert long_line.json()["error"]["code"] == "request_line_too_long"
    many = {f"X-H{i}": "v" for i in range(120)}
    too_many = requests.get(served.url + "/healthz", headers=many, timeout=5)
    assert too_many.status_code == 431
    assert too_many.json()["error"]["code"] == "headers_too_large"


def test_a_second_server_on_a_taken_port_exits_with_a_clear_message(
    served: Any, hardening_settings: Settings
) -> None:
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "enrich",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(served.port),
            "--no-migrate",
        ],
        env=settings_env(hardening_settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1
    assert "already in use" in second.stderr and "Traceback" not in second.stderr


def test_killing_a_worker_then_the_master_loses_no_acknowledged_delivery(
    serve: Callable[..., Any], tmp_path: Path
) -> None:
    """SIGKILL of a gunicorn worker (the master starts another) and then of the master itself
    while a sender posts: every delivery answered 200 is stored once and, after a restart,
    processed once; none answered otherwise is stored."""
    import os
    import signal
    import threading

    from sqlmodel import Session, func, select

    from enrich.db import make_engine
    from enrich.models import EventStatus, RawEvent, Touchpoint
    from tests.conftest import wait_until
    from tests.integration.conftest import descendants

    settings = make_settings(f"sqlite:///{tmp_path / 'killed.db'}", sweep_after_s=1.0)
    first = serve(settings, "--workers", "2", "--threads", "4")
    path, sign = SIGNERS["standard"]
    acked: list[int] = []
    stop = threading.Event()

    def send() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            body = valid_body("standard", n)
            try:
                if (
                    requests.post(
                        first.url + path, data=body, headers=sign(body), timeout=5
                    ).status_code
                    == 200
                ):
                    acked.append(n)
            except requests.RequestException:
                pass
            time.sleep(0.01)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    wait_until(lambda: len(acked) >= 30)
    master = first.process.proc.pid
    workers = descendants(master)
    os.kill(workers[0], signal.SIGKILL)
    mark = len(acked)
    wait_until(lambda: len(acked) >= mark + 30)  # the other worker and its replacement answer
    first.process.kill()  # the master and every worker, as when the machine dies
    stop.set()
    sender.join(10)
    engine = make_engine(settings)
    try:
        with Session(engine) as s:
            stored = [json.loads(b)["data"]["id"] for b in s.exec(select(RawEvent.body))]
        # Every acknowledged delivery is stored, once; a delivery stored in the instant of the
        # kill may have lost its answer (its sender retries it: a duplicate).
        assert {f"tp-{n}" for n in acked} <= set(stored) and len(stored) == len(set(stored))
        assert len(stored) - len(acked) <= 8
        serve(settings, "--no-migrate", log="restarted.log")  # processes what was left pending

        def settled() -> bool:
            with Session(engine) as s:
                pending = s.exec(
                    select(func.count())
                    .select_from(RawEvent)
                    .where(RawEvent.status == EventStatus.PENDING)
                ).one()
                touchpoints = s.exec(select(func.count()).select_from(Touchpoint)).one()
            return pending == 0 and touchpoints == len(stored)

        wait_until(settled, timeout=60)
    finally:
        engine.dispose()
