"""People: search, and one person's page (`/people/<crm_record_id>`, the URL enrich writes to
the CRM's Enrich_Url__c field)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from enrich.console import charts, people
from enrich.console.auth import login_required
from enrich.console.web import engine, int_arg, page, problem, settings


def by_rule(breakdown: Any) -> dict[str, float]:
    """Points per scoring rule, from either breakdown shape enrich has stored: the scorer's
    {"by_rule": {...}} or an older list of {"rule", "points"} lines."""
    if isinstance(breakdown, dict) and isinstance(breakdown.get("by_rule"), dict):
        return {str(k): float(v) for k, v in breakdown["by_rule"].items()
                if isinstance(v, int | float)}
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

    @bp.get("/people/<id:record_id>")
    @login_required()
    def person(record_id: int) -> ResponseReturnValue:
        found = people.person(engine(), settings(), record_id)
        if found is None:
            return problem(404, "No such person",
                           f"There is no CRM record {record_id} in enrich's mirror.")
        score = found["score"]
        totals = by_rule(score["breakdown"]) if score else {}
        bars = sorted(((k, round(v, 1)) for k, v in totals.items()), key=lambda kv: -abs(kv[1]))
        breakdown = charts.hbars(bars[:12], " pts") if bars else None
        return page("person.html", p=found, breakdown=breakdown,
                    waterfalls={link["id"]: charts.waterfall(link["explanation"], link["score"])
                                for link in found["links"] if link["explanation"]})
