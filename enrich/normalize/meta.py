"""Meta webhook delivery (Instagram and Facebook Pages) → touchpoints.

`entry[].id` is our account (IG professional account or Page); `changes[]` carry comments,
reactions, shares, mentions; `messaging[]` carries DMs (echoes of our own messages skipped).
Meta gives scoped ids, never global ones: we keep what is given (IG username, FB name).
Dedupe keys are Meta's content ids (comment id, message `mid`, share id) or, for a reaction,
post + person, so Meta's retries over 36 hours never count twice. A Page's `leadgen` change
names a lead-form response by id only: it becomes a `LeadRef` (docs/LEAD_FORMS.md §1.2).
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

FB_ITEMS_POSTED = ("post", "status", "photo", "video")
# "a 15 or 16-digit number" (docs/LEAD_FORMS.md §1.2); digits only is what keeps a hostile id
# from steering the Graph URL it is read from.
LEAD_ID = re.compile(r"[0-9]{1,20}")


def _str(value: Any, limit: int = 500) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text[:limit] or None


def _items(value: Any) -> list[Any]:
    """A list field as sent, or nothing when the sender put something else there."""
    return value if isinstance(value, list) else []


def platform_of(envelope: dict[str, Any]) -> str:
    return "instagram" if envelope.get("object") == "instagram" else "facebook"


def _actor(platform: str, who: dict[str, Any] | None) -> ProfileData:
    if not isinstance(who, dict) or not _str(who.get("id")):
        raise ValueError("no `from` (hidden by the person's privacy settings?)")
    username = _str(who.get("username"), 200)
    return ProfileData(
        platform=platform,
        platform_user_id=str(who["id"]),
        handle=username,
        name=_str(who.get("name"), 300),
        url=f"https://www.instagram.com/{username}/"
        if platform == "instagram" and username
        else None,
    )


def _fb_post_url(post_id: str | None) -> str | None:
    # A Page post id is "<page id>_<post id>", which facebook.com resolves as a path.
    return f"https://www.facebook.com/{post_id}" if post_id else None


def _instagram(
    field: str, value: dict[str, Any], us: str, raw: RawEventView, when: Any
) -> TouchpointData | str:
    if field in ("comments", "live_comments"):
        actor = _actor("instagram", value.get("from"))
        media = value.get("media") or {}
        return TouchpointData(
            dedupe_key=f"meta:ig:comment:{value['id']}",
            kind="reply" if value.get("parent_id") else "comment",
            actor=actor,
            account=us,
            occurred_at=parse_time(value.get("timestamp") or when, raw.received_at),
            post_id=_str(media.get("id")),
            text=_str(value.get("text"), 10000),
            is_own=actor.platform_user_id == us,
        )
    if field == "mentions":
        if not isinstance(value.get("from"), dict):
            # Meta sends only {comment_id, media_id}; who mentioned us needs a Graph API call.
            return (
                f"instagram mention (comment {value.get('comment_id')}, media "
                f"{value.get('media_id')}) names no person; needs a Graph API look-up"
            )
        actor = _actor("instagram", value["from"])
        return TouchpointData(
            dedupe_key=f"meta:ig:mention:{value.get('comment_id') or value.get('media_id')}",
            kind="mention",
            actor=actor,
            account=us,
            occurred_at=parse_time(when, raw.received_at),
            post_id=_str(value.get("media_id")),
            text=_str(value.get("text"), 10000),
            is_own=actor.platform_user_id == us,
        )
    return f"instagram field {field!r}: not used"


def _page(
    field: str, value: dict[str, Any], us: str, raw: RawEventView, when: Any
) -> TouchpointData | str:
    item, verb = value.get("item"), value.get("verb")
    if field == "mention":
        who = {"id": value.get("sender_id"), "name": value.get("sender_name")}
        if verb not in (None, "add"):
            return f"page mention {verb}: not a new touch"
        actor = _actor("facebook", value.get("from") or who)
        key = value.get("comment_id") or value.get("post_id")
        return TouchpointData(
            dedupe_key=f"meta:fb:mention:{key}",
            kind="mention",
            actor=actor,
            account=us,
            occurred_at=parse_time(value.get("created_time") or when, raw.received_at),
            post_id=_str(value.get("post_id")),
            post_url=_fb_post_url(_str(value.get("post_id"))),
            text=_str(value.get("message"), 10000),
            is_own=actor.platform_user_id == us,
        )
    if field != "feed":
        return f"page field {field!r}: not used"
    if verb != "add":
        return f"page feed {item} {verb}: not a new touch"
    actor = _actor("facebook", value.get("from"))
    post_id = _str(value.get("post_id"))
    common: dict[str, Any] = {
        "actor": actor,
        "account": us,
        "post_id": post_id,
        "post_url": _fb_post_url(post_id),
        "occurred_at": parse_time(value.get("created_time") or when, raw.received_at),
        "is_own": actor.platform_user_id == us,
    }
    text = _str(value.get("message"), 10000)
    if item == "comment":
        parent = _str(value.get("parent_id"))
        kind = "reply" if parent and parent != post_id else "comment"
        return TouchpointData(
            dedupe_key=f"meta:fb:comment:{value['comment_id']}", kind=kind, text=text, **common
        )
    if item in ("reaction", "like"):
        if item == "like" and not post_id:  # a like of the Page itself is a follow
            return TouchpointData(
                dedupe_key=f"meta:fb:pagelike:{us}:{actor.platform_user_id}",
                kind="follow",
                **{**common, "post_url": None},
            )
        target = value.get("comment_id") or post_id
        # One reaction per person and post: changing 👍 to ❤ arrives as `edited`, not a new add.
        return TouchpointData(
            dedupe_key=f"meta:fb:reaction:{target}:{actor.platform_user_id}", kind="like", **common
        )
    if item == "share":
        share_id = value.get("share_id") or post_id
        return TouchpointData(
            dedupe_key=f"meta:fb:share:{share_id}", kind="share", text=text, **common
        )
    if item in FB_ITEMS_POSTED:
        if common["is_own"]:
            return f"page feed {item} by our own page: not a touch"
        # A visitor posting on our Page speaks to us: the nearest kind is a mention.
        return TouchpointData(
            dedupe_key=f"meta:fb:post:{post_id}", kind="mention", text=text, **common
        )
    return f"page feed item {item!r}: not used"


def _lead(value: dict[str, Any], us: str) -> LeadRef:
    lead_id = _str(value.get("leadgen_id"), 100)
    if not lead_id or not LEAD_ID.fullmatch(lead_id):
        raise ValueError(f"leadgen_id {lead_id!r} is not a Graph id (1 to 20 digits)")
    return LeadRef(
        "meta",
        lead_id,
        account=_str(value.get("page_id"), 200) or us or None,
        form_id=_str(value.get("form_id"), 200),
        # `adgroup_id` is the legacy name; organic and test leads have neither (§1.2).
        ad_id=_str(value.get("ad_id") or value.get("adgroup_id"), 200),
    )


def _message(
    platform: str, event: dict[str, Any], us: str, raw: RawEventView
) -> TouchpointData | str:
    message = event.get("message")
    if not isinstance(message, dict):
        kinds = sorted(k for k in event if k not in ("sender", "recipient", "timestamp"))
        return f"{platform} messaging {'/'.join(kinds) or 'event'}: not used"
    if message.get("is_echo"):
        return f"{platform} message {message.get('mid')}: echo of our own message"
    sender = str(event["sender"]["id"])
    return TouchpointData(
        dedupe_key=f"meta:mid:{message['mid']}",
        kind="dm",
        actor=ProfileData(platform=platform, platform_user_id=sender),
        account=us,
        occurred_at=parse_time(event.get("timestamp"), raw.received_at),
        text=_str(message.get("text"), 10000),
        is_own=sender == us,
    )


def event_ids(payload: dict[str, Any]) -> list[str]:
    """What identifies each change or message of a delivery (for a stable delivery id)."""
    out = []
    for entry in _items(payload.get("entry")):
        if not isinstance(entry, dict):
            continue
        for change in _items(entry.get("changes")):
            raw_value = change.get("value") if isinstance(change, dict) else None
            value: dict[str, Any] = raw_value if isinstance(raw_value, dict) else {}
            who: dict[str, Any] = value["from"] if isinstance(value.get("from"), dict) else {}
            parts = [
                entry.get("id"),
                change.get("field") if isinstance(change, dict) else None,
                value.get("item"),
                value.get("verb"),
                value.get("id"),
                value.get("comment_id"),
                value.get("post_id"),
                value.get("share_id"),
                value.get("media_id"),
                who.get("id"),
                value.get("reaction_type"),
                value.get("created_time"),
            ]
            if value.get("leadgen_id") is not None:
                # A lead carries nothing above but its page and second: two leads of one page
                # in one second would be one delivery. Appended only here, so every other
                # change keeps the id its retries already have (docs/LEAD_FORMS.md).
                parts += [value.get("leadgen_id"), value.get("form_id")]
            out.append(":".join(str(x) for x in parts))
        for event in _items(entry.get("messaging")):
            if isinstance(event, dict):
                message: dict[str, Any] = (
                    event["message"] if isinstance(event.get("message"), dict) else {}
                )
                out.append(f"{entry.get('id')}:mid:{message.get('mid')}:{event.get('timestamp')}")
    return out


def account_ids(payload: dict[str, Any]) -> list[str]:
    return [
        str(e["id"]) for e in _items(payload.get("entry")) if isinstance(e, dict) and e.get("id")
    ]


def normalize(raw: RawEventView) -> Normalized:
    payload = raw.json()
    platform = platform_of(payload)
    out = Normalized()
    if payload.get("object") not in ("instagram", "page"):
        out.ignored.append(f"object {payload.get('object')!r}: not used")
        return out
    for e_index, entry in enumerate(_items(payload.get("entry"))):
        us = str(entry.get("id") or "") if isinstance(entry, dict) else ""
        items: list[tuple[str, Any]] = []
        if isinstance(entry, dict):
            items = [("changes", c) for c in _items(entry.get("changes"))]
            items += [("messaging", m) for m in _items(entry.get("messaging"))]
        else:
            out.errors.append(f"entry[{e_index}]: not an object")
        for i_index, (where, item) in enumerate(items):
            try:
                if where == "messaging":
                    result = _message(platform, item, us, raw)
                elif item["field"] == "leadgen":
                    out.leads.append(_lead(item["value"], us))
                    continue
                elif platform == "instagram":
                    result = _instagram(item["field"], item["value"], us, raw, entry.get("time"))
                else:
                    result = _page(item["field"], item["value"], us, raw, entry.get("time"))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                out.errors.append(
                    f"entry[{e_index}].{where}[{i_index}]: {type(exc).__name__}: {exc}"
                )
                continue
            if isinstance(result, str):
                out.ignored.append(result)
            else:
                out.touchpoints.append(result)
    return out
