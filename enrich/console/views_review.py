"""The review queue: one profile at a time, its candidate records side by side with the
match-weight waterfall; confirm / reject / pick another record. Keyboard: j k c r / ?"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue

from enrich.console import charts
from enrich.console.auth import login_required
from enrich.console.web import engine, int_arg, page
from enrich.errors import InputError
from enrich.matching.rules import parse_rules
from enrich.models import Role
from enrich.services import people, review
from enrich.services.rulesets import current


def _thresholds() -> dict[str, float] | None:
    try:
        rules = parse_rules(current(engine(), "match")["body"])
        return {"review": rules.thresholds.review, "link": rules.thresholds.link}
    except Exception:  # noqa: BLE001 — the chart is still useful without threshold lines
        return None


def register(bp: Blueprint) -> None:
    @bp.get("/review", endpoint="review")
    @login_required()
    def review_page() -> ResponseReturnValue:
        at = int_arg(request.args.get("at"), 0, 0, 2**62)
        item = review.item(engine(), at) if at else None
        if item is None or not any(c["status"] == "pending" for c in item["candidates"]):
            items, _ = review.queue(engine(), limit=1, after=0)
            item = items[0] if items else None
        prev_id, next_id = (
            review.neighbours(engine(), item["profile"]["id"]) if item else (None, None)
        )
        thresholds = _thresholds()
        q = request.args.get("q", "")[:200]
        found = people.search(engine(), q=q, limit=8)[0] if q and item else []
        did = review.did(engine(), item["profile"]["id"]) if item else []
        return page(
            "review.html",
            item=item,
            prev_id=prev_id,
            next_id=next_id,
            did=did,
            remaining=review.pending_count(engine()),
            q=q,
            found=found,
            waterfalls={
                c["id"]: charts.waterfall(c["explanation"], c["score"], thresholds)
                for c in (item["candidates"] if item else [])
                if c["explanation"]
            },
        )

    @bp.post("/review/<id:link_id>/<any(confirm, reject, relink):action>")
    @login_required(Role.REVOPS)
    def review_decide(link_id: int, action: str) -> ResponseReturnValue:
        actor = g.principal.name
        try:
            if action == "confirm":
                review.confirm(engine(), link_id, actor)
                flash("Confirmed: the profile is linked and will be written to the CRM.")
            elif action == "reject":
                review.reject(engine(), link_id, actor)
                flash("Rejected: the matcher will not propose this pair again.")
            else:
                record_id = int_arg(request.form.get("record_id"), 0, 0, 2**62)
                review.relink(engine(), link_id, record_id, actor)
                flash(f"Linked to record {record_id} instead.")
        except InputError as exc:
            flash(str(exc), "error")
        return redirect(url_for("console.review", at=request.form.get("next") or None))
