"""Rule editors (match, topics, scoring): edit YAML, validate, preview on stored data, save and
activate, roll back to an earlier version; with the history of who changed what."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, g, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from enrich.console import rules_text, training
from enrich.console.auth import login_required
from enrich.console.web import engine, page
from enrich.errors import InputError
from enrich.matching.rules import parse_rules
from enrich.models import Role
from enrich.services import calibration, rules_preview, rulesets
from enrich.services.errors import Invalid

KIND = "<any(match, topics, scoring):kind>"
log = logging.getLogger("enrich.console.rules")


def _about(kind: str, body: str) -> dict[str, object]:
    """The active rules' own version name (`social-default-7`, not the stored row's number)
    and, for match rules, what they do in plain words."""
    try:
        named = rulesets.validate(kind, body).get("rules_version")
        plain = (
            rules_text.match_summary(parse_rules(body, "match rules")) if kind == "match" else None
        )
    except InputError:  # stored rules a stricter loader refuses: the editor must still open
        return {"rules_name": None, "plain": None}
    return {"rules_name": named, "plain": plain}


def register(bp: Blueprint) -> None:
    @bp.get("/rules", endpoint="rules")
    @login_required()
    def rules_index() -> ResponseReturnValue:
        return redirect(url_for("console.rules_edit", kind="match"))

    @bp.route(f"/rules/{KIND}", methods=["GET", "POST"])
    @login_required()
    def rules_edit(kind: str) -> ResponseReturnValue:
        active = rulesets.current(engine(), kind)
        text, error, summary, status = active["body"], None, None, 200
        if request.method == "POST":
            if not g.principal.allows(Role.REVOPS):
                flash("Editing rules needs the revops role.", "error")
                return redirect(url_for("console.rules_edit", kind=kind))
            text = request.form.get("body", "")
            try:
                if request.form.get("action") == "validate":
                    summary = rulesets.validate(kind, text)
                else:
                    saved = rulesets.save(
                        engine(), kind, text, g.principal.name, request.form.get("comment")
                    )
                    flash(f"Saved and activated version {saved['version']}.")
                    return redirect(url_for("console.rules_edit", kind=kind))
            except InputError as exc:
                error, status = str(exc), 422 if isinstance(exc, Invalid) else 400
        calib = None
        if kind == "match":
            try:
                calib = calibration.report(engine())
            except InputError:  # active rules a stricter loader refuses: the editor must still open
                log.warning("calibration report skipped", exc_info=True)
        return page(
            "rules.html",
            status,
            kind=kind,
            kinds=rulesets.KINDS,
            active=active,
            text=text,
            error=error,
            summary=summary,
            **_about(kind, active["body"]),
            error_line=rules_text.error_line(text, error) if error else None,
            line_count=text.count("\n") + 1,
            versions=rulesets.versions(engine(), kind),
            history=rulesets.history(engine(), kind),
            calib=calib,
            training=training.latest(engine()) if kind == "match" else None,
        )

    @bp.post(f"/rules/{KIND}/preview")
    @login_required(Role.REVOPS)
    def rules_preview_form(kind: str) -> ResponseReturnValue:
        # Called by the editor's JS (fetch with the CSRF token): JSON in, JSON out.
        try:
            return jsonify(rules_preview.preview(engine(), kind, request.form.get("body", "")))
        except InputError as exc:
            return jsonify({"error": {"status": 422, "code": "invalid", "message": str(exc)}}), 422

    @bp.post("/rules/match/train")
    @login_required(Role.REVOPS)
    def rules_train() -> ResponseReturnValue:
        # Weights re-estimated from this CRM in the background (a job): the page follows its
        # progress, and the result is a new version that is not active.
        run, new = training.start(engine(), g.principal.name)
        if run["state"] == "failed":
            flash(run["message"], "error")
        elif not new:
            flash(f"Training run {run['id']} is still going; its progress is below.")
        return redirect(url_for("console.rules_edit", kind="match") + "#training")

    @bp.get("/rules/match/train/<int:run_id>")
    @login_required(Role.REVOPS)
    def rules_train_status(run_id: int) -> ResponseReturnValue:
        run = training.status(engine(), run_id)
        if run is None:
            return jsonify({"error": {"status": 404, "code": "not_found"}}), 404
        return jsonify(run)

    @bp.post(f"/rules/{KIND}/activate")
    @login_required(Role.REVOPS)
    def rules_rollback(kind: str) -> ResponseReturnValue:
        version = request.form.get("version", "")[:64]
        try:
            rulesets.activate(engine(), kind, version, g.principal.name)
            flash(f"Version {version} is active again.")
        except InputError as exc:
            flash(str(exc), "error")
        return redirect(url_for("console.rules_edit", kind=kind))
