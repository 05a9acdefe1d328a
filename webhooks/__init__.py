"""Webhook receivers: one module per platform, each passing deliveries through `webhooks.gate`."""

from __future__ import annotations

from flask import Flask

from webhooks import linkedin, meta, standard, x


def init_app(app: Flask) -> None:
    for module in (standard, x, meta, linkedin):
        app.register_blueprint(module.bp)
