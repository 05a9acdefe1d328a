"""CPU per delivery of the app's webhook path, in process (inner loop): verify, store, enqueue.

Flask's test client in one thread, rq mode (a Redis URL as the only argument; jobs stay queued),
a temporary SQLite database; 300 warm-up deliveries, then 3,700 timed, each signed with its own
webhook-id. No HTTP server and no concurrency: it tells whether the app's own path got dearer,
which `bench/ingest.py`'s noisy rates cannot.

    redis-server --port 6391 --save "" --daemonize yes
    .venv/bin/python bench/request_cpu.py redis://127.0.0.1:6391/0
"""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

SECRET = "whsec_" + base64.b64encode(b"bench-ingest-secret-0123456789abcd").decode()
PATH = "/webhooks/standard/bench"


def app_environment(name: str, redis_url: str) -> None:
    """The environment of an in-process app on a new SQLite database in rq mode (jobs stay
    queued), with the bench's webhook secret; set before the app is made."""
    tmp = Path(tempfile.mkdtemp(prefix=f"enrich-{name}-"))
    os.environ.update(
        DATABASE_URL=f"sqlite:///{tmp}/e.db",
        ENRICH_ENV="development",
        STANDARD_WEBHOOK_SECRETS=f"bench={SECRET}",
        ENRICH_LOG_LEVEL="WARNING",
        CRM="none",
        REDIS_URL=redis_url,
    )


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    app_environment("request-cpu", sys.argv[1])
    # Settings are read from the environment when the app is made: import after setting it.
    from enrich.app import create_app
    from enrich.db import upgrade
    from enrich.samples import SAMPLE_PEOPLE, sign_standard, touchpoint_message

    upgrade(os.environ["DATABASE_URL"])
    client = create_app().test_client()
    body = json.dumps(touchpoint_message(SAMPLE_PEOPLE[0], "comment", "Does this do SSO?"))
    signed = [
        sign_standard(SECRET, body.encode(), msg_id=f"msg_{uuid.uuid4().hex}") for _ in range(4000)
    ]
    for headers in signed[:300]:
        assert client.post(PATH, data=body, headers=headers).status_code == 200
    timed = signed[300:]
    wall, cpu = time.perf_counter(), time.process_time()
    for headers in timed:
        answer = client.post(PATH, data=body, headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"{len(timed)} deliveries: CPU {1e6 * cpu / len(timed):.0f} µs per delivery, "
        f"wall {1e6 * wall / len(timed):.0f} µs (in process, one thread, rq mode)"
    )


if __name__ == "__main__":
    main()
