"""X Account Activity API delivery → touchpoints (likes, replies, quotes, retweets, mentions,
follows, DMs). `for_user_id` is our account; actions it performed itself are `is_own`.

Dedupe keys are X's own ids (the favorite event id, the tweet id, the DM id; a follow has none,
so its type, both users and its time), so the copy X sends per subscribed user and per retry
never counts twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from enrich.normalize.base import (
    Normalized,
    ProfileData,
    RawEventView,
    TouchpointData,
    parse_time,
    plausible,
    website_text,
)

PLATFORM = "x"
USED = ("favorite_events", "tweet_create_events", "follow_events", "direct_message_events")


def _str(value: Any, limit: int = 500) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text[:limit] or None


def profile(user: dict[str, Any]) -> ProfileData:
    """A v1.1 User object (or a DM `users` map entry, which uses `id` as a string)."""
    user_id = _str(user.get("id_str")) or _str(user.get("id"))
    if not user_id:
        raise ValueError("user without id_str")
    handle = _str(user.get("screen_name"), 200)
    urls = ((user.get("entities") or {}).get("url") or {}).get("urls") or []
    website = _str(urls[0].get("expanded_url")) if urls and isinstance(urls[0], dict) else None
    return ProfileData(
        platform=PLATFORM,
        platform_user_id=user_id,
        handle=handle,
        name=_str(user.get("name"), 300),
        bio=_str(user.get("description"), 2000),
        location=_str(user.get("location"), 300),
        url=f"https://x.com/{handle}" if handle else None,
        website=website_text(website or _str(user.get("url"))),
    )


def tweet_time(tweet: dict[str, Any], fallback: datetime) -> datetime:
    if tweet.get("timestamp_ms"):
        return parse_time(tweet["timestamp_ms"], fallback)
    try:  # v1.1 format: "Tue Mar 03 10:15:00 +0000 2026"
        parsed = datetime.strptime(str(tweet["created_at"]), "%a %b %d %H:%M:%S %z %Y")
        if plausible(parsed):
            return parsed.astimezone(UTC)
    except (KeyError, ValueError):
        pass
    return parse_time(None, fallback)


def tweet_text(tweet: dict[str, Any]) -> str | None:
    extended = tweet.get("extended_tweet") or {}
    return _str(extended.get("full_text") or tweet.get("full_text") or tweet.get("text"), 10000)


def tweet_url(tweet: dict[str, Any]) -> str | None:
    tweet_id = _str(tweet.get("id_str"))
    handle = _str((tweet.get("user") or {}).get("screen_name"))
    if not tweet_id:
        return None
    return f"https://x.com/{handle or 'i/web'}/status/{tweet_id}"


def classify(tweet: dict[str, Any], us: str) -> tuple[str, dict[str, Any] | None] | None:
    """(kind, the post engaged with) of a tweet in tweet_create_events; None = not a touch."""
    if isinstance(tweet.get("retweeted_status"), dict):
        return "share", tweet["retweeted_status"]
    if isinstance(tweet.get("quoted_status"), dict) or tweet.get("is_quote_status"):
        quoted = tweet.get("quoted_status")
        if not isinstance(quoted, dict):
            quoted = {"id_str": tweet.get("quoted_status_id_str")}
        return "quote", quoted
    replied = _str(tweet.get("in_reply_to_status_id_str"))
    reply_post = {"id_str": replied, "user": {"screen_name": tweet.get("in_reply_to_screen_name")}}
    if replied and _str(tweet.get("in_reply_to_user_id_str")) == us:
        return "reply", reply_post
    mentions = (tweet.get("entities") or {}).get("user_mentions") or []
    if any(isinstance(m, dict) and _str(m.get("id_str")) == us for m in mentions):
        return "mention", None
    if replied:  # a reply in a thread we are part of
        return "reply", reply_post
    return None


def _post_fields(post: dict[str, Any] | None) -> dict[str, str | None]:
    if not post:
        return {}
    return {
        "post_id": _str(post.get("id_str")),
        "post_url": tweet_url(post),
        "post_text": tweet_text(post),
    }


def _favorite(event: dict[str, Any], us: str, raw: RawEventView) -> TouchpointData:
    actor = profile(event["user"])
    return TouchpointData(
        dedupe_key=f"x:favorite:{event['id']}",
        kind="like",
        actor=actor,
        account=us,
        occurred_at=tweet_time(event, raw.received_at),
        is_own=actor.platform_user_id == us,
        **_post_fields(event.get("favorited_status")),
    )


def _tweet(tweet: dict[str, Any], us: str, raw: RawEventView) -> TouchpointData | str:
    actor = profile(tweet["user"])
    found = classify(tweet, us)
    if found is None:
        return f"tweet {tweet.get('id_str')}: neither a reply, quote, retweet nor mention of us"
    kind, post = found
    if kind == "mention":  # the mentioning post is itself where the touch happened
        post = tweet
    text = None if kind == "share" else tweet_text(tweet)
    return TouchpointData(
        dedupe_key=f"x:tweet:{tweet['id_str']}",
        kind=kind,
        actor=actor,
        account=us,
        occurred_at=tweet_time(tweet, raw.received_at),
        text=text,
        is_own=actor.platform_user_id == us,
        **_post_fields(post),
    )


def _follow(event: dict[str, Any], us: str, raw: RawEventView) -> TouchpointData | str:
    kind = event.get("type")
    if kind not in ("follow", "unfollow"):
        return f"follow event of type {kind!r}"
    actor, target = profile(event["source"]), profile(event["target"])
    when = event.get("created_timestamp")
    return TouchpointData(
        dedupe_key=f"x:{kind}:{actor.platform_user_id}:{target.platform_user_id}:{when}",
        kind=kind,
        actor=actor,
        account=us,
        occurred_at=parse_time(when, raw.received_at),
        is_own=actor.platform_user_id == us,
    )


def _dm(
    event: dict[str, Any], users: dict[str, Any], us: str, raw: RawEventView
) -> TouchpointData | str:
    if event.get("type") != "message_create":
        return f"direct message event of type {event.get('type')!r}"
    create = event["message_create"]
    sender = str(create["sender_id"])
    actor = profile(users.get(sender) or {"id": sender})
    return TouchpointData(
        dedupe_key=f"x:dm:{event['id']}",
        kind="dm",
        actor=actor,
        account=us,
        occurred_at=parse_time(event.get("created_timestamp"), raw.received_at),
        text=_str((create.get("message_data") or {}).get("text"), 10000),
        is_own=sender == us,
    )


def event_ids(payload: dict[str, Any]) -> list[str]:
    """What identifies each event of a delivery (for a stable delivery id)."""
    out = []
    for key, events in payload.items():
        if isinstance(events, list):
            for index, event in enumerate(events):
                if isinstance(event, dict):
                    source, target = (
                        v if isinstance(v, dict) else {}
                        for v in (event.get("source"), event.get("target"))
                    )
                    ident = (
                        event.get("id_str")
                        or event.get("id")
                        or ":".join(
                            str(x)
                            for x in (
                                source.get("id_str") or source.get("id"),
                                target.get("id_str") or target.get("id"),
                                event.get("created_timestamp"),
                            )
                        )
                    )
                    out.append(f"{key}:{ident}")
                else:
                    out.append(f"{key}:{index}:{event!r}")
    return out


def normalize(raw: RawEventView) -> Normalized:
    payload = raw.json()
    out = Normalized()
    us = str(payload.get("for_user_id") or raw.account or "")
    users = payload.get("users") if isinstance(payload.get("users"), dict) else {}
    for key, events in payload.items():
        if key in ("for_user_id", "users", "apps", "user_has_blocked"):
            continue
        if key not in USED:
            out.ignored.append(f"{key}: not used")
            continue
        for index, event in enumerate(events if isinstance(events, list) else [events]):
            try:
                if key == "favorite_events":
                    result: TouchpointData | str = _favorite(event, us, raw)
                elif key == "tweet_create_events":
                    result = _tweet(event, us, raw)
                elif key == "follow_events":
                    result = _follow(event, us, raw)
                else:
                    result = _dm(event, users, us, raw)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                out.errors.append(f"{key}[{index}]: {type(exc).__name__}: {exc}")
                continue
            if isinstance(result, str):
                out.ignored.append(result)
            else:
                out.touchpoints.append(result)
    return out
