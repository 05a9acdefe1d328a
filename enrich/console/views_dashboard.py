"""The dashboard page: ingest, match outcomes, sync health, API budget, engaged accounts."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from enrich.console import charts
from enrich.console.auth import login_required
from enrich.console.web import engine, int_arg, page, settings
from enrich.services import stats


def register(bp: Blueprint) -> None:
    @bp.get("/")
    @login_required()
    def dashboard() -> ResponseReturnValue:
        days = int_arg(request.args.get("days"), 14, 1, 90)
        data = stats.dashboard(engine(), settings(), days=days)
        tp = data["touchpoints"]
        kinds: dict[str, int] = {}
        for row in tp["series"]:
            kinds[row["kind"]] = kinds.get(row["kind"], 0) + row["count"]
        outcomes = data["match_outcomes"]
        return page(
            "dashboard.html",
            data=data,
            days=days,
            by_platform=charts.stacked_days(tp["days"], tp["series"], "platform"),
            by_kind=charts.stacked_days(tp["days"], tp["series"], "kind"),
            total=sum(kinds.values()),
            kinds=sorted(kinds.items(), key=lambda kv: -kv[1]),
            outcomes_chart=charts.hbars(
                [
                    ("linked", outcomes["linked"]),
                    ("waiting for review", outcomes["review"]),
                    ("no match", outcomes["none"]),
                ]
            ),
        )
