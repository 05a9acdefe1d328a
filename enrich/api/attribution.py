"""GET /api/v1/attribution: the funnel and influenced pipeline / won revenue of a period;
GET /api/v1/attribution/credits: the same credited to platforms, posts or topics, paged."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from enrich.api.common import ApiError, cursor_arg, engine, limit_arg, page, requires, settings
from enrich.models import Role
from enrich.services import attribution


def _query() -> attribution.Query:
    args = {k: request.args.get(k) for k in ("start", "end", "model", "dimension")}
    if any(v is not None and len(v) > 20 for v in args.values()):
        raise ApiError(400, "bad_request", "start, end, model and dimension are short words")
    try:
        return attribution.query(
            args["start"],
            args["end"],
            args["model"],
            args["dimension"],
            settings().attribution_window_days,
        )
    except ValueError as exc:
        raise ApiError(400, "bad_request", str(exc)) from exc


def register(bp: Blueprint) -> None:
    @bp.get("/attribution")
    @requires(Role.VIEWER, "dashboard")
    def attribution_summary() -> ResponseReturnValue:
        q = _query()
        report, stages = attribution.run(engine(), q)
        return jsonify(attribution.as_json(q, report, stages))

    @bp.get("/attribution/credits")
    @requires(Role.VIEWER, "dashboard")
    def attribution_credits() -> ResponseReturnValue:
        q = _query()
        limit, offset = limit_arg(50), cursor_arg() or 0
        report, _ = attribution.run(engine(), q)
        rows = report.rows[offset : offset + limit]
        more = offset + limit < len(report.rows)
        return page([r.as_dict() for r in rows], offset + limit if more else None)
