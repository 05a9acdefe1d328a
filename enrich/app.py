"""The Flask app factory: the only place the web app and its runtime are put together."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

import webhooks
from enrich import api, console, defaults, embed, health, metrics, runtime
from enrich.api.common import error_body
from enrich.config import Settings, load_settings
from enrich.errors import EnrichError, StorageUnavailable, WebhookRejected

log = logging.getLogger("enrich.app")


def create_app(settings: Settings | None = None, *, rt: runtime.Runtime | None = None) -> Flask:
    settings = settings or (rt.settings if rt else load_settings())
    settings.check_production()
    rt = runtime.install(rt or runtime.build(settings))

    # root_path explicit: editable installs hide the package's location from Flask's lookup.
    here = Path(__file__).parent
    app = Flask("enrich", root_path=str(here), instance_path=str(here / "instance"))
    app.config.update(
        MAX_CONTENT_LENGTH=defaults.MAX_WEBHOOK_BYTES,
        SECRET_KEY=settings.secret_key or "dev-only-not-secret",
        JSON_SORT_KEYS=False,
        ENRICH_SETTINGS=settings,
    )
    app.extensions["enrich.runtime"] = rt
    if settings.trusted_proxies:
        # Behind N proxies the client's address is the one the N-th proxy saw: sign-in lockout
        # and logs key on it. Off by default, since without a proxy anyone could claim any.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    if settings.env == "production":

        @app.after_request
        def _hsts(response: Response) -> Response:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
            return response

    health.init_app(app)
    metrics.init_app(app)  # GET /metrics (Prometheus)
    webhooks.init_app(app)
    console.init_app(app)  # RevOps console pages, sessions and CSRF (the API relies on both)
    api.init_app(app)  # the /api/v1 JSON API
    embed.init_app(app)  # the social card inside the CRM
    _error_handlers(app)
    return app


def _error_handlers(app: Flask) -> None:
    @app.errorhandler(WebhookRejected)
    def _rejected(exc: WebhookRejected) -> tuple[Any, int]:
        log.info("webhook refused: %s %s", exc.status, exc.code)
        return error_body(exc.status, exc.code, exc.message)

    @app.errorhandler(StorageUnavailable)
    def _storage(exc: StorageUnavailable) -> tuple[Any, int]:
        log.error("storage unavailable: %s", exc)
        response, status = error_body(
            503, "storage_unavailable", "the database cannot store this right now; retry later"
        )
        response.headers["Retry-After"] = "5"
        return response, status

    @app.errorhandler(EnrichError)
    def _enrich(exc: EnrichError) -> tuple[Any, int]:
        return error_body(400, type(exc).__name__, str(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Any, int]:
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_body(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Any, int]:
        log.exception("unexpected error")
        return error_body(500, "internal_error", "unexpected error; it has been logged")
