"""`enrich sandbox`: run the loopback Salesforce + HubSpot sandbox in the foreground.

The lead registers `sandbox` into the main `enrich` CLI; it also runs on its own with
`python -m enrich.sandbox.cli`.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from enrich.sandbox.faults import Faults, Limits
from enrich.sandbox.seed import SAMPLE_SEED
from enrich.sandbox.server import Sandbox


def describe(sandbox: Sandbox) -> str:
    """What a person needs to point enrich at a running sandbox."""
    lines = [
        f"Salesforce (TLS): {sandbox.salesforce_url}   session id: {sandbox.session_id}",
        f"HubSpot:          {sandbox.hubspot_url}   access token: {sandbox.access_token}",
        f"CA certificate:   {sandbox.ca_path}",
        "",
        "# point enrich at the Salesforce side:",
        *(f"export {k}={shlex.quote(v)}" for k, v in sandbox.env("salesforce").items()),
        f"export REQUESTS_CA_BUNDLE={shlex.quote(str(sandbox.ca_path))}",
        "",
        "# or at the HubSpot side:",
        *(f"export {k}={shlex.quote(v)}" for k, v in sandbox.env("hubspot").items()),
        "",
        f"Control: POST {sandbox.hubspot_url}/_sandbox/faults  GET /_sandbox/log  "
        "GET /_sandbox/state  (on either listener)",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


@click.command("sandbox")
@click.option(
    "--seed",
    "seed",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=SAMPLE_SEED,
    show_default=True,
    help="Seed file (JSON, or CSV of contacts).",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Keep the CRM state in this file across restarts.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--sf-port", type=int, default=8766, show_default=True, help="Salesforce (TLS) port.")
@click.option("--hs-port", type=int, default=8765, show_default=True, help="HubSpot port.")
@click.option(
    "--daily-limit",
    type=click.IntRange(min=1),
    default=Limits.sf_daily,
    show_default=True,
    help="Salesforce daily API allocation.",
)
@click.option(
    "--fault-429",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Probability of a throttling answer (SF 403 REQUEST_LIMIT_EXCEEDED, HubSpot 429).",
)
@click.option(
    "--fault-503", type=click.FloatRange(0, 1), default=0.0, help="Probability of a 503 answer."
)
@click.option(
    "--fault-late",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Probability that a call is carried out but answered --late-ms later "
    "(a client timeout whose write landed).",
)
@click.option("--late-ms", type=click.IntRange(min=0), default=2000, show_default=True)
@click.option(
    "--delay-ms",
    type=click.IntRange(min=0),
    default=0,
    help="Delay every answer by this many milliseconds.",
)
@click.option(
    "--session-id",
    envvar="SALESFORCE_SESSION_ID",
    default=None,
    help="Salesforce session id to accept (default: random, or kept in --state).",
)
@click.option(
    "--access-token",
    envvar="HUBSPOT_ACCESS_TOKEN",
    default=None,
    help="HubSpot token to accept (default: random, or kept in --state).",
)
def sandbox(
    seed: Path,
    state_path: Path | None,
    host: str,
    sf_port: int,
    hs_port: int,
    daily_limit: int,
    fault_429: float,
    fault_503: float,
    fault_late: float,
    late_ms: int,
    delay_ms: int,
    session_id: str | None,
    access_token: str | None,
) -> None:
    """Run a local Salesforce + HubSpot sandbox for enrich (no credentials needed)."""
    box = Sandbox(
        seed=seed,
        state_path=state_path,
        host=host,
        sf_port=sf_port,
        hs_port=hs_port,
        limits=Limits(sf_daily=daily_limit),
        faults=Faults(
            rate_429=fault_429,
            rate_503=fault_503,
            rate_late=fault_late,
            late_ms=late_ms,
            delay_ms=delay_ms,
        ),
        session_id=session_id,
        access_token=access_token,
    )
    try:
        box.start()
    except OSError as exc:
        raise click.ClickException(
            f"could not listen on {host} ({sf_port}/{hs_port}): {exc}; "
            "choose other ports with --sf-port/--hs-port"
        ) from exc
    click.echo(describe(box))
    box.serve_forever()


if __name__ == "__main__":
    sandbox()
