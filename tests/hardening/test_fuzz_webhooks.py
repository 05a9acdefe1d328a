"""Property tests: the four receivers' POST handlers never answer 5xx or leak a traceback, for
arbitrary bodies and headers, unsigned (refused at the signature) and correctly signed (so the
JSON parser, the shape checks, the delivery-id derivation and the schema are all reached)."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hardening.conftest import SIGNATURE_HEADER, SIGNERS, assert_clean_answer

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RECEIVERS = st.sampled_from(sorted(SIGNERS))

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
any_json = st.recursive(
    scalars,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=4)
    ),
    max_leaves=20,
)


def _maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A documented field, or any JSON in its place (wrong types are the interesting case)."""
    return st.one_of(value, any_json)


user = st.fixed_dictionaries(
    {},
    optional={
        "id_str": _maybe(st.text(max_size=12)),
        "id": _maybe(st.integers(0, 2**64)),
        "screen_name": _maybe(st.text(max_size=12)),
        "name": any_json,
        "description": any_json,
        "entities": any_json,
    },
)
tweet = st.fixed_dictionaries(
    {},
    optional={
        "id_str": _maybe(st.text(max_size=12)),
        "user": _maybe(user),
        "text": any_json,
        "in_reply_to_status_id_str": any_json,
        "in_reply_to_user_id_str": any_json,
        "retweeted_status": any_json,
        "quoted_status": any_json,
        "timestamp_ms": any_json,
        "created_at": any_json,
        "entities": any_json,
    },
)
x_payload = st.fixed_dictionaries(
    {"for_user_id": _maybe(st.text(min_size=1, max_size=12))},
    optional={
        "favorite_events": _maybe(
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "id": any_json,
                        "user": _maybe(user),
                        "favorited_status": _maybe(tweet),
                        "created_at": any_json,
                        "timestamp_ms": any_json,
                    },
                ),
                max_size=3,
            )
        ),
        "tweet_create_events": _maybe(st.lists(tweet, max_size=3)),
        "follow_events": _maybe(
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "type": _maybe(st.sampled_from(["follow", "unfollow"])),
                        "source": _maybe(user),
                        "target": _maybe(user),
                        "created_timestamp": any_json,
                    },
                ),
                max_size=3,
            )
        ),
        "direct_message_events": _maybe(
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "type": _maybe(st.just("message_create")),
                        "id": any_json,
                        "created_timestamp": any_json,
                        "message_create": any_json,
                    },
                ),
                max_size=3,
            )
        ),
        "users": any_json,
    },
)
meta_value = st.fixed_dictionaries(
    {},
    optional={
        "item": _maybe(st.sampled_from(["comment", "reaction", "share", "post", "like"])),
        "verb": _maybe(st.sampled_from(["add", "edit", "remove"])),
        "comment_id": any_json,
        "post_id": any_json,
        "from": _maybe(st.fixed_dictionaries({"id": any_json})),
        "parent_id": any_json,
        "message": any_json,
        "created_time": any_json,
        "media": any_json,
        "text": any_json,
        "sender_id": any_json,
        "reaction_type": any_json,
    },
)
meta_payload = st.fixed_dictionaries(
    {
        "object": _maybe(st.sampled_from(["page", "instagram"])),
        "entry": st.lists(
            _maybe(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "id": any_json,
                        "time": any_json,
                        "changes": _maybe(
                            st.lists(
                                _maybe(
                                    st.fixed_dictionaries(
                                        {},
                                        optional={
                                            "field": _maybe(
                                                st.sampled_from(["feed", "comments", "mentions"])
                                            ),
                                            "value": _maybe(meta_value),
                                        },
                                    )
                                ),
                                max_size=3,
                            )
                        ),
                        "messaging": _maybe(st.lists(any_json, max_size=3)),
                    },
                )
            ),
            max_size=3,
        ),
    }
)
linkedin_payload = st.fixed_dictionaries(
    {
        "notifications": st.lists(
            _maybe(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "notificationId": any_json,
                        "organizationalEntity": any_json,
                        "action": _maybe(
                            st.sampled_from(
                                [
                                    "LIKE",
                                    "COMMENT",
                                    "SHARE",
                                    "SHARE_MENTION",
                                    "ADMIN_COMMENT",
                                    "COMMENT_EDIT",
                                ]
                            )
                        ),
                        "actor": any_json,
                        "sourcePost": any_json,
                        "decoratedGeneratedActivity": any_json,
                        "decoratedSourcePost": any_json,
                        "lastModifiedAt": any_json,
                    },
                )
            ),
            max_size=3,
        )
    },
    optional={"type": any_json},
)
standard_item = st.fixed_dictionaries(
    {},
    optional={
        "platform": _maybe(st.text(min_size=1, max_size=10)),
        "kind": _maybe(st.sampled_from(["like", "comment", "dm", "repost"])),
        "actor": _maybe(
            st.fixed_dictionaries(
                {"id": _maybe(st.text(min_size=1, max_size=10))},
                optional={"email": any_json, "name": any_json},
            )
        ),
        "occurred_at": any_json,
        "post": any_json,
        "text": any_json,
        "id": any_json,
    },
)
standard_payload = st.fixed_dictionaries(
    {
        "type": _maybe(st.just("touchpoint.created")),
        "data": _maybe(st.one_of(standard_item, st.lists(standard_item, max_size=3))),
    },
    optional={"timestamp": any_json},
)
SHAPED = {
    "x": x_payload,
    "meta": meta_payload,
    "linkedin": linkedin_payload,
    "standard": standard_payload,
}

header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "",
        "application/x-www-form-urlencoded",
    ]
)
bodies = st.one_of(st.binary(max_size=600), any_json.map(lambda v: json.dumps(v).encode()))


@FUZZ
@given(
    receiver=RECEIVERS,
    body=bodies,
    content_type=content_types,
    signature=header_text,
    extra=st.dictionaries(
        st.sampled_from(["webhook-id", "webhook-timestamp", "Content-Encoding", "X-Forwarded-For"]),
        header_text,
        max_size=3,
    ),
)
def test_unsigned_or_garbage_signed_never_5xx(
    mclient: FlaskClient,
    receiver: str,
    body: bytes,
    content_type: str,
    signature: str,
    extra: dict[str, str],
) -> None:
    path, _ = SIGNERS[receiver]
    headers = {**extra, SIGNATURE_HEADER[receiver]: signature}
    if content_type:
        headers["Content-Type"] = content_type
    answer = mclient.post(path, data=body, headers=headers)
    assert_clean_answer(answer)
    assert answer.status_code in (401, 404, 400, 415), answer.get_json()


@FUZZ
@given(receiver=RECEIVERS, body=bodies)
def test_correctly_signed_arbitrary_bodies_never_5xx(
    mclient: FlaskClient, receiver: str, body: bytes
) -> None:
    path, sign = SIGNERS[receiver]
    answer = mclient.post(path, data=body, headers=sign(body))
    assert_clean_answer(answer)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), receiver=RECEIVERS)
def test_correctly_signed_platform_shaped_payloads_never_5xx(
    mclient: FlaskClient, data: Any, receiver: str
) -> None:
    payload = data.draw(SHAPED[receiver])
    body = json.dumps(payload).encode()
    path, sign = SIGNERS[receiver]
    answer = mclient.post(path, data=body, headers=sign(body))
    assert_clean_answer(answer)
    if answer.status_code == 200:
        assert answer.get_json()["status"] in ("accepted", "duplicate")
