"""The preview page's only drawing: the score trend as a small inline SVG line (server-side,
no script), with every number formatted here so the template only places text."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 268, 36, 3


def sparkline(card: dict[str, Any]) -> Markup:
    points = [
        float(p["score"]) for p in (card.get("score") or {}).get("trend", {}).get("points", [])
    ]
    if len(points) < 2:
        return Markup("")
    peak = max(max(points), 1.0)
    step = (WIDTH - 2 * PAD) / (len(points) - 1)
    coords = " ".join(
        f"{PAD + i * step:.1f},{HEIGHT - PAD - v / peak * (HEIGHT - 2 * PAD):.1f}"
        for i, v in enumerate(points)
    )
    label = escape(f"score over 90 days: {points[0]:g} to {points[-1]:g}")
    return Markup(
        f'<svg class="spark" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{label}"><polyline points="{coords}" fill="none" '
        'stroke="#0b6bcb" stroke-width="2" stroke-linejoin="round"/></svg>'
    )
