"""Privacy: export everything enrich holds about a person, or erase it (typed confirmation)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from enrich.api.common import actor, body, engine, requires, settings
from enrich.db import session_scope
from enrich.models import AuditLog, Role
from enrich.services import privacy


def register(bp: Blueprint) -> None:
    @bp.post("/privacy/export")
    @requires(Role.REVOPS, "privacy")
    def privacy_export() -> ResponseReturnValue:
        data = body()
        exported = privacy.export(engine(), data.get("record_id"), data.get("profile_ids"))
        with session_scope(engine()) as session:
            session.add(
                AuditLog(
                    actor=actor(), action="privacy.export", target=f"record:{data.get('record_id')}"
                )
            )
        return jsonify(exported)

    @bp.post("/privacy/erase")
    @requires(Role.REVOPS, "privacy")
    def privacy_erase() -> ResponseReturnValue:
        data = body()
        counts = privacy.erase(
            engine(),
            settings(),
            data.get("record_id"),
            data.get("profile_ids"),
            data.get("confirm"),
            actor(),
        )
        return jsonify({"erased": counts})
