"""Hostile and broken requests to the card routes: each gets a precise JSON 4xx before any
record is read, and a correctly signed request gets its card."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.embed.conftest import (
    HS_CONTACT,
    HS_SECRET,
    PUBLIC,
    SF_CONTACT,
    Crm,
    hubspot_headers,
    hubspot_path,
    salesforce_headers,
)


def error(answer: Any, status: int) -> str:
    assert answer.status_code == status, answer.get_data(as_text=True)
    return str(answer.get_json()["error"]["code"])


def test_a_correctly_signed_hubspot_request_is_answered(client: FlaskClient) -> None:
    path = hubspot_path("card", "0-1", HS_CONTACT)
    answer = client.get(path, headers=hubspot_headers("GET", PUBLIC + path))
    assert answer.status_code == 200 and answer.get_json()["empty"] is True


def test_the_signature_covers_the_uri_with_hubspots_decoded_characters(client: FlaskClient) -> None:
    # An email in the query arrives percent-encoded (%40); HubSpot signs it decoded.
    path = hubspot_path("card", "0-1", HS_CONTACT)
    assert "rep%40acme.example" in path
    assert client.get(path, headers=hubspot_headers("GET", PUBLIC + path)).status_code == 200
    # Signed over the URI with %40 left encoded (not what HubSpot does), it is refused.
    stamp = str(int(time.time() * 1000))
    digest = hmac.new(HS_SECRET.encode(), f"GET{PUBLIC}{path}{stamp}".encode(), hashlib.sha256)
    raw = {
        "X-HubSpot-Signature-v3": base64.b64encode(digest.digest()).decode(),
        "X-HubSpot-Request-Timestamp": stamp,
    }
    assert client.get(path, headers=raw).status_code == 401


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"secret": "another-apps-secret"}, "bad_signature"),
        ({"age_ms": 5 * 60 * 1000 + 1000}, "stale_timestamp"),
        ({"age_ms": -6 * 60 * 1000}, "future_timestamp"),
    ],
)
def test_wrong_secret_and_old_or_future_timestamps_are_401(
    client: FlaskClient, change: dict[str, Any], code: str
) -> None:
    path = hubspot_path("card", "0-1", HS_CONTACT)
    if "age_ms" in change:  # relative to when the test runs, not when it was collected
        change = {"timestamp_ms": int(time.time() * 1000) - change["age_ms"]}
    answer = client.get(path, headers=hubspot_headers("GET", PUBLIC + path, **change))
    assert error(answer, 401) == code


def test_a_signature_for_another_record_or_host_does_not_open_this_one(client: FlaskClient) -> None:
    signed_for = hubspot_path("card", "0-1", "555")
    asked = hubspot_path("card", "0-1", HS_CONTACT)
    assert (
        error(client.get(asked, headers=hubspot_headers("GET", PUBLIC + signed_for)), 401)
        == "bad_signature"
    )
    assert (
        error(
            client.get(asked, headers=hubspot_headers("GET", "https://evil.example" + asked)), 401
        )
        == "bad_signature"
    )


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_signature"),
        (
            {"X-HubSpot-Signature-v3": "abc", "X-HubSpot-Request-Timestamp": "yesterday"},
            "bad_timestamp",
        ),
    ],
)
def test_missing_or_malformed_signature_headers(
    client: FlaskClient, headers: dict[str, str], code: str
) -> None:
    answer = client.get(hubspot_path("card", "0-1", HS_CONTACT), headers=headers)
    assert error(answer, 401) == code


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"objectTypeId": "0-3"}, 400, "unsupported_object"),
        ({"objectId": "12; DROP TABLE"}, 400, "bad_object_id"),
        ({"userId": ""}, 400, "missing_user"),
    ],
)
def test_signed_but_unusable_queries(
    client: FlaskClient, query: dict[str, str], status: int, code: str
) -> None:
    base = {"objectTypeId": "0-1", "objectId": HS_CONTACT, **query}
    path = hubspot_path("card", base.pop("objectTypeId"), base.pop("objectId"), **base)
    assert error(client.get(path, headers=hubspot_headers("GET", PUBLIC + path)), status) == code


def test_a_user_id_given_twice_with_different_values_is_refused(client: FlaskClient) -> None:
    path = hubspot_path("card", "0-1", HS_CONTACT) + "&userId=1"
    answer = client.get(path, headers=hubspot_headers("GET", PUBLIC + path))
    assert error(answer, 400) == "conflicting_parameter"


def test_oversized_bodies_are_413_before_any_check(client: FlaskClient) -> None:
    path = hubspot_path("not-this-person", "0-1", HS_CONTACT)
    body = b'{"linkId": 1, "pad": "' + b"x" * 20_000 + b'"}'
    answer = client.post(
        path,
        data=body,
        headers={
            **hubspot_headers("POST", PUBLIC + path, body),
            "Content-Type": "application/json",
        },
    )
    assert error(answer, 413) == "request_entity_too_large"


def test_a_replayed_not_this_person_request_is_refused(crm: Crm, client: FlaskClient) -> None:
    path = hubspot_path("not-this-person", "0-1", HS_CONTACT)
    body = b'{"linkId": 999}'
    headers = {**hubspot_headers("POST", PUBLIC + path, body), "Content-Type": "application/json"}
    assert error(client.post(path, data=body, headers=headers), 404) == "unknown_record"
    assert error(client.post(path, data=body, headers=headers), 401) == "replayed"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"linkId": ', 400, "malformed_json"),
        (b'{"linkId": "7"}', 422, "bad_link_id"),
        (b'{"linkId": 99999999999999999999999}', 422, "bad_link_id"),
        (b"[1]", 422, "bad_link_id"),
        (b"\xff\xfe", 400, "invalid_encoding"),
    ],
)
def test_bad_json_for_not_this_person(crm: Crm, body: bytes, status: int, code: str) -> None:
    assert (
        error(crm.hubspot("not-this-person", "0-1", HS_CONTACT, body, method="POST"), status)
        == code
    )


def test_not_this_person_needs_json(crm: Crm) -> None:
    answer = crm.salesforce(
        "not-this-person",
        SF_CONTACT,
        b"linkId=1",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert error(answer, 415) == "unsupported_media_type"


def test_a_body_without_content_type_is_read_as_json(crm: Crm, world: dict[str, int]) -> None:
    answer = crm.hubspot(
        "not-this-person",
        "0-1",
        HS_CONTACT,
        b'{"linkId": 424242}',
        method="POST",
        headers={"Content-Type": ""},
    )
    assert error(answer, 404) == "unknown_link"


def test_unknown_link_ids_are_404(crm: Crm, world: dict[str, int]) -> None:
    answer = crm.salesforce("not-this-person", SF_CONTACT, b'{"linkId": 424242}', method="POST")
    assert error(answer, 404) == "unknown_link"


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"X-Enrich-Card-Key": ""}, 401, "missing_key"),
        ({"X-Enrich-Card-Key": "x" * 46}, 401, "bad_key"),
        ({"X-Enrich-User-Id": "001000000000001AAA"}, 400, "missing_user"),
        ({"X-Enrich-User-Id": ""}, 400, "missing_user"),
    ],
)
def test_salesforce_requests_without_the_orgs_key_or_a_user(
    client: FlaskClient, headers: dict[str, str], status: int, code: str
) -> None:
    sent = {**salesforce_headers(), **headers}
    answer = client.get(f"/embed/salesforce/card?recordId={SF_CONTACT}", headers=sent)
    assert error(answer, status) == code


@pytest.mark.parametrize(
    "record_id", ["006000000000001AAA", "003000000000001", "003", "003'--", ""]
)
def test_salesforce_ids_other_than_contact_lead_account_are_400(crm: Crm, record_id: str) -> None:
    assert error(crm.salesforce("card", record_id), 400) == "bad_record_id"


def test_a_get_with_a_body_is_refused(crm: Crm) -> None:
    assert error(crm.salesforce("card", SF_CONTACT, b"{}"), 400) == "unexpected_body"


def test_a_chunked_body_over_the_limit_is_413(crm: Crm, client: FlaskClient) -> None:
    # No Content-Length to refuse on: the body is cut at the limit and refused, never verified.
    big = io.BytesIO(b'{"linkId": 1, "pad": "' + b"x" * 40_000 + b'"}')
    answer = client.post(
        f"/embed/salesforce/not-this-person?recordId={SF_CONTACT}",
        input_stream=big,
        headers={
            **salesforce_headers(),
            "Transfer-Encoding": "chunked",
            "Content-Type": "application/json",
        },
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert error(answer, 413) == "request_entity_too_large"
