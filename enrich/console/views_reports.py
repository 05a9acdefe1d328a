"""The attribution report: the funnel from engagement to won deals, and influenced pipeline
and won revenue by platform, post or topic over a period, with a CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from enrich.attribution import NO_POST, Credit, Dimension, Model, Report
from enrich.console import charts
from enrich.console.auth import login_required
from enrich.console.web import engine, page, problem, settings
from enrich.services import attribution

SHOWN = 25  # rows per currency on the page; the CSV has them all


CSV_COLUMNS = (
    "currency",
    "key",
    "label",
    "pipeline",
    "opportunities",
    "won_revenue",
    "won",
    "touches",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text, never runs: a text starting like a formula (a post
    may begin with "=HYPERLINK(...)" or "@mention") gets a leading apostrophe (OWASP's advice
    for CSV injection). Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_rows(report: Report) -> Iterable[list[Any]]:
    yield list(CSV_COLUMNS)
    for row in report.rows:
        data = row.as_dict()
        yield [csv_cell(data[c]) for c in CSV_COLUMNS]


def csv_name(q: attribution.Query) -> str:
    end = (q.period.end - timedelta(days=1)).date()
    return f"attribution-{q.period.start.date()}-{end}-{q.model.value}-{q.dimension.value}.csv"


def _query() -> attribution.Query:
    return attribution.query(
        request.args.get("start"),
        request.args.get("end"),
        request.args.get("model"),
        request.args.get("dimension"),
        settings().attribution_window_days,
    )


def _label(row: Credit) -> str:
    text = row.label or row.key
    return text if len(text) <= 28 else text[:27] + "…"  # the charts' label column


def _chart(rows: list[Credit], figure: str) -> Markup | None:
    """The ten keys that earned most of `figure` (None when none earned any)."""
    top = sorted((r for r in rows if getattr(r, figure)), key=lambda r: -getattr(r, figure))
    return charts.hbars([(_label(r), round(getattr(r, figure))) for r in top[:10]]) if top else None


def register(bp: Blueprint) -> None:
    @bp.get("/reports/attribution")
    @login_required()
    def attribution_report() -> ResponseReturnValue:
        try:
            q = _query()
        except ValueError as exc:
            return problem(400, "Cannot make this report", str(exc))
        report, stages = attribution.run(engine(), q)
        currencies = sorted(report.totals)
        by_currency = {c: [r for r in report.rows if r.currency == c] for c in currencies}
        return page(
            "attribution.html",
            q=q,
            start=q.period.start.date().isoformat(),
            end=attribution.as_json(q, report, stages)["period"]["end"],
            models=list(Model),
            dimensions=list(Dimension),
            totals=[report.totals[c] for c in currencies],
            rows={c: rows[:SHOWN] for c, rows in by_currency.items()},
            more={c: max(len(rows) - SHOWN, 0) for c, rows in by_currency.items()},
            funnel_chart=charts.hbars([(s["label"], s["count"]) for s in stages]),
            pipeline_charts={c: _chart(rows, "pipeline") for c, rows in by_currency.items()},
            won_charts={c: _chart(rows, "won_revenue") for c, rows in by_currency.items()},
            no_post=NO_POST,
            window_days=q.window.days,
        )

    @bp.get("/reports/attribution.csv")
    @login_required()
    def attribution_csv() -> ResponseReturnValue:
        try:
            q = _query()
        except ValueError as exc:
            return problem(400, "Cannot make this report", str(exc))
        report, _ = attribution.run(engine(), q)

        def lines() -> Iterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for row in csv_rows(report):
                writer.writerow(row)
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()

        return Response(
            lines(),
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="{csv_name(q)}"',
                "X-Content-Type-Options": "nosniff",
            },
        )
