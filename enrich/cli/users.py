"""`enrich users`: console users from the command line (the first admin is made here)."""

from __future__ import annotations

import sys

import click
from sqlmodel import Session, select

from enrich.cli.context import use_runtime
from enrich.console.auth import check_password_rules, create_user, set_password
from enrich.errors import InputError
from enrich.models import Role, User


@click.group("users")
def users() -> None:
    """Console users (sign-in to the web console)."""


@users.command("create")
@click.option("--email", required=True, help="the user's email (their sign-in name)")
@click.option("--role", type=click.Choice(Role.ALL), default=Role.VIEWER, show_default=True)
@click.option("--password-stdin", is_flag=True, help="read the password from stdin (scripts)")
@click.pass_context
def users_create(ctx: click.Context, email: str, role: str, password_stdin: bool) -> None:
    """Add a user; the password is prompted for (twice), or read from stdin."""

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        check_password_rules(password)
        rt = use_runtime(ctx, embedded_worker=False)
        user = create_user(rt.engine, email=email, password=password, role=role)
    except InputError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {user.role} {user.email}")


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """List console users."""

    rt = use_runtime(ctx, embedded_worker=False)
    with Session(rt.engine) as session:
        for user in session.exec(select(User).order_by(User.email)):
            state = "" if user.active else " (disabled)"
            click.echo(f"{user.email}\t{user.role}{state}")


@users.command("set-password")
@click.option("--email", required=True, help="the user whose password changes")
@click.option("--password-stdin", is_flag=True, help="read the password from stdin (scripts)")
@click.pass_context
def users_set_password(ctx: click.Context, email: str, password_stdin: bool) -> None:
    """Change a user's password; every session the user has open ends."""

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        rt = use_runtime(ctx, embedded_worker=False)
        set_password(rt.engine, email=email, password=password)
    except InputError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"password changed for {email.strip().lower()}; their sessions have ended")
