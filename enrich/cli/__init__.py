"""The `enrich` command line: serve, worker, scheduler, db, crm, sync, events, sandbox, match."""

from __future__ import annotations

import logging
import os
import signal
import sys
from typing import Any

import click

from enrich import worker as rq_worker
from enrich.cli.context import settings_from, use_runtime
from enrich.cli.events import events, import_
from enrich.cli.leads import leads
from enrich.cli.users import users
from enrich.config import load_settings
from enrich.db import upgrade
from enrich.deadletters import replay
from enrich.demo import run_demo
from enrich.errors import EnrichError
from enrich.logs import configure
from enrich.matching.cli import match
from enrich.queue import QUEUE_NAME, RQQueue
from enrich.retention import purge
from enrich.sandbox.cli import sandbox
from enrich.scheduler import Scheduler
from enrich.scoring.recompute import recompute_all
from enrich.server import ensure_port_free, run_gunicorn
from enrich.sync import budget
from enrich.sync.connect import make_adapter
from enrich.sync.mirror import pull, queue_attribution
from enrich.sync.setup import setup_hubspot, setup_salesforce
from enrich.sync.writer import sync_pending
from enrich.worker import safe_url


class EnrichGroup(click.Group):
    """Turns enrich's own errors, and unexpected ones, into one clear ``Error:`` line on stderr
    and exit code 1 (click's ``ClickException``), never a traceback. Usage errors keep click's
    exit code 2 (unknown command or option, missing or invalid option value)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EnrichError as exc:
            raise click.ClickException(str(exc)) from exc
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            # A bug, not a user error: one clear line, the traceback in the debug log.
            logging.getLogger("enrich.cli").debug("unexpected error", exc_info=True)
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {exc} (ENRICH_LOG_LEVEL=DEBUG shows where)"
            ) from exc


@click.group(cls=EnrichGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="enrich")
def cli() -> None:
    """enrich: social touchpoints → matched CRM contacts → interests, interactions and scores
    in Salesforce and HubSpot.

    Configuration comes from environment variables (and .env); see README.md.

    \b
    Exit status:
      0  done; also serve, worker, scheduler and demo stopped by SIGTERM or Ctrl-C
         (in-flight work finished or left pending in the database for the next run)
      1  an error, said in one line on stderr: bad configuration (no CRM configured
         for crm/sync), the CRM or database refused, a failed sample or replay
      2  a usage error: unknown command or option, missing or invalid value
    """
    settings = load_settings()
    configure(settings.log_level, settings.log_json)
    click.get_current_context().ensure_object(dict)["settings"] = settings


# --- database ---------------------------------------------------------------------------------
@cli.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Create or migrate the schema of DATABASE_URL."""
    settings = settings_from(ctx)
    upgrade(settings.database_url, revision)
    click.echo(f"database at {safe_url(settings.database_url)} is at revision {revision}")


# --- processes --------------------------------------------------------------------------------
@cli.command()
@click.option("--host", default=None, help="bind address [default: HOST or 127.0.0.1]")
@click.option("--port", type=int, default=None, help="port [default: PORT or 8000]")
@click.option("--workers", type=int, default=2, show_default=True, help="gunicorn processes")
@click.option(
    "--threads",
    type=int,
    default=8,
    show_default=True,
    help="threads per process (requests in flight per process)",
)
@click.option("--no-migrate", is_flag=True, help="do not run `db upgrade` first")
@click.option(
    "--reuse-port",
    is_flag=True,
    help="bind with SO_REUSEPORT (the kernel spreads connections over the workers; "
    "a second server on the same port then shares the traffic silently)",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    workers: int,
    threads: int,
    no_migrate: bool,
    reuse_port: bool,
) -> None:
    """Run the web app (webhooks, console, API) under gunicorn.

    Without REDIS_URL the jobs run in-process (embedded queue + scheduler thread).
    """
    settings = settings_from(ctx)
    settings.check_production()
    host, port = host or settings.host, port or settings.port
    if not reuse_port:
        ensure_port_free(host, port)
    if not no_migrate:
        upgrade(settings.database_url)
    run_gunicorn(settings, host, port, workers, threads, reuse_port=reuse_port)


