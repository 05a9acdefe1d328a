"""`enrich leads ...`: the lead-form catch-up by hand, and the platform subscriptions."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from enrich.cli.context import settings_from, use_runtime
from enrich.leads.catchup import catch_up, cursors
from enrich.leads.clients import Readers
from enrich.leads.jobs import work_leads
from enrich.leads.subscribe import subscribe


@click.group()
def leads() -> None:
    """Lead-gen form responses (Meta Lead Ads, LinkedIn Lead Gen Forms)."""


@leads.command("catch-up")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="list leads submitted since this UTC date instead of each scope's watermark",
)
@click.pass_context
def catch_up_command(ctx: click.Context, since: datetime | None) -> None:
    """List the leads of every form and owner configured (LEAD_FORMS_META_FORMS,
    LEAD_FORMS_LINKEDIN_OWNERS) and read those no webhook delivered. Parked scopes (a refused
    token or permission) are tried again: run this once the token is fixed."""
    rt = use_runtime(ctx, embedded_worker=False)
    if not rt.settings.catchup_scopes():
        raise click.ClickException(
            "no forms or owners to read: set LEAD_FORMS_META_FORMS=<form id>=<page id> "
            "and/or LEAD_FORMS_LINKEDIN_OWNERS=urn:li:organization:<id>"
        )
    readers = Readers(rt.settings)
    try:
        stats = catch_up(
            rt.engine,
            rt.settings,
            readers,
            since=since.replace(tzinfo=UTC) if since else None,
            retry_parked=True,
        )
    finally:
        readers.http.close()
    for cursor in cursors(rt.engine):
        state = (
            cursor.status if cursor.status != "ok" else f"listed {cursor.found}, new {cursor.added}"
        )
        click.echo(f"{cursor.source:9} {cursor.scope:45} {state}")
        if cursor.error:
            click.echo(f"          {cursor.error}", err=True)
    click.echo(f"{stats.get('added', 0)} lead(s) no delivery had named: reading them now")
    if stats.get("added"):
        read = work_leads()
        click.echo(", ".join(f"{n} {k}" for k, n in sorted(read.items())) or "nothing read")
    if any(c.status != "ok" for c in cursors(rt.engine)):
        ctx.exit(1)


@leads.command("subscribe")
@click.pass_context
def subscribe_command(ctx: click.Context) -> None:
    """Have each Page of LEAD_FORMS_META_FORMS install the app for `leadgen`, and subscribe
    PUBLIC_URL/webhooks/linkedin to each owner of LEAD_FORMS_LINKEDIN_OWNERS. Safe to repeat:
    what exists is left as it is."""
    settings = settings_from(ctx)
    if not settings.catchup_scopes():
        raise click.ClickException(
            "nothing to subscribe: set LEAD_FORMS_META_FORMS and/or LEAD_FORMS_LINKEDIN_OWNERS"
        )
    readers = Readers(settings)
    try:
        outcomes = subscribe(settings, readers)
    finally:
        readers.http.close()
    for outcome in outcomes:
        click.echo(f"{outcome.state:17} {outcome.target}")
        if outcome.detail:
            click.echo(f"                  {outcome.detail}", err=True)
    if any(o.state not in ("subscribed", "exists") for o in outcomes):
        ctx.exit(1)
