"""`enrich events send-sample` against a real HTTP server, and `enrich import touchpoints`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from enrich.cli import cli
from tests.conftest import (
    LINKEDIN_SECRET,
    META_SECRET,
    META_VERIFY_TOKEN,
    STANDARD_SECRET,
    X_SECRET,
)
from tests.webhooks.support import processed, touchpoints


def run(database_url: str, *args: str, **env: str) -> Result:
    base = {"DATABASE_URL": database_url, "ENRICH_ENV": "test", "ENRICH_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(cli, list(args), env={**base, **env}, catch_exceptions=False)


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(5)


def test_send_sample_delivers_signed_samples_of_every_platform(
    server: str, database_url: str
) -> None:
    result = run(
        database_url,
        "events",
        "send-sample",
        "--to",
        server,
        "--platform",
        "all",
        "--source",
        "acme",
        X_CONSUMER_SECRET=X_SECRET,
        META_APP_SECRET=META_SECRET,
        META_VERIFY_TOKEN=META_VERIFY_TOKEN,
        LINKEDIN_CLIENT_SECRET=LINKEDIN_SECRET,
        STANDARD_WEBHOOK_SECRETS=f"acme={STANDARD_SECRET}",
    )
    assert result.exit_code == 0, result.output
    paths = [line.split(" -> ")[0] for line in result.output.splitlines()]
    assert {
        "POST /webhooks/x",
        "POST /webhooks/meta",
        "POST /webhooks/linkedin",
        "POST /webhooks/standard/acme",
    } <= set(paths)
    assert all(" -> 200 " in line for line in result.output.splitlines())
    raws = processed()
    assert {r.source for r in raws} == {"x", "meta", "linkedin", "standard:acme"}
    assert {tp.platform for tp in touchpoints()} >= {"x", "instagram", "facebook", "linkedin"}


def test_send_sample_without_a_secret_names_the_env_var(database_url: str) -> None:
    result = CliRunner().invoke(
        cli,
        ["events", "send-sample", "--platform", "meta"],
        env={"DATABASE_URL": database_url, "META_APP_SECRET": ""},
    )
    assert result.exit_code != 0
    assert "set META_APP_SECRET" in result.output


CSV_HEADER = (
    "platform,kind,occurred_at,actor_id,actor_handle,actor_name,actor_email,actor_bio,"
    "actor_location,actor_url,post_id,post_url,post_text,text,id\n"
)


def count(database_url: str, sql: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        value = int(conn.execute(text(sql)).scalar_one())
    engine.dispose()
    return value


def test_import_csv_is_idempotent_and_reports_bad_rows(
    tmp_path: Path, database_url: str, migrated_template: Path
) -> None:
    csv_file = tmp_path / "event-leads.csv"
    csv_file.write_text(
        CSV_HEADER
        + "linkedin,comment,2026-03-03T10:15:00Z,li-1,dana,Dana Whitfield,dana@northwind.example,"
        'CISO,Berlin,,p1,,Cloud security,"Great talk, thanks",row-1\n'
        + "x,like,,x-2,jdoe,Jane Doe,,,,,,,,,\n"
        + "x,poke,,x-3,,,,,,,,,,,\n"
        + "x,like,yesterday,x-4,,,,,,,,,,,\n"
        + "linkedin,comment,,,,,,,,,,,,,\n",
        encoding="utf-8",
    )
    first = run(database_url, "import", "touchpoints", str(csv_file))
    assert first.exit_code == 1
    assert "2 rows imported, 0 already imported, 3 bad rows" in first.output
    assert "line 4: column kind: unknown touchpoint kind 'poke'" in first.output
    assert "line 5: column occurred_at:" in first.output
    assert "line 6: column actor_id: required" in first.output
    again = run(database_url, "import", "touchpoints", str(csv_file))
    assert "0 rows imported, 2 already imported" in again.output
    assert count(database_url, "select count(*) from touchpoint") == 2
    assert (
        count(
            database_url, "select count(*) from raw_event where source = 'import:event-leads.csv'"
        )
        == 2
    )


def test_import_refuses_unknown_columns(
    tmp_path: Path, database_url: str, migrated_template: Path
) -> None:
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text("platform,actor_id,shoe_size\nx,1,42\n", encoding="utf-8")
    result = run(database_url, "import", "touchpoints", str(csv_file))
    assert result.exit_code != 0 and "unknown columns shoe_size" in result.output
