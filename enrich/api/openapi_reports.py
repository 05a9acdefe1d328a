"""The report paths of the OpenAPI description (openapi_paths.py holds the others)."""

from __future__ import annotations

from typing import Any

from enrich.api.openapi_paths import CURSOR, LIMIT, OBJ, _ok, _op, _q, _ref

_DATE = {"type": "string", "format": "date", "maxLength": 10}
PERIOD = [
    _q("start", _DATE, "first day of the period (YYYY-MM-DD; default: 89 days before end)"),
    _q("end", _DATE, "last day of the period, included (YYYY-MM-DD; default: today, UTC)"),
    _q("model", {"type": "string", "enum": ["first", "last", "linear"]}, "credit model"),
    _q(
        "dimension",
        {"type": "string", "enum": ["platform", "post", "topic"]},
        "what credit goes to",
    ),
]

REPORT_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/attribution": {
        "get": _op(
            "attribution",
            "The funnel (engaged people → matched → hand-off → influenced opportunity → won) "
            "and influenced pipeline and won revenue of a period, per currency",
            "dashboard",
            _ok(OBJ),
            400,
            params=PERIOD,
        )
    },
    "/api/v1/attribution/credits": {
        "get": _op(
            "attribution_credits",
            "Influenced pipeline and won revenue credited to each platform, post or topic by "
            "first-touch, last-touch or linear credit, per currency, largest first",
            "dashboard",
            _ok(_ref("Page")),
            400,
            params=[*PERIOD, LIMIT, CURSOR],
        )
    },
}
