"""enrich's own touchpoint message (Standard Webhooks route and CSV import) → touchpoints."""

from __future__ import annotations

from typing import Any

from enrich.normalize.base import (
    Normalized,
    ProfileData,
    RawEventView,
    TouchpointData,
    canonical_kind,
    parse_time,
    web_url,
    website_text,
)


def _clean(value: Any, limit: int = 500) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] or None


def touchpoint_from_item(item: dict[str, Any], *, key: str, raw: RawEventView) -> TouchpointData:
    actor = item["actor"]
    platform = str(item["platform"]).strip().lower()
    post = item.get("post") or {}
    email = _clean(actor.get("email"), 320)
    return TouchpointData(
        dedupe_key=key,
        kind=canonical_kind(item.get("kind")),
        actor=ProfileData(
            platform=platform,
            platform_user_id=str(actor["id"]).strip(),
            handle=_clean(actor.get("handle"), 200),
            name=_clean(actor.get("name"), 300),
            bio=_clean(actor.get("bio"), 2000),
            location=_clean(actor.get("location"), 300),
            url=web_url(_clean(actor.get("url"))),
            website=website_text(_clean(actor.get("website"))),
            email=email.lower() if email else None,
        ),
        occurred_at=parse_time(item.get("occurred_at"), raw.received_at),
        account=raw.account,
        post_id=_clean(post.get("id"), 300),
        post_url=web_url(_clean(post.get("url"))),
        post_text=_clean(post.get("text"), 10000),
        text=_clean(item.get("text"), 10000),
    )


def normalize(raw: RawEventView) -> Normalized:
    message = raw.json()
    data = message.get("data")
    items = data if isinstance(data, list) else [data]
    out = Normalized()
    for index, item in enumerate(items):
        # A sender-given id dedupes across deliveries; otherwise the delivery id and position.
        own_id = item.get("id") if isinstance(item, dict) else None
        key = f"{raw.source}:{own_id}" if own_id else f"{raw.source}:{raw.delivery_id}:{index}"
        try:
            out.touchpoints.append(touchpoint_from_item(item, key=key[:300], raw=raw))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            out.errors.append(f"item {index}: {type(exc).__name__}: {exc}")
    return out
