"""`enrich demo` (what `make run` runs): the CRM sandbox, enrich and its worker in one process,
on the embedded default, with no account anywhere.

The first run fills enrich with a week of sample history sent through the real webhooks (several
people, accounts and platforms, a hand-off, lookalikes for the review queue), so every console
page has something true to show; every run then sends Dana Whitfield's touchpoints on all four
platforms, shows her record as the sandbox CRM now has it, and leaves one write waiting behind a
dead letter for the newcomer to replay. It creates a console user (development only) and
prints how to sign in, the CRM settings for a second terminal and the commands to try next.
SIGTERM (docker stop, systemd) stops it like Ctrl-C: the web server, the in-process jobs and the
sandbox (which saves its state) shut down in order, exit status 0.
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import requests
from simple_salesforce.format import format_soql
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from werkzeug.serving import make_server

from enrich import runtime
from enrich.config import Settings
from enrich.console.auth import create_user, set_password
from enrich.db import make_engine, upgrade
from enrich.deadletters import replay
from enrich.leads import samples as lead_samples
from enrich.models import (
    ActivityWrite,
    CrmRecord,
    DeadLetter,
    IdentityLink,
    LinkStatus,
    RawEvent,
    Role,
    SyncRequest,
    Touchpoint,
    User,
    utcnow,
)
from enrich.samples import (
    SAMPLE_PAGE,
    history_messages,
    platform_deliveries,
    signed_standard,
    touchpoint_message,
)
from enrich.samples import standard_deliveries as live_deliveries
from enrich.sandbox import SAMPLE_SEED, Sandbox
from enrich.sandbox.platforms import PlatformSandbox
from enrich.server import build_wsgi_app
from enrich.sync.connect import make_adapter
from enrich.sync.mirror import pull

# Fixed demo secrets keep printed commands valid across restarts; never used outside the demo.
DEMO_SECRET = "whsec_" + base64.b64encode(b"enrich-demo-secret-not-for-production").decode()
DEMO_PLATFORM_SECRETS = {
    "x_consumer_secret": "demo-x-consumer-secret",
    "meta_app_secret": "demo-meta-app-secret",
    "meta_verify_token": "demo-meta-verify-token",
    "linkedin_client_secret": "demo-linkedin-client-secret",
}
DEMO_EMAIL = "dana.whitfield@northwind.example"
DEMO_USER = "revops@demo.example"
PASSWORD_FILE = Path("var/demo-password")
ENV_FILE = Path("var/demo.env")
PLURALS = {"opportunity": "opportunities"}


class Stop(Exception):
    """SIGTERM: leave the demo the way Ctrl-C does."""


def _on_sigterm(*_: Any) -> None:
    raise Stop


def _read_back(settings: Settings, email: str) -> dict[str, Any]:
    """The demo contact as the CRM has it, read through the real client library."""
    adapter: Any = make_adapter(settings)
    if settings.crm == "salesforce":
        rows = adapter.sf.query(
            format_soql(
                "SELECT Id, FirstName, LastName, Social_Score__c, Social_Score_Reasons__c, "
                "Last_Social_Touch_Summary__c FROM Contact WHERE Email = {}",
                email,
            )
        )["records"]
        return {k: v for k, v in rows[0].items() if k != "attributes"} if rows else {}
    from hubspot.crm.contacts import PublicObjectSearchRequest

    found = adapter.client.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(
            filter_groups=[
                {"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}
            ],
            properties=[
                "firstname",
                "lastname",
                "enrich_social_score",
                "enrich_score_reasons",
                "enrich_last_touch_summary",
            ],
        )
    )
    return dict(found.results[0].properties) if found.results else {}


def private_file(path: Path, text: str) -> None:
    """Write `text` readable by this user only (it holds a password or CRM session)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def demo_user(engine: Engine) -> tuple[str, str]:
    """The demo's console user and its password, kept in var/ (mode 600) so it stays the same
    across runs; a new one when the file is gone (which ends the user's open sessions)."""
    password = PASSWORD_FILE.read_text().strip() if PASSWORD_FILE.is_file() else ""
    with Session(engine) as session:
        exists = session.exec(select(User).where(User.email == DEMO_USER)).first() is not None
    if exists and password:
        return DEMO_USER, password
    password = secrets.token_urlsafe(12)
    if exists:
        set_password(engine, email=DEMO_USER, password=password)
    else:
        create_user(engine, email=DEMO_USER, password=password, role=Role.ADMIN)
    private_file(PASSWORD_FILE, password + "\n")
    return DEMO_USER, password


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def pending_work(engine: Engine) -> int:
    """Deliveries not yet processed, and CRM writes due (not waiting behind an alert)."""
    with Session(engine) as session:
        return (
            _count(session, RawEvent, col(RawEvent.status) == "pending")
            + _count(session, SyncRequest, col(SyncRequest.next_attempt_at) <= utcnow())
            + _count(session, ActivityWrite, col(ActivityWrite.status) == "pending")
        )


