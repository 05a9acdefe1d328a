"""Undo a link in effect (auto or confirmed): unlink it, or move the profile to another record;
and read back the audit log of who decided what."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from enrich.api.common import (
    ApiError,
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
from enrich.services.errors import is_id


def _id_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not is_id(int(raw)):
        raise ApiError(400, "bad_request", f"{name} must be a positive integer")
    return int(raw)


def register(bp: Blueprint) -> None:
    @bp.post("/links/<id:link_id>/unlink")
    @requires(Role.REVOPS, "review")
    def link_unlink(link_id: int) -> ResponseReturnValue:
        return jsonify(review.unlink(engine(), link_id, actor()))

    @bp.post("/links/<id:link_id>/relink")
    @requires(Role.REVOPS, "review")
    def link_relink(link_id: int) -> ResponseReturnValue:
        record_id = int_field(body(), "record_id")
        return jsonify(review.move(engine(), link_id, record_id, actor()))

    @bp.get("/audit")
    @requires(Role.ADMIN, "tokens")  # who did what, tokens and erasures included: admins only
    def audit_log() -> ResponseReturnValue:
        items, cursor = review.audit(
            engine(),
            limit=limit_arg(50),
            before=cursor_arg(),
            action=str_arg("action", 100),
            profile_id=_id_arg("profile_id"),
            record_id=_id_arg("record_id"),
        )
        return page(items, cursor)
