"""Lead-form responses no CRM person matched: list them; link one to a person, create its
CRM Lead now, or dismiss it (enrich/services/lead_review.py)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from enrich.api.common import (
    actor,
    body,
    cursor_arg,
    engine,
    int_field,
    limit_arg,
    page,
    requires,
    settings,
)
from enrich.models import Role
from enrich.services import lead_review


def register(bp: Blueprint) -> None:
    @bp.get("/leads/review")
    @requires(Role.VIEWER, "review")
    def leads_review() -> ResponseReturnValue:
        items, cursor = lead_review.queue(engine(), limit=limit_arg(20), after=cursor_arg() or 0)
        return page(items, cursor)

    @bp.post("/leads/<id:lead_form_id>/link")
    @requires(Role.REVOPS, "review")
    def leads_link(lead_form_id: int) -> ResponseReturnValue:
        record_id = int_field(body(), "record_id")
        return jsonify(lead_review.link(engine(), lead_form_id, record_id, actor()))

    @bp.post("/leads/<id:lead_form_id>/create")
    @requires(Role.REVOPS, "review")
    def leads_create(lead_form_id: int) -> ResponseReturnValue:
        return jsonify(lead_review.create(engine(), settings(), lead_form_id, actor()))

    @bp.post("/leads/<id:lead_form_id>/dismiss")
    @requires(Role.REVOPS, "review")
    def leads_dismiss(lead_form_id: int) -> ResponseReturnValue:
        return jsonify(lead_review.dismiss(engine(), lead_form_id, actor()))