def wait_settled(engine: Engine, timeout: float) -> bool:
    """Wait until every delivery is processed and every due write sent (True), or `timeout`."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        quiet = quiet + 1 if pending_work(engine) == 0 else 0
        if quiet >= 3:  # settled for three looks in a row: a job may enqueue the next one
            return True
        time.sleep(0.5)
    return False


def _post(base: str, path: str, body: bytes, headers: dict[str, str]) -> int:
    return requests.post(f"{base}{path}", data=body, headers=headers, timeout=15).status_code


def send_history(base: str, secret: str) -> int:
    """A week of touchpoints through the Standard Webhooks receiver; returns how many."""
    sent = 0
    for body, headers in signed_standard(secret, history_messages()):
        if _post(base, "/webhooks/standard/demo", body, headers) == 200:
            sent += 1
    return sent


def send_live(base: str, settings: Settings, secret: str) -> dict[str, int]:
    """Dana's touchpoints on every platform, each signed as its platform signs; answers by
    status code."""
    answers: dict[str, int] = {}
    plan = [("/webhooks/standard/demo", body, headers) for body, headers in live_deliveries(secret)]
    for platform in ("x", "meta", "linkedin"):
        plan += platform_deliveries(platform, settings.platform_secrets(platform)[0])
    for path, body, headers in plan:
        code = str(_post(base, path, body, headers))
        answers[code] = answers.get(code, 0) + 1
    return answers


def leave_a_dead_letter(engine: Engine, sandbox: Sandbox, base: str, secret: str) -> bool:
    """The sandbox refuses enrich's session once; the DM sent next waits behind the alert this
    raises (a `crm_auth` dead letter) until someone replays it. True once the letter is there."""
    sandbox.set_faults("salesforce", fail_next=1, fail_with="401")
    dm = {
        "id": "li-9001",
        "handle": "danawhitfield",
        "name": "Dana Whitfield",
        "email": DEMO_EMAIL,
        "platform": "linkedin",
    }
    [(body, headers)] = signed_standard(
        secret,
        [touchpoint_message(dm, "dm", "Could you send the security whitepaper before our call?")],
    )
    _post(base, "/webhooks/standard/demo", body, headers)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with Session(engine) as session:
            if _count(session, DeadLetter, col(DeadLetter.replayed_at).is_(None)):
                return True
        time.sleep(0.5)
    sandbox.clear_faults("salesforce")
    return False


def replay_staged_letters(engine: Engine) -> int:
    """Replay what an earlier run's `leave_a_dead_letter` left open: against the sandbox a
    `crm_auth` letter can only be the demo's own, and while it is open no write goes out, so
    this run's samples would never reach the CRM."""
    with Session(engine) as session:
        ids = list(
            session.exec(
                select(DeadLetter.id).where(
                    DeadLetter.kind == "crm_auth", col(DeadLetter.replayed_at).is_(None)
                )
            )
        )
    return replay(engine, [i for i in ids if i is not None]) if ids else 0


def write_env_file(settings: Settings, db_path: Path) -> None:
    """The settings of this demo for a second terminal (`set -a; . var/demo.env; set +a`)."""
    values = {
        "DATABASE_URL": f"sqlite:///{db_path}",
        "CRM": settings.crm,
        "SALESFORCE_INSTANCE_URL": settings.salesforce_instance_url,
        "SALESFORCE_SESSION_ID": settings.salesforce_session_id,
        # absolute, so the file works from any folder
        "SALESFORCE_CA_BUNDLE": str(Path(settings.salesforce_ca_bundle or "").resolve()),
        "HUBSPOT_ACCESS_TOKEN": settings.hubspot_access_token,
        "HUBSPOT_BASE_URL": settings.hubspot_base_url,
        "STANDARD_WEBHOOK_SECRETS": settings.standard_webhook_secrets,
        "X_CONSUMER_SECRET": settings.x_consumer_secret,
        "META_APP_SECRET": settings.meta_app_secret,
        "META_VERIFY_TOKEN": settings.meta_verify_token,
        "LINKEDIN_CLIENT_SECRET": settings.linkedin_client_secret,
        "PORT": str(settings.port),
    }
    private_file(ENV_FILE, "".join(f"{k}='{v}'\n" for k, v in values.items() if v))


