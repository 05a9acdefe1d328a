"""Sync: CRM connection, pending writes and errors, dead letters with replay."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlmodel import Session

from enrich.console.auth import login_required
from enrich.console.web import engine, int_arg, page, settings
from enrich.errors import InputError
from enrich.models import Role
from enrich.services import stats, syncview


def register(bp: Blueprint) -> None:
    @bp.get("/sync", endpoint="sync")
    @login_required()
    def sync_page() -> ResponseReturnValue:
        before = int_arg(request.args.get("cursor"), 0, 0, 2**62) or None
        letters, cursor = syncview.dead_letters(engine(), limit=50, before=before)
        with Session(engine()) as session:
            health = stats.sync_health(session, settings())
        return page(
            "sync.html",
            health=health,
            letters=letters,
            cursor=cursor,
            errors=syncview.recent_errors(engine()),
            replays=syncview.recent_audit(engine(), "deadletters."),
        )

    @bp.post("/sync/replay")
    @login_required(Role.REVOPS)
    def sync_replay() -> ResponseReturnValue:
        try:
            if request.form.get("all"):
                count = syncview.replay_letters(engine(), None, g.principal.name)
            else:
                ids = [int_arg(request.form.get("id"), 0, 0, 2**62)]
                count = syncview.replay_letters(engine(), ids, g.principal.name)
            flash(
                f"{count} dead letter{'s' if count != 1 else ''} re-queued; "
                "the worker picks them up on its next pass."
            )
        except InputError as exc:
            flash(str(exc), "error")
        return redirect(url_for("console.sync"))
