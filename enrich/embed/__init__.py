"""The social card inside the CRM: HubSpot app card and Salesforce Lightning component
backends, and a development preview page (docs/CRM_CARD.md)."""

from __future__ import annotations

from flask import Flask

from enrich.embed.views import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
