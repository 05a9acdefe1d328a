"""The JSON API under /api/v1: every console action, for automation and the console's own JS.

Callers authenticate with `Authorization: Bearer <token>` (an `ApiToken`, or
ENRICH_ADMIN_TOKEN) or with the console's session cookie plus its CSRF token (header
`X-CSRFToken`) on writes. Errors are always `{"error": {"status", "code", "message"}}`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, request
from flask_wtf.csrf import CSRFError

from enrich.api import (
    attribution,
    dashboard,
    leads,
    links,
    openapi,
    people,
    privacy,
    review,
    rules,
    sync,
    tokens,
)
from enrich.api.common import ApiError, error_body
from enrich.console.auth import SignInRefused
from enrich.errors import InputError
from enrich.services.errors import Conflict, Invalid, NotFound
from enrich.services.privacy import CrmUnreachable


def _errors(bp: Blueprint) -> None:
    @bp.errorhandler(ApiError)
    def _api(exc: ApiError) -> tuple[Any, int]:
        return error_body(exc.status, exc.code, exc.message)

    @bp.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[Any, int]:
        return error_body(
            400,
            "csrf_failed",
            f"{exc.description}; send the page's CSRF token "
            "in the X-CSRFToken header, or use a bearer token",
        )

    @bp.errorhandler(InputError)
    def _input(exc: InputError) -> tuple[Any, int]:
        for cls, status, code in (
            (NotFound, 404, "not_found"),
            (Conflict, 409, "conflict"),
            (Invalid, 422, "invalid"),
            (CrmUnreachable, 502, "crm_unreachable"),
            (SignInRefused, 401, "unauthorized"),
        ):
            if isinstance(exc, cls):
                return error_body(status, code, str(exc))
        return error_body(400, "bad_request", str(exc))


def init_app(app: Flask) -> None:
    bp = Blueprint("api", __name__, url_prefix="/api/v1")  # one per app, as tests make many
    for module in (
        dashboard,
        attribution,
        people,
        review,
        leads,
        links,
        rules,
        sync,
        privacy,
        tokens,
        openapi,
    ):
        module.register(bp)
    _errors(bp)

    @bp.before_request
    def _no_nul() -> None:
        # PostgreSQL text cannot hold NUL; refuse it here rather than as a driver error.
        if any("\x00" in v for v in (request.path, *request.args.values())):
            raise ApiError(400, "bad_request", "the request contains a NUL character")

    app.register_blueprint(bp)
