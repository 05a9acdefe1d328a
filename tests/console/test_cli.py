"""`enrich users create`: the first admin is made from the command line."""

from __future__ import annotations

from click.testing import CliRunner
from sqlmodel import Session, create_engine, select

from enrich.cli import cli
from enrich.db import upgrade
from enrich.models import User


def test_create_an_admin_with_the_password_on_stdin(database_url: str) -> None:
    upgrade(database_url)
    env = {"DATABASE_URL": database_url, "ENRICH_ENV": "test"}
    runner = CliRunner()
    args = [
        "users",
        "create",
        "--email",
        "Admin@Example.com",
        "--role",
        "admin",
        "--password-stdin",
    ]
    result = runner.invoke(cli, args, input="a long enough password\n", env=env)
    assert result.exit_code == 0, result.output
    assert "created admin admin@example.com" in result.output
    again = runner.invoke(cli, args, input="a long enough password\n", env=env)
    assert again.exit_code == 1 and "already exists" in again.output
    short = runner.invoke(
        cli,
        ["users", "create", "--email", "b@example.com", "--password-stdin"],
        input="short\n",
        env=env,
    )
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    engine = create_engine(database_url)
    with Session(engine) as session:
        [user] = session.exec(select(User)).all()
        assert user.role == "admin" and user.password_hash.startswith("$argon2id$")
    engine.dispose()
    listed = runner.invoke(cli, ["users", "list"], env=env)
    assert "admin@example.com\tadmin" in listed.output