@contextmanager
def _sigterm_stops() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_demo(
    settings: Settings,
    *,
    port: int | None,
    crm: str,
    send_samples: bool = True,
    sf_port: int = 8766,
    hs_port: int = 8765,
) -> None:
    with _sigterm_stops():
        try:
            _run(
                settings,
                port=port,
                crm=crm,
                send_samples=send_samples,
                sf_port=sf_port,
                hs_port=hs_port,
            )
        except (KeyboardInterrupt, Stop):
            click.echo("stopped")


def check_ports(host: str, ports: dict[str, int]) -> None:
    """Refuse to start, naming the option to change, when a port is taken (werkzeug would
    exit with a message that names no option)."""
    for option, port in ports.items():
        with socket.socket() as probe:
            # As the servers will bind: a port left in TIME_WAIT by the last run is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as exc:
                raise click.ClickException(
                    f"port {port} on {host} is taken ({exc.strerror}): stop what uses it "
                    f"(ss -ltnp | grep :{port}) or start with {option} N"
                ) from None


def _run(
    settings: Settings,
    *,
    port: int | None,
    crm: str,
    send_samples: bool,
    sf_port: int,
    hs_port: int,
) -> None:
    check_ports(
        settings.host,
        {"--port": port or settings.port, "--salesforce-port": sf_port, "--hubspot-port": hs_port},
    )
    Path("var").mkdir(exist_ok=True)
    sandbox = Sandbox(
        seed=SAMPLE_SEED,
        state_path=Path("var/sandbox-state.json"),
        sf_port=sf_port,
        hs_port=hs_port,
    ).start()
    platforms = PlatformSandbox().start()  # Graph and LinkedIn, for the lead-form samples
    lead_samples.seed(platforms)
    server = None
    try:
        port = port or settings.port
        base = f"http://{settings.host}:{port}"
        settings = settings.model_copy(
            update={
                "crm": crm,
                "salesforce_instance_url": sandbox.salesforce_url,
                "salesforce_session_id": sandbox.session_id,
                "salesforce_ca_bundle": str(sandbox.ca_path),
                "hubspot_access_token": sandbox.access_token,
                "hubspot_base_url": sandbox.hubspot_url,
                "standard_webhook_secrets": settings.standard_webhook_secrets
                or f"demo={DEMO_SECRET}",
                **{k: getattr(settings, k) or v for k, v in DEMO_PLATFORM_SECRETS.items()},
                "public_url": settings.public_url or base,
                "meta_graph_url": platforms.url,
                "meta_page_tokens": f"*={platforms.page_token(SAMPLE_PAGE)}",
                "linkedin_api_url": platforms.url,
                "linkedin_access_token": platforms.linkedin_token,
                "lead_forms_unmatched": "create_lead",  # the demo shows a Lead being made
                "port": port,
                # The demo shows the score in the CRM within seconds, not after production's
                # window.
                "sync_window_s": min(settings.sync_window_s, 3.0),
            }
        )
        upgrade(settings.database_url)
        # Pull before the app starts, so the scheduler's first pull is incremental (no second
        # full pull racing this one).
        engine = make_engine(settings)
        try:
            counts = pull(engine, make_adapter(settings))
            with Session(engine) as session:
                mirrored = dict(
                    session.exec(
                        select(CrmRecord.object_type, func.count())
                        .where(col(CrmRecord.deleted).is_(False))
                        .group_by(CrmRecord.object_type)
                    ).all()
                )
                first_run = _count(session, Touchpoint) == 0
            user = demo_user(engine) if settings.env == "development" else None
        finally:
            engine.dispose()

        app = build_wsgi_app(settings)
        server = make_server(settings.host, port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        engine = runtime.current().engine
        db_path = Path(settings.database_url.removeprefix("sqlite:///")).resolve()
        write_env_file(settings, db_path)
        secret = settings.standard_secrets().get("demo", [DEMO_SECRET])[0]
        mirror = ", ".join(f"{n} {PLURALS.get(k, k + 's')}" for k, n in sorted(mirrored.items()))
        changed = sum(counts.values())
        how = "pulled" if first_run else "changed since the last pull"
        click.echo(f"""
enrich is running on the embedded default (SQLite {db_path}, in-process queue)
  enrich            {base}   (health: {base}/healthz, metrics: {base}/metrics)
  CRM sandbox       Salesforce {sandbox.salesforce_url}   HubSpot {sandbox.hubspot_url}
  sandbox log       {sandbox.hubspot_url}/_sandbox/log
  CRM mirror        {mirror} ({changed} records {how} from the {crm} sandbox)
  CRM settings      {ENV_FILE}: CRM, SALESFORCE_INSTANCE_URL, SALESFORCE_SESSION_ID,
                    SALESFORCE_CA_BUNDLE, HUBSPOT_ACCESS_TOKEN, HUBSPOT_BASE_URL, the four
                    platforms' webhook secrets, DATABASE_URL""")
        if user:
            click.echo(f"""
Sign in to the console at {base}/login
  email     {user[0]}
  password  {user[1]}   (kept in {PASSWORD_FILE})
  more users: .venv/bin/enrich users create --email you@example.com --role admin""")
        if send_samples:
            _samples(settings, sandbox, engine, base, secret, first_run)
        click.echo(f"""
Try next, from another terminal in this folder (the settings of this demo are in {ENV_FILE}):
  set -a; . {ENV_FILE}; set +a
  .venv/bin/enrich events send-sample   # signed samples from all four platforms
  .venv/bin/enrich crm pull             # incremental pull from the sandbox CRM
  .venv/bin/enrich sync replay --all    # or replay the dead letter on {base}/sync
  curl -s {base}/metrics | grep ^enrich_
  .venv/bin/enrich --help               # every command and the exit codes
(enrich is in .venv/bin, not on PATH: `. .venv/bin/activate` puts it there for this shell.)

Ctrl-C stops enrich and the sandbox (sandbox state kept in var/).""")
        while thread.is_alive():
            thread.join(1)
    finally:
        if server is not None:
            server.shutdown()
        runtime.uninstall()  # waits for the jobs running in this process
        sandbox.stop()  # saves the sandbox's state
        platforms.stop()


def _samples(
    settings: Settings, sandbox: Sandbox, engine: Engine, base: str, secret: str, first_run: bool
) -> None:
    if first_run:
        sent = send_history(base, secret)
        settled = wait_settled(engine, 90)
        click.echo(
            f"\n  a week of sample history: {sent} touchpoints sent"
            + ("" if settled else " (still being processed)")
        )
    else:
        click.echo("\n  sample history: already there (it is sent on the first run only)")
        if replay_staged_letters(engine):
            click.echo("  the dead letter the last run left waiting is replayed: writes go out")
    before = _read_back(settings, DEMO_EMAIL)
    answers = send_live(base, settings, secret)
    click.echo(
        "  Dana Whitfield's touchpoints on X, Meta, LinkedIn and Standard Webhooks: "
        + ", ".join(f"{n} answered {code}" for code, n in sorted(answers.items()))
    )
    settled = wait_settled(engine, 60)
    after = _read_back(settings, DEMO_EMAIL)
    score = "Social_Score__c" if settings.crm == "salesforce" else "enrich_social_score"
    click.echo(
        f"\n{DEMO_EMAIL} in the {settings.crm} sandbox, read back through the real "
        "client" + ("" if settled else " (writes still pending)") + ":"
    )
    for key, value in after.items():
        click.echo(f"  {key:32} {value}")
    if before.get(score) == after.get(score) and before.get(score) is not None:
        click.echo(
            f"  (score unchanged at {after.get(score)}: today's points per kind are "
            "capped, see daily_caps on /rules/scoring)"
        )
    with Session(engine) as session:
        review = session.exec(
            select(func.count(func.distinct(IdentityLink.profile_id))).where(
                IdentityLink.status == LinkStatus.PENDING
            )
        ).one()
    click.echo("\nLead-gen forms filled in (samples read from the platform sandbox):")
    for line in lead_samples.show(settings, base, engine):
        click.echo(f"  {line}")
    if leave_a_dead_letter(engine, sandbox, base, secret):
        click.echo(
            "\nOne write waits behind a dead letter: the sandbox refused enrich's session "
            "once (on purpose, to show what a revoked token does). Replay it on "
            f"{base}/sync and Dana's last touch in the CRM becomes her new DM."
        )
    click.echo(f"{review} people wait in the review queue: {base}/review")
