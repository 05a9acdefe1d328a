"""Privacy: find a person, export what enrich holds as JSON, erase with a typed confirmation."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue

from enrich.console.auth import login_required
from enrich.console.web import engine, int_arg, page, settings
from enrich.db import session_scope
from enrich.errors import InputError
from enrich.models import AuditLog, Role
from enrich.services import people, privacy
from enrich.services.errors import Invalid


def register(bp: Blueprint) -> None:
    @bp.get("/privacy", endpoint="privacy")
    @login_required(Role.REVOPS)
    def privacy_page() -> ResponseReturnValue:
        record_id = int_arg(request.args.get("record_id"), 0, 0, 2**62)
        q = request.args.get("q", "")[:200]
        rows = people.search(engine(), q=q, limit=10)[0] if q else []
        found = people.person(engine(), settings(), record_id) if record_id else None
        phrase = privacy.confirmation_phrase(engine(), record_id, []) if found is not None else None
        return page("privacy.html", q=q, rows=rows, person=found, phrase=phrase)

    @bp.post("/privacy/export")
    @login_required(Role.REVOPS)
    def privacy_export() -> ResponseReturnValue:
        record_id = int_arg(request.form.get("record_id"), 0, 0, 2**62)
        try:
            data = privacy.export(engine(), record_id, [])
        except InputError as exc:
            flash(str(exc), "error")
            return redirect(url_for("console.privacy"))
        with session_scope(engine()) as session:
            session.add(
                AuditLog(
                    actor=g.principal.name, action="privacy.export", target=f"record:{record_id}"
                )
            )
        return Response(
            json.dumps(data, indent=2, ensure_ascii=False),
            mimetype="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="enrich-person-{record_id}.json"'
            },
        )

    @bp.post("/privacy/erase")
    @login_required(Role.REVOPS)
    def privacy_erase() -> ResponseReturnValue:
        record_id = int_arg(request.form.get("record_id"), 0, 0, 2**62)
        try:
            counts = privacy.erase(
                engine(),
                settings(),
                record_id,
                [],
                request.form.get("confirm", ""),
                g.principal.name,
            )
        except Invalid as exc:
            flash(str(exc), "error")
            return redirect(url_for("console.privacy", record_id=record_id))
        except InputError as exc:
            flash(str(exc), "error")
            return redirect(url_for("console.privacy"))
        flash(
            "Erased: "
            + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
            + ". Later deliveries about this person are dropped at ingest."
        )
        return redirect(url_for("console.privacy"))
