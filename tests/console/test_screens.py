"""The main pages at 1280×800 and 390×844: usable (no sideways scrolling on a phone), and
saved as screenshots in artifacts/screenshots/ for people to look at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from tests.console import seed
from tests.console.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _data(client: FlaskClient, engine: Engine) -> dict[str, int]:
    ids = seed.add_people(engine)
    now = datetime.now(UTC)
    acts = [
        (
            "dana.whitfield@northwind.example",
            "linkedin",
            "comment",
            "Zero trust is the only sane default for cloud security",
            1,
        ),
        ("dana.whitfield@northwind.example", "linkedin", "like", None, 3),
        ("dana.whitfield@northwind.example", "x", "share", None, 5),
        ("rokafor@contoso.example", "linkedin", "comment", "Great SIEM comparison", 2),
        ("rokafor@contoso.example", "x", "follow", None, 8),
        ("sam.reyes@litware.example", "instagram", "like", None, 4),
        ("marta.k@tailspin.example", "facebook", "comment", "Interesting take", 6),
    ]
    for i, (email, platform, kind, text, days) in enumerate(acts):
        seed.deliver(
            client,
            engine,
            {
                "id": f"{platform}-{email}",
                "email": email,
                "name": email.split("@")[0].replace(".", " ").title(),
                "handle": email.split("@")[0].replace(".", ""),
            },
            kind=kind,
            text=text,
            platform=platform,
            when=now - timedelta(days=days),
        )
        del i
    seed.review_profiles(client, engine, 3)
    seed.park(
        engine,
        seed.deliver(client, engine, {"id": "broken"}, kind="like"),
        "normalise failed: KeyError 'actor'",
    )
    return ids


def test_main_pages_at_desktop_and_phone_size(
    revops_page: Any, live: str, client: FlaskClient, engine: Engine
) -> None:
    ids = _data(client, engine)
    dana = ids["dana.whitfield@northwind.example"]
    pages = {
        "dashboard": "/",
        "people": "/people?q=a",
        "person": f"/people/{dana}",
        "review": "/review",
        "rules": "/rules/match",
        "sync": "/sync",
        "privacy": f"/privacy?record_id={dana}",
    }
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = revops_page
    for size_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        for name, path in pages.items():
            page.goto(live + path)
            page.screenshot(path=str(SHOTS / f"{name}-{size_name}.png"), full_page=True)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {size_name}"
    page.context.clear_cookies()
    for size_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.goto(live + "/login")
        page.screenshot(path=str(SHOTS / f"login-{size_name}.png"))
    assert page.js_errors == []
