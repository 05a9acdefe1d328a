"""Sign in, sign out, and API tokens (admins)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from enrich.console.auth import (
    SignInRefused,
    console_principal,
    end_sessions,
    login_required,
    safe_next,
    session_user,
    start_session,
)
from enrich.console.auth import sign_in as check_sign_in
from enrich.console.web import engine, page
from enrich.errors import InputError
from enrich.models import Role
from enrich.services import tokens


def register(bp: Blueprint) -> None:
    @bp.route("/login", methods=["GET", "POST"])
    def login() -> ResponseReturnValue:
        target = safe_next(request.values.get("next"))
        if request.method == "GET":
            if console_principal(engine()) is not None:
                return redirect(target)
            return page("login.html", next=target, email="")
        email = request.form.get("email", "")[:320]
        password = request.form.get("password", "")[:1000]
        try:
            user = check_sign_in(engine(), email, password, request.remote_addr or "")
        except SignInRefused as exc:
            return page("login.html", exc.status, next=target, email=email, error=str(exc))
        start_session(user)
        return redirect(target)

    @bp.post("/logout")
    def logout() -> ResponseReturnValue:
        user = session_user(engine())
        if user is not None and user.id is not None:
            end_sessions(engine(), user.id)  # a copy of the cookie must not outlive this
        session.clear()
        return redirect(url_for("console.login"))

    @bp.route("/tokens", methods=["GET", "POST"])
    @login_required(Role.ADMIN)
    def api_tokens() -> ResponseReturnValue:
        secret = None
        if request.method == "POST":
            if request.form.get("revoke"):
                try:
                    tokens.revoke(engine(), int(request.form["revoke"]), g.principal.name)
                    flash("Token revoked.")
                except (ValueError, InputError) as exc:
                    flash(f"Could not revoke: {exc}", "error")
                return redirect(url_for("console.api_tokens"))
            try:
                secret, _ = tokens.create(
                    engine(),
                    name=request.form.get("name", ""),
                    role=request.form.get("role"),
                    scopes=request.form.getlist("scopes"),
                    actor=g.principal.name,
                )
            except InputError as exc:
                flash(str(exc), "error")
        return page(
            "tokens.html",
            tokens=tokens.listing(engine()),
            secret=secret,
            scopes=tokens.SCOPES,
            roles=Role.ALL,
        )
