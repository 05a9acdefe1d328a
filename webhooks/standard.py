"""`POST /webhooks/standard/<source>`: any source signing with the Standard Webhooks scheme.

The body is enrich's own touchpoint message, validated against `schemas/touchpoint.json`.
Secrets: STANDARD_WEBHOOK_SECRETS=`source=whsec_...` pairs (a source listed twice = rotation).
"""

from __future__ import annotations

import binascii
import json
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Any

from flask import Blueprint, Response, request
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from enrich import defaults
from enrich.normalize import plausible
from enrich.runtime import current
from webhooks.gate import accept, parse_json, raw_body, reject, require_json_content_type

bp = Blueprint("webhooks_standard", __name__)
SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
_ENVIRON_KEYS = [(h, "HTTP_" + h.upper().replace("-", "_")) for h in SIGNATURE_HEADERS]


@cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        files("webhooks").joinpath("schemas/touchpoint.json").read_text()
    )
    return schema


@cache
def _fast_validator() -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(_schema(), validate_formats=True)


@cache
def touchpoint_validator() -> Draft202012Validator:
    return Draft202012Validator(_schema(), format_checker=FormatChecker())


def validate_message(message: Any) -> None:
    """Rust validator for the hot path; the pure-Python one only to word a precise error."""
    if _fast_validator().is_valid(message):
        return
    error = best_match(touchpoint_validator().iter_errors(message))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        text = error.message
    else:  # a format only the Rust validator checks (e.g. date-time)
        first = next(iter(_fast_validator().iter_errors(message)))
        where = "/".join(str(p) for p in first.instance_path) or "(root)"
        text = first.message
    raise reject(422, "invalid_message", f"{where}: {text[:300]}")


def check_times(message: dict[str, Any]) -> None:
    """A schema-valid date-time can still be no moment a touchpoint happened, or none a database
    holds in UTC (`9999-12-31T23:59:59-14:00`): refuse it here rather than store a delivery
    processing cannot use."""
    data = message["data"]
    items = data if isinstance(data, list) else [data]
    fields = [("timestamp", message.get("timestamp"))] + [
        (
            f"data/{i}/occurred_at" if isinstance(data, list) else "data/occurred_at",
            item.get("occurred_at"),
        )
        for i, item in enumerate(items)
    ]
    for where, value in fields:
        if value is None:
            continue
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            ok = plausible(when if when.tzinfo else when.replace(tzinfo=UTC))
        except ValueError:  # a date-time RFC 3339 allows and Python cannot read (leap second)
            ok = False
        if not ok:
            raise reject(
                422,
                "invalid_message",
                f"{where}: {value[:64]} is not a time a "
                f"touchpoint can have happened (from {defaults.EARLIEST_OCCURRED_AT[:10]} "
                "to a day from now)",
            )


@cache
def _webhook(secret: str) -> Webhook:
    # Decoding the whsec_ secret costs as much as checking the signature: once per secret.
    return Webhook(secret)


def verify(source: str, body: bytes, headers: dict[str, str]) -> None:
    secrets = current().settings.standard_secrets().get(source)
    if not secrets:
        raise reject(
            404, "unknown_source", f"no Standard Webhooks secret configured for {source!r}"
        )
    if not all(headers.get(h) for h in SIGNATURE_HEADERS):
        raise reject(
            401, "missing_signature", "webhook-id, webhook-timestamp and webhook-signature required"
        )
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise reject(400, "invalid_encoding", f"body is not UTF-8 (byte {exc.start})") from exc
    last_error = "no matching signature"
    for secret in secrets:
        try:
            _webhook(secret).verify(body, headers, json_parse=False)
            return
        except WebhookVerificationError as exc:
            last_error = str(exc).lower()
        except (ValueError, binascii.Error) as exc:  # truncated / non-base64 / non-UTF-8 parts
            last_error = f"malformed signature header ({type(exc).__name__})"
    stale = "too old" in last_error or "too new" in last_error
    code = "stale_timestamp" if stale else "bad_signature"
    raise reject(401, code, f"signature check failed: {last_error}")


@bp.post("/webhooks/standard/<source>")
def receive(source: str) -> Response:
    body = raw_body()
    require_json_content_type()
    environ = request.environ
    headers = {h: environ.get(key, "") for h, key in _ENVIRON_KEYS}
    verify(source, body, headers)
    message = parse_json(body)
    validate_message(message)
    check_times(message)
    return accept(source=f"standard:{source}", delivery_id=headers["webhook-id"], body=body)
