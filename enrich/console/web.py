"""The console blueprint and the small helpers every console view uses."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from sqlalchemy import Engine

from enrich.config import Settings
from enrich.runtime import Runtime


def blueprint() -> Blueprint:
    """A fresh console blueprint (one per app: tests build many apps in one process)."""
    return Blueprint(
        "console",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static/console",
    )


def engine() -> Engine:
    rt: Runtime = current_app.extensions["enrich.runtime"]
    return rt.engine


def settings() -> Settings:
    settings: Settings = current_app.config["ENRICH_SETTINGS"]
    return settings


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), status


def forbidden(message: str) -> tuple[str, int]:
    return page("error.html", 403, title="Not allowed", message=message)


def problem(status: int, title: str, message: str) -> tuple[str, int]:
    return page("error.html", status, title=title, message=message)


def int_arg(value: str | None, default: int, low: int, high: int) -> int:
    """A query-string integer clamped to [low, high]; junk falls back to `default`."""
    try:
        return max(low, min(high, int(value))) if value is not None else default
    except ValueError:
        return default
