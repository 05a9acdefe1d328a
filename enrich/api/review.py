"""The review queue: list pending matches; confirm, reject, or relink to another record."""

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
    str_arg,
)
from enrich.models import Role
from enrich.services import review


def register(bp: Blueprint) -> None:
    @bp.get("/review")
    @requires(Role.VIEWER, "review")
    def review_queue() -> ResponseReturnValue:
        items, cursor = review.queue(
            engine(), limit=limit_arg(20), after=cursor_arg() or 0, platform=str_arg("platform", 20)
        )
        return page(items, cursor)

    @bp.post("/review/<id:link_id>/confirm")
    @requires(Role.REVOPS, "review")
    def review_confirm(link_id: int) -> ResponseReturnValue:
        return jsonify(review.confirm(engine(), link_id, actor()))

    @bp.post("/review/<id:link_id>/reject")
    @requires(Role.REVOPS, "review")
    def review_reject(link_id: int) -> ResponseReturnValue:
        return jsonify(review.reject(engine(), link_id, actor()))

    @bp.post("/review/<id:link_id>/relink")
    @requires(Role.REVOPS, "review")
    def review_relink(link_id: int) -> ResponseReturnValue:
        record_id = int_field(body(), "record_id")
        return jsonify(review.relink(engine(), link_id, record_id, actor()))
