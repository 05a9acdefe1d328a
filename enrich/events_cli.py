"""`enrich events ...`: send signed samples, replay stored deliveries."""

from __future__ import annotations

import sys
from typing import Any

import click

from enrich.cli import settings_from, use_runtime


@click.group()
def events() -> None:
    """Stored webhook deliveries: send samples, replay."""


@events.command("send-sample")
@click.option("--to", "url", default=None, help="base URL of enrich [default: http://HOST:PORT]")
@click.option("--source", default="demo", show_default=True,
              help="Standard Webhooks source name (its secret must be in STANDARD_WEBHOOK_SECRETS)")
@click.pass_context
def send_sample(ctx: click.Context, url: str | None, source: str) -> None:
    """Send correctly signed sample deliveries."""
    import requests

    from enrich.samples import standard_deliveries

    settings = settings_from(ctx)
    url = (url or f"http://{settings.host}:{settings.port}").rstrip("/")
    secrets = settings.standard_secrets().get(source)
    if not secrets:
        raise click.ClickException(
            f"no secret for source {source!r}: set STANDARD_WEBHOOK_SECRETS={source}=whsec_...")
    for body, headers in standard_deliveries(secrets[0]):
        try:
            answer = requests.post(f"{url}/webhooks/standard/{source}", data=body, headers=headers,
                                   timeout=10)
        except requests.RequestException as exc:
            raise click.ClickException(f"could not reach {url}: {exc}") from exc
        click.echo(f"POST /webhooks/standard/{source} -> {answer.status_code} {answer.text.strip()}")


@events.command("replay")
@click.option("--source", default=None, help="only this source (x, meta, linkedin, standard:NAME)")
@click.option("--since", type=click.DateTime(), default=None, help="received at or after (UTC)")
@click.option("--until", type=click.DateTime(), default=None, help="received before (UTC)")
@click.pass_context
def replay(ctx: click.Context, source: str | None, since: Any, until: Any) -> None:
    """Re-process stored raw events (e.g. after a normaliser fix). Touchpoints stay unique."""
    from datetime import UTC

    from sqlalchemy import update
    from sqlmodel import col

    from enrich.db import session_scope
    from enrich.models import EventStatus, RawEvent
    from enrich.pipeline import process_raw_event

    rt = use_runtime(ctx, embedded_worker=False)
    stmt = update(RawEvent).values(status=EventStatus.PENDING, attempts=0)
    if source:
        stmt = stmt.where(col(RawEvent.source) == source)
    if since:
        stmt = stmt.where(col(RawEvent.received_at) >= since.replace(tzinfo=UTC))
    if until:
        stmt = stmt.where(col(RawEvent.received_at) < until.replace(tzinfo=UTC))
    with session_scope(rt.engine) as session:
        ids = [row[0] for row in session.execute(stmt.returning(col(RawEvent.id)))]
    with click.progressbar(ids, label="replaying", file=sys.stderr) as bar:
        for raw_id in bar:
            process_raw_event(raw_id)
    click.echo(f"replayed {len(ids)} raw events")
