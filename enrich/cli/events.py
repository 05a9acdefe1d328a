"""`enrich events ...`: send signed samples, replay stored deliveries."""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import update
from sqlmodel import col

from enrich.cli.context import settings_from, use_runtime
from enrich.config import Settings
from enrich.db import session_scope
from enrich.leads import samples as lead_samples
from enrich.models import EventStatus, RawEvent
from enrich.normalize import canonical_kind
from enrich.pipeline import process_raw_event
from enrich.samples import platform_deliveries, standard_deliveries
from webhooks.standard import touchpoint_validator
from webhooks.store import store_raw_event


@click.group()
def events() -> None:
    """Stored webhook deliveries: send samples, replay."""


SECRET_VARS = {
    "x": "X_CONSUMER_SECRET",
    "meta": "META_APP_SECRET",
    "linkedin": "LINKEDIN_CLIENT_SECRET",
}


@events.command("send-sample")
@click.option("--to", "url", default=None, help="base URL of enrich [default: http://HOST:PORT]")
@click.option(
    "--platform",
    type=click.Choice(["x", "meta", "linkedin", "standard", "all", "leads"]),
    default="all",
    show_default=True,
    help="whose format and signature to send (leads: a Meta and a LinkedIn lead-form "
    "delivery naming the platform sandbox's sample responses; not part of all)",
)
@click.option(
    "--deleted",
    is_flag=True,
    help="with --platform leads: LinkedIn's DELETED for the sample response",
)
@click.option(
    "--source",
    default="demo",
    show_default=True,
    help="Standard Webhooks source name (its secret must be in STANDARD_WEBHOOK_SECRETS)",
)
@click.pass_context
def send_sample(
    ctx: click.Context, url: str | None, platform: str, source: str, deleted: bool
) -> None:
    """Send correctly signed sample deliveries, as each platform would sign them."""
    import requests

    settings = settings_from(ctx)
    base = (url or f"http://{settings.host}:{settings.port}").rstrip("/")
    wanted = ["x", "meta", "linkedin", "standard"] if platform == "all" else [platform]
    if platform == "leads":
        plan, missing = lead_samples.deliveries(settings, deleted=deleted)
    else:
        plan, missing = _sample_plan(settings, wanted, source)
    for how_to_fix in missing:
        click.echo(f"skipped: {how_to_fix}", err=True)
    if not plan:
        raise click.ClickException("nothing to send: " + "; ".join(missing))
    failed = 0
    for path, body, headers in plan:
        try:
            answer = requests.post(f"{base}{path}", data=body, headers=headers, timeout=10)
        except requests.RequestException as exc:
            raise click.ClickException(f"could not reach {base}: {exc}") from exc
        failed += not answer.ok
        click.echo(f"POST {path} -> {answer.status_code} {answer.text.strip()}")
    if failed or (missing and platform != "all"):
        ctx.exit(1)


def _sample_plan(
    settings: Settings, wanted: list[str], source: str
) -> tuple[list[tuple[str, bytes, dict[str, str]]], list[str]]:
    plan: list[tuple[str, bytes, dict[str, str]]] = []
    missing: list[str] = []
    for platform in wanted:
        if platform == "standard":
            secrets = settings.standard_secrets().get(source)
            if not secrets:
                missing.append(
                    f"no Standard Webhooks secret for source {source!r}: set "
                    f"STANDARD_WEBHOOK_SECRETS={source}=whsec_<base64>"
                )
                continue
            plan += [
                (f"/webhooks/standard/{source}", body, headers)
                for body, headers in standard_deliveries(secrets[0])
            ]
            continue
        secrets = settings.platform_secrets(platform)
        if not secrets:
            missing.append(f"no {platform} secret: set {SECRET_VARS[platform]}")
            continue
        # Land on a listed account when there is one, so the samples show its CRM-facing name.
        ids: dict[str, str] = {
            a.platform: a.id for a in reversed(settings.social_accounts()) if not a.secret
        }
        plan += platform_deliveries(platform, secrets[0], ids)
    return plan, missing


@events.command("replay")
@click.option("--source", default=None, help="only this source (x, meta, linkedin, standard:NAME)")
@click.option("--since", type=click.DateTime(), default=None, help="received at or after (UTC)")
@click.option("--until", type=click.DateTime(), default=None, help="received before (UTC)")
@click.pass_context
def replay(ctx: click.Context, source: str | None, since: Any, until: Any) -> None:
    """Re-process stored raw events (e.g. after a normaliser fix). Touchpoints stay unique."""
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


