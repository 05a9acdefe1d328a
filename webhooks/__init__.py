"""Webhook receivers: one module per platform, each passing deliveries through `webhooks.gate`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webhooks import standard

    app.register_blueprint(standard.bp)
