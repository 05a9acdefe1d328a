"""The X, Meta and LinkedIn normalisers as pure functions: RawEventView in, touchpoints out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from enrich.normalize import RawEventView, normalize

RECEIVED = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def view(source: str, payload: Any) -> RawEventView:
    return RawEventView(1, source, "d-1", json.dumps(payload).encode(), RECEIVED)


def test_x_like_carries_actor_profile_post_and_time() -> None:
    payload = {
        "for_user_id": "1",
        "favorite_events": [
            {
                "id": "f1",
                "created_at": "Tue Mar 03 10:15:00 +0000 2026",
                "favorited_status": {
                    "id_str": "9",
                    "text": "Q1",
                    "user": {"id_str": "1", "screen_name": "acme"},
                },
                "user": {
                    "id_str": "2",
                    "screen_name": "dana",
                    "name": "Dana",
                    "description": "CISO",
                    "location": "Berlin",
                    "url": "https://t.co/x",
                },
            }
        ],
    }
    [tp] = normalize(view("x", payload)).touchpoints
    assert (tp.kind, tp.post_id, tp.post_text, tp.account) == ("like", "9", "Q1", "1")
    assert tp.occurred_at == datetime(2026, 3, 3, 10, 15, tzinfo=UTC)
    assert (tp.actor.handle, tp.actor.bio, tp.actor.url) == ("dana", "CISO", "https://x.com/dana")


def test_x_own_plain_post_is_not_a_touch() -> None:
    payload = {
        "for_user_id": "1",
        "tweet_create_events": [{"id_str": "5", "text": "hello world", "user": {"id_str": "1"}}],
    }
    result = normalize(view("x", payload))
    assert result.touchpoints == [] and result.ignored


def test_meta_instagram_keeps_username_and_scoped_id() -> None:
    payload = {
        "object": "instagram",
        "entry": [
            {
                "id": "IG1",
                "time": 1772532900,
                "changes": [
                    {
                        "field": "comments",
                        "value": {
                            "id": "c1",
                            "text": "hi",
                            "from": {"id": "igsid", "username": "joerg"},
                            "media": {"id": "m1"},
                        },
                    }
                ],
            }
        ],
    }
    [tp] = normalize(view("meta", payload)).touchpoints
    assert (tp.actor.platform, tp.actor.platform_user_id, tp.actor.handle) == (
        "instagram",
        "igsid",
        "joerg",
    )
    assert tp.actor.url == "https://www.instagram.com/joerg/"
    assert tp.occurred_at == datetime.fromtimestamp(1772532900, UTC)


def test_meta_reaction_change_is_one_touch_per_person_and_post() -> None:
    def reaction(verb: str, kind: str) -> dict[str, Any]:
        return {
            "field": "feed",
            "value": {
                "item": "reaction",
                "verb": verb,
                "reaction_type": kind,
                "post_id": "P_1",
                "from": {"id": "u", "name": "U"},
            },
        }

    payload = {
        "object": "page",
        "entry": [{"id": "P", "changes": [reaction("add", "like"), reaction("edited", "love")]}],
    }
    result = normalize(view("meta", payload))
    assert [tp.dedupe_key for tp in result.touchpoints] == ["meta:fb:reaction:P_1:u"]
    assert result.ignored == ["page feed reaction edited: not a new touch"]


def test_meta_page_like_without_post_is_a_follow() -> None:
    payload = {
        "object": "page",
        "entry": [
            {
                "id": "P",
                "changes": [
                    {"field": "feed", "value": {"item": "like", "verb": "add", "from": {"id": "u"}}}
                ],
            }
        ],
    }
    [tp] = normalize(view("meta", payload)).touchpoints
    assert tp.kind == "follow"


def test_meta_non_object_entry_is_an_error_not_a_crash() -> None:
    result = normalize(view("meta", {"object": "page", "entry": ["junk", {"id": "P"}]}))
    assert result.errors == ["entry[0]: not an object"]


def test_linkedin_share_text_and_own_admin_comment() -> None:
    payload = {
        "notifications": [
            {
                "notificationId": 1,
                "organizationalEntity": "urn:li:organization:1",
                "action": "SHARE",
                "sourcePost": "urn:li:ugcPost:2",
                "decoratedSourcePost": {"text": {"text": "Our post"}},
                "decoratedGeneratedActivity": {
                    "share": {"owner": "urn:li:person:A", "text": {"text": "Read this"}}
                },
            },
            {
                "notificationId": 2,
                "organizationalEntity": "urn:li:organization:1",
                "action": "ADMIN_COMMENT",
                "sourcePost": "urn:li:ugcPost:2",
            },
        ]
    }
    share, admin = normalize(view("linkedin", payload)).touchpoints
    assert (share.kind, share.text, share.post_text, share.is_own) == (
        "share",
        "Read this",
        "Our post",
        False,
    )
    assert (admin.actor.platform_user_id, admin.is_own) == ("urn:li:organization:1", True)


def test_linkedin_unknown_type_is_ignored() -> None:
    result = normalize(view("linkedin", {"type": "SOMETHING_ELSE", "notifications": []}))
    assert result.touchpoints == [] and result.ignored
