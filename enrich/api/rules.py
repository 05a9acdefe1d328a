"""Rule sets (match, topics, scoring): read, validate, preview, save/activate, roll back."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from enrich.api.common import ApiError, actor, body, engine, requires
from enrich.models import Role
from enrich.services import calibration, rules_preview, rulesets

KIND = "<any(match, topics, scoring):kind>"


def _text(data: dict[str, Any]) -> str:
    text = data.get("body")
    if not isinstance(text, str):
        raise ApiError(400, "bad_request", "body must be the rules YAML as a string")
    return text


def register(bp: Blueprint) -> None:
    @bp.get(f"/rules/{KIND}")
    @requires(Role.VIEWER, "rules")
    def rules_get(kind: str) -> ResponseReturnValue:
        return jsonify(
            {
                "active": rulesets.current(engine(), kind),
                "versions": rulesets.versions(engine(), kind),
                "history": rulesets.history(engine(), kind),
            }
        )

    @bp.get("/rules/match/calibration")
    @requires(Role.VIEWER, "rules")
    def rules_calibration() -> ResponseReturnValue:
        # Not str_arg: an explicitly empty ?version= is a mistake, not "the active one".
        return jsonify(calibration.report(engine(), request.args.get("version")))

    @bp.get(f"/rules/{KIND}/versions/<version>")
    @requires(Role.VIEWER, "rules")
    def rules_version(kind: str, version: str) -> ResponseReturnValue:
        return jsonify(rulesets.version_body(engine(), kind, version))

    @bp.post(f"/rules/{KIND}/validate")
    @requires(Role.REVOPS, "rules")
    def rules_validate(kind: str) -> ResponseReturnValue:
        return jsonify({"valid": True, "summary": rulesets.validate(kind, _text(body()))})

    @bp.post(f"/rules/{KIND}/preview")
    @requires(Role.REVOPS, "rules")
    def rules_preview_(kind: str) -> ResponseReturnValue:
        return jsonify(rules_preview.preview(engine(), kind, _text(body())))

    @bp.post(f"/rules/{KIND}/versions")
    @requires(Role.REVOPS, "rules")
    def rules_save(kind: str) -> ResponseReturnValue:
        data = body()
        comment, activate = data.get("comment"), data.get("activate", True)
        if comment is not None and not isinstance(comment, str):
            raise ApiError(400, "bad_request", "comment must be a string")
        if not isinstance(activate, bool):
            raise ApiError(400, "bad_request", "activate must be true or false")
        saved = rulesets.save(engine(), kind, _text(data), actor(), comment, activate)
        return jsonify(saved), 201

    @bp.post(f"/rules/{KIND}/activate")
    @requires(Role.REVOPS, "rules")
    def rules_activate(kind: str) -> ResponseReturnValue:
        version = body().get("version")
        if not isinstance(version, str) or not version or len(version) > 64:
            raise ApiError(400, "bad_request", 'version must be a stored version, e.g. "3"')
        return jsonify(rulesets.activate(engine(), kind, version, actor()))