@cli.command()
@click.option("--burst", is_flag=True, help="exit when the queue is empty (rq mode)")
@click.pass_context
def worker(ctx: click.Context, burst: bool) -> None:
    """Run jobs: an rq worker with REDIS_URL, else an in-process worker and scheduler."""
    settings = settings_from(ctx)
    if settings.redis_url:
        # Stopped before rq installs its own handlers (starting, or waiting for Redis): nothing
        # is in flight, so leave as a clean stop rather than die of the signal.
        signal.signal(signal.SIGTERM, _exit_0)
        rt = use_runtime(ctx, embedded_worker=False)
        assert isinstance(rt.queue, RQQueue)
        ctx.exit(rq_worker.run(rt.queue.redis, settings.redis_url, QUEUE_NAME, burst=burst))

    rt = use_runtime(ctx)
    click.echo("no REDIS_URL: running jobs in this process from the database (Ctrl-C stops)")
    _run_until_signal(Scheduler(rt))


@cli.command()
@click.pass_context
def scheduler(ctx: click.Context) -> None:
    """Enqueue periodic jobs: sweep stale work, sync pending writes, pull the CRM mirror."""
    rt = use_runtime(ctx, embedded_worker=not settings_from(ctx).redis_url)
    _run_until_signal(Scheduler(rt))


def _exit_0(*_: Any) -> None:
    raise SystemExit(0)


def _run_until_signal(sched: Any) -> None:
    def _stop(*_: Any) -> None:
        sched.stop()

    signal.signal(signal.SIGTERM, _stop)
    try:
        sched.run_forever()
    except KeyboardInterrupt:
        sched.stop()


# --- CRM ----------------------------------------------------------------------------------------
@cli.group()
def crm() -> None:
    """The CRM connection: pull the mirror, create enrich's fields."""


@crm.command("pull")
@click.option("--full", is_flag=True, help="re-read everything instead of changes since last pull")
@click.pass_context
def crm_pull(ctx: click.Context, full: bool) -> None:
    """Pull accounts, contacts and leads into the local mirror (resumable)."""
    from tqdm import tqdm

    rt = use_runtime(ctx, embedded_worker=False)
    adapter = make_adapter(rt.settings)
    with tqdm(unit=" records", disable=not sys.stderr.isatty(), desc="pull") as bar:

        def progress(obj: str, n: int) -> None:
            bar.set_description(obj)
            bar.update(n)

        try:
            counts = pull(rt.engine, adapter, full=full, progress=progress)
            queue_attribution(rt.engine, adapter, rt.settings.attribution_window_days)
        finally:  # a manual pull spends the same daily API budget as the scheduled one
            budget.charge(rt.engine, adapter.name, adapter.calls)
    plural = {"opportunity": "opportunities"}
    click.echo(
        ", ".join(f"{n} {plural.get(obj, obj + 's')}" for obj, n in counts.items())
        + f" pulled from {adapter.name} in {adapter.calls} API calls"
    )


@crm.command("setup")
@click.pass_context
def crm_setup(ctx: click.Context) -> None:
    """Create the fields enrich writes, or print an exact checklist for an admin."""
    settings = settings_from(ctx)
    adapter = make_adapter(settings)
    report = (setup_salesforce if settings.crm == "salesforce" else setup_hubspot)(adapter)
    for name in report.created:
        click.echo(f"created   {name}")
    for name in report.existing:
        click.echo(f"exists    {name}")
    for line in report.notices:
        click.echo(f"\nNote: {line}")
    if report.checklist:
        click.echo("\nCould not create these; ask an admin to create them exactly so:", err=True)
        for line in report.checklist:
            click.echo(f"  - {line}", err=True)
        ctx.exit(1)


@cli.group("sync", invoke_without_command=True)
@click.pass_context
def sync_group(ctx: click.Context) -> None:
    """Write pending findings to the CRM once (the worker does this continuously)."""
    if ctx.invoked_subcommand is not None:
        return

    if settings_from(ctx).crm == "none":
        raise click.ClickException(
            "no CRM configured: set CRM=salesforce or CRM=hubspot (see README)"
        )
    use_runtime(ctx, embedded_worker=False)
    stats = sync_pending()
    click.echo(" ".join(f"{k}={v}" for k, v in stats.items()) or "nothing to write")
    if stats.get("auth_failed"):
        raise click.ClickException(
            "the CRM refused enrich's credentials: fix them, then "
            "replay the crm_auth dead letter (enrich sync replay ID)"
        )


