"""People: search, and one person's page (`/people/<crm_record_id>`, the URL enrich writes to
the CRM's Enrich_Url__c field), where RevOps can undo a wrong link: "not this person", or move
the profile to the right record."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue

from enrich.console import charts, formatting
from enrich.console.auth import login_required
from enrich.console.web import engine, int_arg, page, problem, settings
from enrich.errors import InputError
from enrich.models import Role
from enrich.services import duplicates, people, review


def by_rule(breakdown: Any) -> dict[str, float]:
    """Points per scoring rule, from either breakdown shape enrich has stored: the scorer's
    {"by_rule": {...}} or an older list of {"rule", "points"} lines."""
    if isinstance(breakdown, dict) and isinstance(breakdown.get("by_rule"), dict):
        return {
            str(k): float(v) for k, v in breakdown["by_rule"].items() if isinstance(v, int | float)
        }
    totals: dict[str, float] = {}
    for line in breakdown if isinstance(breakdown, list) else []:
        if isinstance(line, dict) and isinstance(line.get("points"), int | float):
            label = str(line.get("rule") or line.get("kind") or "other")
            totals[label] = totals.get(label, 0.0) + float(line["points"])
    return totals


def register(bp: Blueprint) -> None:
    @bp.get("/people", endpoint="people")
    @login_required()
    def people_list() -> ResponseReturnValue:
        q = request.args.get("q", "")[:200]
        after = int_arg(request.args.get("cursor"), 0, 0, 2**62)
        rows, cursor = people.search(engine(), q=q, limit=25, after=after)
        return page("people.html", q=q, rows=rows, cursor=cursor)

    @bp.get("/people/duplicates")
    @login_required()
    def people_duplicates() -> ResponseReturnValue:
        raw = request.args.get("cursor", "")
        a, _, b = raw.partition("-")
        # Junk in the address is the first page, as the people list treats it.
        after = (int(a), int(b)) if a.isdecimal() and b.isdecimal() and len(raw) <= 37 else None
        found = duplicates.list_pairs(engine(), settings(), limit=25, after=after)
        return page(
            "duplicates.html",
            found=found,
            cursor=f"{found.cursor[0]}-{found.cursor[1]}" if found.cursor else None,
        )

    @bp.get("/people/<id:record_id>")
    @login_required()
    def person(record_id: int) -> ResponseReturnValue:
        found = people.person(engine(), settings(), record_id)
        if found is None:
            return problem(
                404, "No such person", f"There is no CRM record {record_id} in enrich's mirror."
            )
        score = found["score"]
        totals = by_rule(score["breakdown"]) if score else {}
        notes = formatting.fit_notes(score["breakdown"]) if score else {}
        bars = sorted(
            ((formatting.rule_label(k, notes), round(v, 1)) for k, v in totals.items()),
            key=lambda kv: -abs(kv[1]),
        )
        breakdown = charts.hbars(bars[:12], " pts") if bars else None
        # "Move to another record": the search for the record, for one link at a time.
        moving = int_arg(request.args.get("move"), 0, 0, 2**62)
        q = request.args.get("q", "")[:200]
        found_records = (
            [r for r in people.search(engine(), q=q, limit=8)[0] if r["id"] != record_id]
            if q and moving
            else []
        )
        decisions, _ = review.audit(engine(), limit=50, action="link_", record_id=record_id)
        return page(
            "person.html",
            p=found,
            breakdown=breakdown,
            moving=moving,
            q=q,
            found=found_records,
            decisions=decisions,
            waterfalls={
                link["id"]: charts.waterfall(link["explanation"], link["score"])
                for link in found["links"]
                if link["explanation"]
            },
        )

    @bp.post("/people/<id:record_id>/links/<id:link_id>/<any(unlink, relink):action>")
    @login_required(Role.REVOPS)
    def person_link(record_id: int, link_id: int, action: str) -> ResponseReturnValue:
        actor = g.principal.name
        try:
            if action == "unlink":
                review.unlink(engine(), link_id, actor, on_record=record_id)
                flash(
                    "Unlinked: this profile is not this person. What enrich wrote on the "
                    "record will be taken back, and the pair will not be proposed again."
                )
            else:
                target = int_arg(request.form.get("record_id"), 0, 0, 2**62)
                review.move(engine(), link_id, target, actor, on_record=record_id)
                flash(
                    f"Moved to record {target}: the profile's history will be written there "
                    "and taken off this record."
                )
        except InputError as exc:
            flash(str(exc), "error")
        return redirect(url_for("console.person", record_id=record_id))
