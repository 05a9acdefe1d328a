"""LinkedIn organization social action notifications → touchpoints.

`organizationalEntity` is our Page; the actor is the member URN that owns the generated comment
or share (LinkedIn pushes no names: the URN is what we keep). ADMIN_COMMENT is our own page
speaking (`is_own`); COMMENT_EDIT / COMMENT_DELETE are not new touches. Dedupe on
`notificationId`, which LinkedIn repeats when it re-delivers.

A Lead Sync notification (`type: LEAD_ACTION`) is one object, not a list, naming a form
response by URN: it becomes a `LeadRef` (answers are read later); its identity is the URN and
the action, since it has no notification id (docs/LEAD_FORMS.md §2.3).
"""

from __future__ import annotations

import re
from typing import Any

from enrich.normalize.base import (
    LeadRef,
    Normalized,
    ProfileData,
    RawEventView,
    TouchpointData,
    parse_time,
)

KINDS = {
    "LIKE": "like",
    "COMMENT": "comment",
    "SHARE": "share",
    "SHARE_MENTION": "mention",
    "ADMIN_COMMENT": "comment",
}
NOT_TOUCHES = ("COMMENT_EDIT", "COMMENT_DELETE")
LEAD_ACTION = "LEAD_ACTION"
# The id is read back from /rest/leadFormResponses/{id}: only this alphabet, so a hostile URN
# cannot steer that URL (LinkedIn's ids are a UUID and a suffix, e.g. "aaaa-...-5").
RESPONSE_URN = re.compile(r"urn:li:leadGenFormResponse:([A-Za-z0-9-]{1,100})")


def _urn_in(value: Any) -> str | None:
    """`{"sponsoredAccount": urn}` / `{"organization": urn}` / `{"event": urn}` → the URN."""
    if isinstance(value, dict):
        return next((_str(v, 200) for v in value.values() if isinstance(v, str)), None)
    return None


def lead_ref(payload: dict[str, Any]) -> LeadRef:
    """The form response a LEAD_ACTION notification names; ValueError says what is wrong."""
    urn = payload.get("leadGenFormResponse")
    found = RESPONSE_URN.fullmatch(urn) if isinstance(urn, str) else None
    if found is None:
        raise ValueError(
            "leadGenFormResponse must be a URN urn:li:leadGenFormResponse:<id> "
            "(id: 1 to 100 letters, digits or '-')"
        )
    action = payload.get("leadAction")
    if action not in ("CREATED", "DELETED"):
        raise ValueError(f"leadAction {action!r}: expected CREATED or DELETED")
    return LeadRef(
        "linkedin",
        found.group(1),
        deleted=action == "DELETED",
        account=_urn_in(payload.get("owner")),
        form_id=_str(payload.get("leadGenForm"), 200),
        ad_id=_urn_in(payload.get("associatedEntity")),
    )


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
    if payload.get("type") == LEAD_ACTION:
        return [f"lead:{payload.get('leadGenFormResponse')}:{payload.get('leadAction')}"]
    return [
        f"{n.get('notificationId')}"
        for n in payload.get("notifications") or []
        if isinstance(n, dict)
    ]


def account_ids(payload: dict[str, Any]) -> list[str]:
    if payload.get("type") == LEAD_ACTION:
        owner = _urn_in(payload.get("owner"))
        return [owner] if owner else []
    return [
        str(n["organizationalEntity"])
        for n in payload.get("notifications") or []
        if isinstance(n, dict) and n.get("organizationalEntity")
    ]


def normalize(raw: RawEventView) -> Normalized:
    payload = raw.json()
    out = Normalized()
    if payload.get("type") == LEAD_ACTION:
        try:
            out.leads.append(lead_ref(payload))
        except ValueError as exc:
            out.errors.append(f"lead notification: {exc}")
        return out
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
