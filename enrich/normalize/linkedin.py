"""LinkedIn organization social action notifications → touchpoints.

`organizationalEntity` is our Page; the actor is the member URN that owns the generated comment
or share (LinkedIn pushes no names: the URN is what we keep). ADMIN_COMMENT is our own page
speaking (`is_own`); COMMENT_EDIT / COMMENT_DELETE are not new touches. Dedupe on
`notificationId`, which LinkedIn repeats when it re-delivers.
"""

from __future__ import annotations

from typing import Any

from enrich.normalize.base import Normalized, ProfileData, RawEventView, TouchpointData, parse_time

KINDS = {
    "LIKE": "like",
    "COMMENT": "comment",
    "SHARE": "share",
    "SHARE_MENTION": "mention",
    "ADMIN_COMMENT": "comment",
}
NOT_TOUCHES = ("COMMENT_EDIT", "COMMENT_DELETE")


def _str(value: Any, limit: int = 500) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text[:limit] or None


def _text(value: Any) -> str | None:
    # Shares carry `text` as a string or as {"text": ...}; comments as message.text.
    if isinstance(value, dict):
        return _text(value.get("text"))
    return _str(value, 10000)


def post_url(urn: str | None) -> str | None:
    return f"https://www.linkedin.com/feed/update/{urn}/" if urn else None


def _generated(note: dict[str, Any]) -> dict[str, Any]:
    decorated = note.get("decoratedGeneratedActivity") or {}
    for kind in ("comment", "share"):
        if isinstance(decorated.get(kind), dict):
            return dict(decorated[kind])
    return {}


def _notification(note: dict[str, Any], raw: RawEventView) -> TouchpointData | str:
    action = note.get("action")
    if action in NOT_TOUCHES:
        return f"notification {note.get('notificationId')} {action}: not a new touch"
    if action not in KINDS:
        return f"notification {note.get('notificationId')} action {action!r}: not used"
    ours = _str(note.get("organizationalEntity")) or raw.account
    generated = _generated(note)
    actor_urn = _str(generated.get("owner")) or _str(note.get("actor"))
    if action == "ADMIN_COMMENT" and not actor_urn:
        actor_urn = ours
    if not actor_urn:
        raise ValueError(f"{action} names no actor (no decoratedGeneratedActivity owner)")
    decorated = note.get("decoratedSourcePost")
    source: dict[str, Any] = decorated if isinstance(decorated, dict) else {}
    source_urn = _str(note.get("sourcePost")) or _str(source.get("entity"))
    message = generated.get("message") or generated.get("text") or generated.get("commentary")
    return TouchpointData(
        dedupe_key=f"linkedin:notification:{note['notificationId']}",
        kind=KINDS[action],
        actor=ProfileData(platform="linkedin", platform_user_id=actor_urn),
        account=ours,
        occurred_at=parse_time(note.get("lastModifiedAt"), raw.received_at),
        post_id=source_urn,
        post_url=post_url(source_urn),
        post_text=_text(source.get("text") or source.get("commentary")),
        text=_text(message),
        is_own=action == "ADMIN_COMMENT" or actor_urn == ours,
    )


def event_ids(payload: dict[str, Any]) -> list[str]:
    return [
        f"{n.get('notificationId')}"
        for n in payload.get("notifications") or []
        if isinstance(n, dict)
    ]


def account_ids(payload: dict[str, Any]) -> list[str]:
    return [
        str(n["organizationalEntity"])
        for n in payload.get("notifications") or []
        if isinstance(n, dict) and n.get("organizationalEntity")
    ]


def normalize(raw: RawEventView) -> Normalized:
    payload = raw.json()
    out = Normalized()
    if payload.get("type") not in (None, "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS"):
        out.ignored.append(f"notification type {payload.get('type')!r}: not used")
        return out
    for index, note in enumerate(payload.get("notifications") or []):
        try:
            result = _notification(note, raw)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            out.errors.append(f"notifications[{index}]: {type(exc).__name__}: {exc}")
            continue
        if isinstance(result, str):
            out.ignored.append(result)
        else:
            out.touchpoints.append(result)
    return out
