"""The RevOps console: server-rendered pages (Jinja, one CSS file, a little vanilla JS) for
sign-in, dashboard, people, review queue, rules, sync and privacy — plus the JSON API.

`init_app(app)` is called by `create_app`, before the API's: it sets the session cookie policy,
turns on CSRF protection for console forms (webhooks and bearer-token API calls are not
affected; the API checks it where a cookie authenticates) and registers the console blueprint.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, Request, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from werkzeug.routing import IntegerConverter, Map

from enrich.console import (
    auth,
    formatting,
    views_auth,
    views_dashboard,
    views_leads,
    views_people,
    views_privacy,
    views_reports,
    views_review,
    views_rules,
    views_sync,
)
from enrich.console.web import blueprint, problem
from enrich.normalize import web_url
from enrich.services.errors import MAX_ID

csrf = CSRFProtect()


class ConsoleSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, not opened for webhook deliveries: a platform sends no
    session cookie, and building the cookie signer on every delivery is measurable at
    thousands of deliveries per second (bench/ingest.py)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith("/webhooks/"):
            return None  # Flask substitutes its null session
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    settings = app.config["ENRICH_SETTINGS"]
    app.config.update(
        SESSION_COOKIE_NAME="enrich_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.env != "development",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        # Checked only where a cookie authenticates (console forms, the console's own API
        # calls); a global check would refuse signed webhook deliveries.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session is
    )
    app.session_interface = ConsoleSessions()
    csrf.init_app(app)
    auth.dummy_hash()  # now, so that the first sign-in with an unknown email is not faster
    app.url_map.converters["id"] = IdConverter

    bp = blueprint()
    formatting.register(bp)
    for module in (
        views_auth,
        views_dashboard,
        views_people,
        views_review,
        views_leads,
        views_rules,
        views_sync,
        views_privacy,
        views_reports,
    ):
        module.register(bp)

    @bp.before_request
    def _csrf() -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()

    @bp.errorhandler(CSRFError)
    def _csrf_failed(exc: CSRFError) -> tuple[str, int]:
        return problem(
            400,
            "Form expired",
            "This form was not sent by this console page "
            f"({exc.description}). Reload the page and try again.",
        )

    @bp.errorhandler(404)
    def _missing(_: Any) -> tuple[str, int]:
        return problem(404, "Not found", "There is nothing at this address.")

    # Links to what people posted: http(s) only, also for rows stored before normalisers
    # enforced it (the CSP would block a `javascript:` click; this does not rely on it).
    app.add_template_filter(lambda url: web_url(url) or "", "web_url")

    @bp.app_context_processor
    def _context() -> dict[str, Any]:
        return {"csrf_token": generate_csrf, "principal": g.get("principal"), "nav": NAV}

    @bp.after_request
    def _headers(response: Any) -> Any:
        # The console loads nothing from elsewhere: say so, so injected markup cannot either.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    app.register_blueprint(bp)


class IdConverter(IntegerConverter):
    """`<id:name>`: a positive integer a database id column can hold (larger ones are 404s,
    not overflow errors in the driver)."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


NAV = (
    ("console.dashboard", "Dashboard"),
    ("console.people", "People"),
    ("console.review", "Review"),
    ("console.rules", "Rules"),
    ("console.sync", "Sync"),
    ("console.attribution_report", "Attribution"),
    ("console.privacy", "Privacy"),
)
