"""The gate every receiver passes a delivery through, in this order:

size limit (Flask's MAX_CONTENT_LENGTH → 413) → content type → signature on the raw bytes
(constant time, per platform) → parse → store the RawEvent (idempotent) → answer 2xx → enqueue.

Receivers (one module per platform) supply the signature check and the delivery id; this module
supplies the rest so every platform refuses bad input with the same precise JSON 4xx.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Response, current_app, request

from enrich import defaults
from enrich.errors import WebhookRejected
from enrich.pipeline import INGEST_KEY, process_pending
from enrich.runtime import current
from webhooks.store import store_raw_event


def reject(status: int, code: str, message: str) -> WebhookRejected:
    return WebhookRejected(status, code, message)


def raw_body() -> bytes:
    """The body exactly as received (Flask has already enforced MAX_CONTENT_LENGTH)."""
    body = request.get_data(cache=True)
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.content_length is None and limit is not None and len(body) >= limit:
        # A chunked body (no Content-Length) is cut at the limit by werkzeug without an error;
        # refuse it as too large rather than verify a truncated body (that would be a 401).
        raise reject(413, "request_entity_too_large", f"body larger than {limit} bytes")
    return body


def require_json_content_type() -> None:
    if request.mimetype != "application/json":
        raise reject(
            415,
            "unsupported_media_type",
            f"expected Content-Type application/json, got {request.mimetype or 'none'}",
        )


def _depth(value: Any, limit: int) -> int:
    # Iterative, so a hostile 100k-deep document cannot exhaust the stack.
    stack = [(value, 1)]
    deepest = 0
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def parse_json(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise reject(400, "invalid_encoding", f"body is not UTF-8 (byte {exc.start})") from exc
    containers = text.count("[") + text.count("{")
    if containers > 100_000:
        raise reject(400, "too_complex", "body has too many nested structures")
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise reject(400, "too_deep", f"JSON nested deeper than {defaults.MAX_JSON_DEPTH}") from exc
    except ValueError as exc:
        raise reject(400, "malformed_json", f"body is not valid JSON: {exc}") from exc
    # A document is at most one deeper than it has containers ('[' and '{' in strings count
    # too), so only one with that many brackets can be too deep: walk only that one.
    if containers >= defaults.MAX_JSON_DEPTH and _depth(value, defaults.MAX_JSON_DEPTH) > (
        defaults.MAX_JSON_DEPTH
    ):
        raise reject(400, "too_deep", f"JSON nested deeper than {defaults.MAX_JSON_DEPTH}")
    if _SUSPECT_ESCAPE.search(text) and not _storable(value):
        raise reject(
            400,
            "invalid_string",
            "a string holds U+0000 or an unpaired surrogate "
            "(\\ud800-\\udfff), which no database stores as text",
        )
    return value


# Only these escapes make strings a database refuses (PostgreSQL text holds no NUL; UTF-8 has no
# lone surrogates): raw control characters are already JSON syntax errors.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


def _storable(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return False
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return True


# As werkzeug reads them: the body's type and length come from CONTENT_TYPE/CONTENT_LENGTH.
_NOT_HEADERS = {"HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"}


def environ_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers, named as sent in lower case, read straight off the WSGI environ
    (werkzeug's header view builds each name anew on every read)."""
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_") and key not in _NOT_HEADERS
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


def handshake_token(
    param: str, code: str, shape: re.Pattern[str], what: str, *, signed: bool = True
) -> str:
    """A handshake's challenge, refused unless it has the shape the platform sends.

    X and LinkedIn answer a challenge with an HMAC under the very secret that signs deliveries,
    so a challenge that could be a delivery body would make the handshake a signing oracle:
    only short tokens of an alphabet no JSON object (nor `hmacsha256=` + body) can be written in
    are answered, and never one that parses as JSON (docs/RELIABILITY.md, threat model). An
    echoed challenge (`signed=False`, Meta) is held to its shape alone.
    """
    value = request.args.get(param, "")
    if not value:
        raise reject(400, f"missing_{code}", f"{param} required: {what}")
    if not shape.fullmatch(value) or (signed and _parses_as_json(value)):
        raise reject(
            400, f"invalid_{code}", f"{param} is not of the shape the platform sends ({what})"
        )
    return value


def _parses_as_json(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def accept(
    *,
    source: str,
    delivery_id: str,
    body: bytes,
    account: str | None = None,
    known_account: bool = True,
    status_code: int = 200,
) -> Response:
    """Store the delivery durably, answer, then enqueue its processing."""
    rt = current()
    raw_id, created = store_raw_event(
        rt.engine,
        source=source,
        delivery_id=delivery_id,
        body=body,
        headers=environ_headers(request.environ),
        account=account,
        known_account=known_account,
    )
    if created:
        # A hint after the commit, coalesced with any waiting one; if it is lost, the sweeper
        # finds the pending row in the database.
        rt.queue.enqueue(process_pending, key=INGEST_KEY)
    # Formatted by hand: jsonify cost a tenth of the ack time (bench/ingest.py).
    answer = b'{"raw_event_id": %d, "status": "%s"}' % (
        raw_id,
        b"accepted" if created else b"duplicate",
    )
    return current_app.response_class(answer, status=status_code, mimetype="application/json")