@sync_group.command("replay")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "replay_all", is_flag=True, help="replay every dead letter not yet replayed")
@click.pass_context
def sync_replay(ctx: click.Context, ids: tuple[int, ...], replay_all: bool) -> None:
    """Replay dead letters (by id, or --all): they become pending work again."""
    if not ids and not replay_all:
        raise click.UsageError("give dead-letter ids, or --all")
    rt = use_runtime(ctx, embedded_worker=False)
    count = replay(rt.engine, None if replay_all else list(ids))
    click.echo(f"{count} dead letters re-queued; `enrich sync` or a worker will run them")


# --- scores -----------------------------------------------------------------------------------
@cli.command("score")
@click.option(
    "--recompute",
    is_flag=True,
    required=True,
    help="rebuild every person's score, interests and account roll-up",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="processes scoring at once [default: one per core]",
)
@click.pass_context
def score_cmd(ctx: click.Context, recompute: bool, workers: int | None) -> None:
    """Rebuild scores with the active rules (after a rule or taxonomy change); people whose
    shown score changed are queued for a CRM write."""
    from tqdm import tqdm

    rt = use_runtime(ctx, embedded_worker=False)
    with tqdm(unit=" people", disable=not sys.stderr.isatty(), desc="scoring") as bar:
        result = recompute_all(
            rt.engine, progress=bar.update, workers=workers or os.cpu_count() or 1
        )
    click.echo(
        f"{result['people']} people rescored; {result['changed']} changed and queued "
        "for the CRM (`enrich sync` or a worker writes them)"
    )


# --- retention --------------------------------------------------------------------------------
@cli.command("purge")
@click.option("--dry-run", is_flag=True, help="count what would be purged, delete nothing")
@click.pass_context
def purge_cmd(ctx: click.Context, dry_run: bool) -> None:
    """Purge raw deliveries and touchpoints past retention (the scheduler does this daily).

    Ages come from ENRICH_RAW_EVENT_RETENTION_DAYS and ENRICH_TOUCHPOINT_RETENTION_DAYS
    (0 keeps forever). Unfinished work is kept: pending or failed deliveries, touchpoints whose
    CRM activity is not written yet. People who lose touchpoints are rescored and synced.
    """
    rt = use_runtime(ctx, embedded_worker=False)
    report = purge(
        rt.engine,
        raw_event_days=rt.settings.raw_event_retention_days,
        touchpoint_days=rt.settings.touchpoint_retention_days,
        dry_run=dry_run,
        actor="cli",
    )
    click.echo(("would purge " if dry_run else "") + report.summary())


# --- demo ---------------------------------------------------------------------------------------
@cli.command()
@click.option("--port", type=int, default=None, help="enrich port [default: PORT or 8000]")
@click.option(
    "--crm",
    "crm_name",
    type=click.Choice(["salesforce", "hubspot"]),
    default="salesforce",
    show_default=True,
)
@click.option(
    "--salesforce-port",
    type=int,
    default=8766,
    show_default=True,
    help="the sandbox's Salesforce port",
)
@click.option(
    "--hubspot-port", type=int, default=8765, show_default=True, help="the sandbox's HubSpot port"
)
@click.pass_context
def demo(
    ctx: click.Context, port: int | None, crm_name: str, salesforce_port: int, hubspot_port: int
) -> None:
    """Everything on the embedded default: CRM sandbox, enrich, its worker (what `make run`
    runs), with a week of sample history and a console user. SIGTERM stops it like Ctrl-C."""
    run_demo(
        settings_from(ctx), port=port, crm=crm_name, sf_port=salesforce_port, hs_port=hubspot_port
    )


for command, name in (
    (sandbox, "sandbox"),
    (match, "match"),
    (events, "events"),
    (import_, "import"),
    (users, "users"),
    (leads, "leads"),
):
    cli.add_command(command, name)


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    cli(prog_name="enrich")


if __name__ == "__main__":
    main()
