"""Input limits, each answered with a precise 4xx and the JSON error body: body size (413),
JSON nesting depth and bracket count (400), field lengths (422 on the schema'd receiver; bounded
truncation in the platform normalisers), and touchpoints per delivery (422 past 100)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from enrich import defaults
from enrich.normalize import RawEventView, normalize
from tests.hardening.conftest import SIGNERS, assert_clean_answer, valid_body

_n = iter(range(50_000, 10**9))


def post(client: FlaskClient, receiver: str, body: bytes) -> Any:
    path, sign = SIGNERS[receiver]
    answer = client.post(path, data=body, headers=sign(body))
    assert_clean_answer(answer)
    return answer


def code(answer: Any) -> tuple[int, str]:
    return answer.status_code, answer.get_json()["error"]["code"]


def touchpoint(i: int, **fields: Any) -> dict[str, Any]:
    return {"platform": "x", "kind": "like", "id": f"lim-{i}", "actor": {"id": f"a{i}"}, **fields}


def standard(data: Any) -> bytes:
    return json.dumps({"type": "touchpoint.created", "data": data}).encode()


@pytest.mark.parametrize("receiver", sorted(SIGNERS))
def test_body_over_one_mib_is_413(mclient: FlaskClient, receiver: str) -> None:
    body = b'{"pad": "' + b"a" * defaults.MAX_WEBHOOK_BYTES + b'"}'
    assert code(post(mclient, receiver, body)) == (413, "request_entity_too_large")


def test_body_at_the_limit_is_read(mclient: FlaskClient) -> None:
    pad = defaults.MAX_WEBHOOK_BYTES - len(standard([touchpoint(0, text="")])) - 200
    body = standard([touchpoint(next(_n), text=None), {**touchpoint(next(_n)), "x": "a" * pad}])
    assert len(body) <= defaults.MAX_WEBHOOK_BYTES
    assert post(mclient, "standard", body).status_code == 200


def test_chunked_body_over_the_limit_is_413_on_a_real_server(served_sqlite: Any) -> None:
    """Without Content-Length (chunked), werkzeug cuts the body at the limit silently; a
    correctly signed 2 MiB delivery must still be a 413, not a 401 for the truncated bytes."""
    body = b'{"for_user_id": "1", "pad": "' + b"a" * (2 * defaults.MAX_WEBHOOK_BYTES) + b'"}'

    def chunks() -> Any:
        for i in range(0, len(body), 64 * 1024):
            yield body[i : i + 64 * 1024]

    path, sign = SIGNERS["x"]
    answer = requests.post(served_sqlite.url + path, data=chunks(), headers=sign(body), timeout=30)
    assert answer.status_code == 413, answer.text[:300]
    assert answer.json()["error"]["code"] == "request_entity_too_large"
    small = valid_body("x", next(_n))  # a chunked delivery under the limit is read whole
    answer = requests.post(
        served_sqlite.url + path,
        data=iter([small[:10], small[10:]]),
        headers=sign(small),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text[:300]


@pytest.mark.parametrize("receiver", sorted(SIGNERS))
def test_json_deeper_than_the_limit_is_400(mclient: FlaskClient, receiver: str) -> None:
    deep = "[" * defaults.MAX_JSON_DEPTH + "]" * defaults.MAX_JSON_DEPTH
    too_deep = "[" * (defaults.MAX_JSON_DEPTH + 1) + "]" * (defaults.MAX_JSON_DEPTH + 1)
    assert (
        post(mclient, receiver, f'{{"a": {too_deep}}}'.encode()).get_json()["error"]["code"]
        == "too_deep"
    )
    ok = post(mclient, receiver, deep.encode())  # parsed; refused for its shape, not its depth
    assert ok.status_code == 422
    # Far deeper than the recursion limit of the JSON parser: still a 400, not a crash.
    hostile = ("[" * 50_000 + "]" * 50_000).encode()
    assert code(post(mclient, receiver, hostile)) == (400, "too_deep")
    hostile = ("[" * 60_000 + "{}" * 50_000 + "]" * 60_000).encode()
    assert code(post(mclient, receiver, hostile)) == (400, "too_complex")


def test_not_utf8_and_not_json_are_400(mclient: FlaskClient) -> None:
    for receiver in sorted(SIGNERS):
        assert post(mclient, receiver, b"\xff\xfe{}").status_code == 400
        assert code(post(mclient, receiver, b"{not json")) == (400, "malformed_json")


def test_wrong_content_type_is_415(mclient: FlaskClient) -> None:
    for receiver, (path, sign) in SIGNERS.items():
        body = valid_body(receiver, next(_n))
        answer = mclient.post(path, data=body, headers={**sign(body), "Content-Type": "text/plain"})
        assert code(answer) == (415, "unsupported_media_type"), receiver


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        (("actor", "id"), 200),
        (("actor", "name"), 500),
        (("actor", "email"), 320),
        (("actor", "bio"), 2000),
        (("text",), 10_000),
        (("post", "text"), 10_000),
        (("platform",), 40),
    ],
)
def test_standard_field_lengths_are_422(
    mclient: FlaskClient, field: tuple[str, ...], limit: int
) -> None:
    def with_value(value: str) -> dict[str, Any]:
        item = touchpoint(next(_n), post={})
        target = item
        for part in field[:-1]:
            target = target[part]
        target[field[-1]] = value
        return item

    assert post(mclient, "standard", standard(with_value("a" * limit))).status_code == 200
    answer = post(mclient, "standard", standard(with_value("a" * (limit + 1))))
    assert code(answer) == (422, "invalid_message")
    assert "/".join(field) in answer.get_json()["error"]["message"]


def test_touchpoints_per_delivery(mclient: FlaskClient) -> None:
    limit = defaults.MAX_TOUCHPOINTS_PER_DELIVERY
    ok = post(mclient, "standard", standard([touchpoint(next(_n)) for _ in range(limit)]))
    assert ok.status_code == 200
    answer = post(mclient, "standard", standard([touchpoint(next(_n)) for _ in range(limit + 1)]))
    assert code(answer) == (422, "invalid_message")
    assert post(mclient, "standard", standard([])).status_code == 422


def test_platform_normalisers_bound_every_stored_field() -> None:
    """X, Meta and LinkedIn have no schema: long values are accepted (the platform decides
    what it sends) and cut to the column sizes when normalised."""
    huge = "b" * 300_000
    now = datetime(2026, 11, 24, tzinfo=UTC)
    x = {
        "for_user_id": "1",
        "tweet_create_events": [
            {
                "id_str": "9",
                "text": huge,
                "entities": {"user_mentions": [{"id_str": "1"}]},
                "user": {
                    "id_str": "7" * 1000,
                    "screen_name": huge,
                    "name": huge,
                    "description": huge,
                    "location": huge,
                },
            }
        ],
    }
    meta = {
        "object": "page",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": "c",
                            "post_id": huge,
                            "from": {"id": "5", "name": huge},
                            "message": huge,
                        },
                    }
                ],
            }
        ],
    }
    for source, payload in (("x", x), ("meta", meta)):
        result = normalize(RawEventView(1, source, "d", json.dumps(payload).encode(), now, None))
        [tp] = result.touchpoints
        assert len(tp.text or "") <= 10_000 and len(tp.actor.name or "") <= 300
        assert len(tp.actor.platform_user_id) <= 500 and len(tp.post_id or "") <= 500
        assert len(tp.actor.bio or "") <= 2000 and len(tp.actor.handle or "") <= 200
