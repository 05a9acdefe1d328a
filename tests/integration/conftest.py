"""End-to-end fixtures: the CRM sandbox, settings pointing at it, enrich processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from enrich.config import Settings
from enrich.sandbox import SAMPLE_SEED, Sandbox
from tests import servers
from tests.conftest import make_settings

DANA = "dana.whitfield@northwind.example"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=SAMPLE_SEED) as sb:
        yield sb


def crm_settings(database_url: str, sandbox: Sandbox, crm: str, **overrides: Any) -> Settings:
    return make_settings(
        database_url,
        crm=crm,
        salesforce_instance_url=sandbox.salesforce_url,
        salesforce_session_id=sandbox.session_id,
        salesforce_ca_bundle=str(sandbox.ca_path),
        hubspot_access_token=sandbox.access_token,
        hubspot_base_url=sandbox.hubspot_url,
        public_url="http://enrich.test",
        **overrides,
    )


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process these settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ENRICH_", "SALESFORCE_", "HUBSPOT_"))
    }
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        if value is None:
            continue
        key = (field.alias or name).upper()
        env[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


def enrich_score(engine: Any, email: str) -> int:
    """The score enrich computed for the person with this email, as the CRM should show it."""
    from sqlmodel import Session, select

    from enrich.models import CrmRecord, Score
    from enrich.scoring import round_score

    with Session(engine) as s:
        return round_score(
            s.exec(
                select(Score.score)
                .join(CrmRecord, CrmRecord.id == Score.record_id)
                .where(CrmRecord.email == email)
            ).one()
        )


def postgres_database(server: servers.Server) -> str:
    return servers.create_database(server, f"enrich_{uuid.uuid4().hex[:10]}")


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Process:
    """An `enrich` command running as a real child process."""

    def __init__(self, args: list[str], settings: Settings, log: Path) -> None:
        self.log = log
        self._out = open(log, "ab")  # noqa: SIM115  (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "enrich", *args],
            env=settings_env(settings),
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the process and all its descendants, as when the machine dies.

        An rq worker runs each job in a forked child (the "horse") in a session of its own,
        so killing the process group is not enough.
        """
        for pid in [self.proc.pid, *descendants(self.proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(10)
        self._out.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if not self._out.closed:
            self._out.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Commented:
    """Dana commented once; enrich scored her and wrote her fields and one Task (Salesforce)."""

    settings: Settings
    engine: Any
    client: Any
    contact: dict[str, Any]
    task: dict[str, Any]


@contextlib.contextmanager
def commented(database_url: str, sandbox: Sandbox, crm: str) -> Iterator[tuple[Settings, Any, Any]]:
    """(settings, engine, test client) of enrich on `crm` with its mirror pulled, once Dana's
    one signed comment is accepted; the pipeline and the writer go on by themselves."""
    from enrich import runtime
    from enrich.app import create_app
    from enrich.db import upgrade
    from enrich.sync.connect import make_adapter
    from enrich.sync.mirror import pull
    from tests.integration.test_thin_slice import signed_comment

    settings = crm_settings(database_url, sandbox, crm)
    upgrade(database_url)
    client = create_app(settings).test_client()
    try:
        engine = runtime.current().engine
        pull(engine, make_adapter(settings))
        body, headers = signed_comment(DANA)
        assert client.post("/webhooks/standard/acme", data=body, headers=headers).status_code == 200
        yield settings, engine, client
    finally:
        runtime.uninstall()


@pytest.fixture
def dana_commented(sandbox: Sandbox, database_url: str) -> Iterator[Commented]:
    from tests.conftest import wait_until
    from tests.integration.test_thin_slice import sf_contact, sf_tasks

    with commented(database_url, sandbox, "salesforce") as (settings, engine, client):
        contact = wait_until(lambda: (c := sf_contact(sandbox, DANA))["Social_Score__c"] and c)
        [task] = wait_until(lambda: sf_tasks(sandbox, contact["Id"]))
        yield Commented(settings, engine, client, contact, task)
