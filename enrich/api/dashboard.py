"""GET /api/v1/dashboard: the numbers behind the console's dashboard."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from enrich.api.common import ApiError, engine, requires, settings
from enrich.models import Role
from enrich.services import stats


def register(bp: Blueprint) -> None:
    @bp.get("/dashboard")
    @requires(Role.VIEWER, "dashboard")
    def dashboard() -> ResponseReturnValue:
        raw = request.args.get("days", "14")
        if not raw.isdigit() or not 1 <= int(raw) <= 90:
            raise ApiError(400, "bad_request", "days must be an integer from 1 to 90")
        return jsonify(stats.dashboard(engine(), settings(), days=int(raw)))
