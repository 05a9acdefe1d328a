"""Charts as inline SVG, drawn on the server: no JavaScript library, no CDN.

Every piece of text goes through `escape`, so a display name or comparison label can never
become markup; the functions return `Markup` only after that.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from markupsafe import Markup, escape

PALETTE = {
    "linkedin": "#2f6fb3",
    "x": "#3d3d45",
    "facebook": "#6b8fd6",
    "instagram": "#c0609a",
    "other": "#9aa3ad",
    # One colour per touchpoint kind, all told apart (Tableau 10, colour-blind aware):
    # kinds used to take the i-th of five shared colours, so "comment" and "share"
    # could both be teal.
    "like": "#4e79a7",
    "comment": "#f28e2b",
    "share": "#59a14f",
    "dm": "#e15759",
    "follow": "#76b7b2",
    "unfollow": "#9c755f",
    "reply": "#edc948",
    "quote": "#b07aa1",
    "mention": "#ff9da7",
}
EXTRA = ("#bab0ac", "#4f9d8a", "#d08c3c", "#8a6fc2", "#b95c5c", "#6aa84f", "#1f3b73", "#a0522d")


def color(key: str, i: int = 0) -> str:
    return PALETTE.get(key, EXTRA[i % len(EXTRA)])


def _svg(width: int, height: int, body: Iterable[str], label: str, kind: str = "") -> Markup:
    # The wrapper scrolls sideways on a phone instead of shrinking the text to nothing.
    return Markup(
        f'<div class="chart-wrap"><svg class="chart {kind}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        'preserveAspectRatio="xMinYMin meet">' + "".join(body) + "</svg></div>"
    )


def stacked_days(
    days: Sequence[str], series: Sequence[dict[str, Any]], key: str = "platform"
) -> Markup:
    """Touchpoints per day, one stacked bar per day, coloured by `key` (platform or kind)."""
    width, height, left, bottom, top = 640, 220, 34, 26, 10
    totals: dict[str, dict[str, int]] = {d: {} for d in days}
    keys: list[str] = []
    for row in series:
        if row["day"] in totals:
            bucket = totals[row["day"]]
            bucket[row[key]] = bucket.get(row[key], 0) + int(row["count"])
            if row[key] not in keys:
                keys.append(row[key])
    keys.sort()
    peak: float = max([sum(v.values()) for v in totals.values()] + [1])
    step = (width - left - 4) / max(len(days), 1)
    scale = (height - bottom - top) / peak
    parts = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        'class="axis"/>',
        f'<text x="{left - 6}" y="{top + 8}" class="tick" text-anchor="end">{peak}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" class="tick" text-anchor="end">0</text>',
    ]
    for i, day in enumerate(days):
        x = left + i * step + step * 0.15
        y: float = height - bottom
        for k in keys:
            n = totals[day].get(k, 0)
            if n:
                h = n * scale
                y -= h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" '
                    f'height="{h:.1f}" fill="{color(k, keys.index(k))}">'
                    f"<title>{escape(day)} · {escape(k)}: {n}</title></rect>"
                )
        if i % max(1, len(days) // 7) == 0 or i == len(days) - 1:
            parts.append(
                f'<text x="{x + step * 0.35:.1f}" y="{height - 8}" class="tick" '
                f'text-anchor="middle">{escape(day[5:])}</text>'
            )
    chart = _svg(width, height, parts, f"touchpoints per day by {key}", "days")
    return Markup(chart + legend_html(keys))


def legend_html(keys: Sequence[str]) -> Markup:
    items = "".join(
        f'<li><svg width="10" height="10" aria-hidden="true"><rect width="10" '
        f'height="10" rx="2" fill="{color(k, i)}"/></svg>{escape(k)}</li>'
        for i, k in enumerate(keys)
    )
    return Markup(f'<ul class="legend">{items}</ul>')


def waterfall(
    explanation: Sequence[dict[str, Any]],
    total: float | None = None,
    thresholds: dict[str, float] | None = None,
) -> Markup:
    """A match-weight waterfall like Splink's: each comparison moves the running total by its
    weight (green up, red down); the last bar is the total the decision was made on."""
    rows = [
        (
            str(e.get("comparison", "?")),
            str(e.get("level", "")),
            float(e.get("weight") or 0.0),
            str(e.get("explanation", "")),
        )
        for e in explanation
    ]
    if total is not None and abs(total - sum(r[2] for r in rows)) > 0.05:
        # The stored explanation lists comparisons only; what is left is the rules' prior
        # weight, which (as in Splink's chart) is where the walk starts.
        prior = total - sum(r[2] for r in rows)
        rows.insert(0, ("prior", "", prior, "prior odds of a match among blocked candidates"))
    running, spans = 0.0, []
    for name, level, weight, why in rows:
        spans.append((name, level, weight, why, running, running + weight))
        running += weight
    final = running if total is None else total
    values = [0.0, final] + [s[4] for s in spans] + [s[5] for s in spans]
    values += list((thresholds or {}).values())
    low, high = min(values), max(values)
    if high - low < 1:
        high = low + 1
    width, label_w, row_h, pad = 640, 230, 26, 50
    height = row_h * (len(spans) + 1) + 28
    plot = width - label_w - pad

    def x(v: float) -> float:
        return label_w + (v - low) / (high - low) * plot

    parts = [f'<line x1="{x(0):.1f}" y1="0" x2="{x(0):.1f}" y2="{height - 20}" class="zero"/>']
    for name, value in (thresholds or {}).items():
        parts.append(
            f'<line x1="{x(value):.1f}" y1="0" x2="{x(value):.1f}" y2="{height - 20}" '
            f'class="threshold"><title>{escape(name)} threshold {value:g}</title></line>'
            f'<text x="{x(value):.1f}" y="{height - 6}" class="tick" '
            f'text-anchor="middle">{escape(name)} {value:g}</text>'
        )
    for i, (name, level, weight, why, start, end) in enumerate(spans):
        y = i * row_h + 4
        a, b = sorted((x(start), x(end)))
        cls = "up" if weight > 0 else "down" if weight < 0 else "flat"
        parts.append(
            f'<g class="bar {cls}"><title>{escape(why)}</title>'
            f'<text x="0" y="{y + 15}" class="label">{escape(name)}'
            f'<tspan class="level"> {escape(level)}</tspan></text>'
            f'<rect x="{a:.1f}" y="{y}" width="{max(b - a, 2):.1f}" height="{row_h - 8}" rx="2"/>'
            f'<text x="{max(a, b) + 5:.1f}" y="{y + 14}" class="value">{weight:+.1f}</text></g>'
        )
    y = len(spans) * row_h + 4
    a, b = sorted((x(0), x(final)))
    parts.append(
        f'<g class="bar total"><text x="0" y="{y + 15}" class="label">total</text>'
        f'<rect x="{a:.1f}" y="{y}" width="{max(b - a, 2):.1f}" height="{row_h - 8}" '
        f'rx="2"/><text x="{max(a, b) + 5:.1f}" y="{y + 14}" class="value">'
        f"{final:.1f}</text></g>"
    )
    return _svg(width, height, parts, "match weight waterfall")


def hbars(items: Sequence[tuple[str, float]], unit: str = "") -> Markup:
    """Simple horizontal bars (label, value), e.g. match outcomes or score contributions."""
    width, label_w, row_h = 640, 200, 24
    height = row_h * max(len(items), 1) + 4
    peak = max([abs(v) for _, v in items] + [1e-9])
    parts = []
    for i, (label, value) in enumerate(items):
        y = i * row_h + 2
        w = abs(value) / peak * (width - label_w - 70)
        parts.append(
            f'<g class="bar {"down" if value < 0 else "up"}">'
            f'<text x="0" y="{y + 15}" class="label">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{max(w, 1):.1f}" '
            f'height="{row_h - 8}" rx="2"/><text x="{label_w + w + 6:.1f}" '
            f'y="{y + 15}" class="value">{value:g}{escape(unit)}</text></g>'
        )
    return _svg(width, height, parts, "bar chart")