# --- import -------------------------------------------------------------------------------------
IMPORT_COLUMNS = (
    "platform",
    "kind",
    "occurred_at",
    "actor_id",
    "actor_handle",
    "actor_name",
    "actor_email",
    "actor_bio",
    "actor_location",
    "actor_url",
    "post_id",
    "post_url",
    "post_text",
    "text",
    "id",
)
REQUIRED_COLUMNS = ("platform", "actor_id")


class RowError(ValueError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"column {column}: {message}")


@click.group("import")
def import_() -> None:
    """Import touchpoints from files."""


def row_message(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row → enrich's touchpoint message (the Standard Webhooks format), or RowError
    naming the column."""
    value = {k: (v or "").strip() for k, v in row.items() if k}
    for column in REQUIRED_COLUMNS:
        if not value.get(column):
            raise RowError(column, "required, empty")
    try:
        kind = canonical_kind(value.get("kind") or None)
    except ValueError as exc:
        raise RowError("kind", str(exc)) from exc
    if value.get("occurred_at"):
        try:
            _parse_iso(value["occurred_at"])
        except ValueError as exc:
            raise RowError(
                "occurred_at",
                f"{value['occurred_at']!r} is not an ISO-8601 date-time like 2026-03-03T10:15:00Z",
            ) from exc
    actor = {
        name: value[f"actor_{name}"]
        for name in ("id", "handle", "name", "email", "bio", "location", "url")
        if value.get(f"actor_{name}")
    }
    post = {
        name: value[f"post_{name}"] for name in ("id", "url", "text") if value.get(f"post_{name}")
    }
    data: dict[str, Any] = {"platform": value["platform"].lower(), "kind": kind, "actor": actor}
    for name, content in (
        ("occurred_at", value.get("occurred_at")),
        ("text", value.get("text")),
        ("id", value.get("id")),
        ("post", post),
    ):
        if content:
            data[name] = content
    message = {"type": "touchpoint.created", "data": data}
    errors = sorted(touchpoint_validator().iter_errors(message), key=lambda e: list(e.path))
    if errors:
        path = [str(p) for p in errors[0].absolute_path][1:]  # drop "data"
        column = "_".join(path) if path else "row"
        raise RowError(column, errors[0].message[:200])
    return message


def _parse_iso(text: str) -> Any:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("no time zone")
    return parsed


@import_.command("touchpoints")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_touchpoints(ctx: click.Context, file: Path) -> None:
    """Import touchpoints from a CSV file (UTF-8, header row).

    Columns: platform, kind, occurred_at, actor_id, actor_handle, actor_name, actor_email,
    actor_bio, actor_location, actor_url, post_id, post_url, post_text, text, id.
    platform and actor_id are required; kind is one of follow, unfollow, like, comment, reply,
    share, quote, mention, dm (default mention); occurred_at is ISO-8601 with a zone. Rows are
    stored as raw events of source `import:<file name>` and processed like webhook deliveries;
    a row's `id` (or, without one, its content) identifies it, so re-importing adds nothing.
    Bad rows are reported with their line and column; the good ones are imported.
    """
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in reader.fieldnames or []]
            rows = [(reader.line_num, row) for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise click.ClickException(f"{file}: not a UTF-8 CSV file ({exc})") from exc
    unknown = [c for c in columns if c not in IMPORT_COLUMNS]
    absent = [c for c in REQUIRED_COLUMNS if c not in columns]
    if unknown or absent:
        raise click.ClickException(
            f"{file}: "
            + "; ".join(
                filter(
                    None,
                    [
                        f"unknown columns {', '.join(unknown)}" if unknown else "",
                        f"missing columns {', '.join(absent)}" if absent else "",
                    ],
                )
            )
            + f" (expected: {', '.join(IMPORT_COLUMNS)})"
        )
    source = f"import:{file.name}"[:80]
    rt = use_runtime(ctx, embedded_worker=False)
    errors: list[str] = []
    created = duplicates = 0
    with click.progressbar(rows, label=f"importing {file.name}", file=sys.stderr) as bar:
        for line, row in bar:
            row = {(k or "").strip(): v for k, v in row.items()}
            if None in row or "" in row:
                errors.append(f"line {line}: more values than columns")
                continue
            try:
                message = row_message(row)
            except RowError as exc:
                errors.append(f"line {line}: {exc}")
                continue
            body = json.dumps(message, sort_keys=True).encode()
            delivery_id = message["data"].get("id") or hashlib.sha256(body).hexdigest()[:40]
            raw_id, new = store_raw_event(
                rt.engine, source=source, delivery_id=delivery_id, body=body, headers={}
            )
            if new:
                process_raw_event(raw_id)
                created += 1
            else:
                duplicates += 1
    for message_line in errors:
        click.echo(f"{file.name}: {message_line}", err=True)
    click.echo(f"{created} rows imported, {duplicates} already imported, {len(errors)} bad rows")
    if errors:
        ctx.exit(1)
