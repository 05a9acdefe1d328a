"""Who is asking for a card, decided before anything in the request is parsed.

HubSpot (app card, ``hubspot.fetch()``): every request carries ``X-HubSpot-Signature-v3`` =
base64(HMAC-SHA256(client secret, method + URI + body + timestamp)) and
``X-HubSpot-Request-Timestamp`` (Unix milliseconds). The URI is the full URL HubSpot called,
with ``%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B`` decoded. Requests older than five
minutes are refused (HubSpot's rule), so are ones more than five minutes in the future; a
signed request that changes something is accepted once (a replay within the window is 401).
The CRM user comes from the query the card sends (``userId``, ``userEmail``, ``portalId``
from the extension's context), covered by the signature because the URI is.

Salesforce (Lightning component → Apex → named credential): the named credential adds
``X-Enrich-Card-Key`` (the per-org secret SALESFORCE_CARD_KEY, stored encrypted in
Salesforce, never in the browser); Apex adds ``X-Enrich-User-Id`` / ``X-Enrich-User-Name``
from ``UserInfo``, which the browser cannot change because the callout is made by the
Salesforce server. Keys are compared in constant time, every configured key tried.

Both: at most MAX_CARD_BYTES of body, read before the check (the raw bytes are what is
signed); then a per-CRM-user rate limit. See docs/CRM_CARD.md for sources.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from flask import Request

from enrich.config import Settings, split_secrets
from enrich.errors import WebhookRejected

MAX_CARD_BYTES = 16 * 1024  # a card request carries one link id at most
HUBSPOT_MAX_AGE_MS = 5 * 60 * 1000
SIGNATURE_V3 = "X-HubSpot-Signature-v3"
TIMESTAMP = "X-HubSpot-Request-Timestamp"
CARD_KEY = "X-Enrich-Card-Key"
SF_USER_ID = "X-Enrich-User-Id"
SF_USER_NAME = "X-Enrich-User-Name"
# HubSpot's list of characters to decode in the URI before signing (request-validation docs).
_DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_ENCODED = re.compile("|".join(_DECODED), re.IGNORECASE)
_DIGITS = re.compile(r"\d{1,20}")
_SF_USER = re.compile(r"005[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?")  # 15 or 18 characters


@dataclass(frozen=True)
class CrmUser:
    """The CRM user behind a card request: whom the rate limit counts and the audit names."""

    crm: str
    user_id: str
    name: str

    @property
    def actor(self) -> str:
        return f"{self.crm} user {self.user_id} ({self.name})"[:200]


def refuse(status: int, code: str, message: str) -> WebhookRejected:
    return WebhookRejected(status, code, message)


def read_body(request: Request) -> bytes:
    """The body as received, refused past MAX_CARD_BYTES before more is read."""
    if (request.content_length or 0) > MAX_CARD_BYTES:
        raise refuse(413, "request_entity_too_large", f"body larger than {MAX_CARD_BYTES} bytes")
    body = request.stream.read(MAX_CARD_BYTES + 1)
    if len(body) > MAX_CARD_BYTES:  # chunked: no Content-Length to refuse on
        raise refuse(413, "request_entity_too_large", f"body larger than {MAX_CARD_BYTES} bytes")
    return body


# -- HubSpot ---------------------------------------------------------------------------------


def hubspot_uri(url: str) -> str:
    return _ENCODED.sub(lambda m: _DECODED[m.group(0).upper()], url)


def hubspot_signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    message = method.encode() + hubspot_uri(uri).encode() + body + timestamp.encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def called_url(request: Request, settings: Settings) -> str:
    """The URL HubSpot called: PUBLIC_URL's origin (behind a proxy the request's own scheme
    and host are the proxy's) with the path and query exactly as they arrived."""
    environ = request.environ
    raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "").split("?", 1)[0]
    path = raw or quote(request.script_root + request.path)
    query = request.query_string.decode("latin-1")
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        origin = f"{parts.scheme}://{parts.netloc}"
    else:
        origin = request.host_url.rstrip("/")
    return origin + path + (f"?{query}" if query else "")


class ReplayGuard:
    """Signatures of accepted state-changing requests, remembered for the signature window."""

    def __init__(self, window_s: float, limit: int = 10_000) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._window = window_s
        self._limit = limit
        self._lock = threading.Lock()

    def first_time(self, signature: str, now: float) -> bool:
        with self._lock:
            while self._seen and (
                next(iter(self._seen.values())) < now - self._window
                or len(self._seen) >= self._limit
            ):
                self._seen.popitem(last=False)
            if signature in self._seen:
                return False
            self._seen[signature] = now
            return True


def verify_hubspot(
    request: Request,
    settings: Settings,
    body: bytes,
    *,
    replay: ReplayGuard,
    changes_state: bool,
    now_ms: int | None = None,
) -> CrmUser:
    secrets = split_secrets(settings.hubspot_client_secret)
    if not secrets:
        raise refuse(
            404,
            "not_configured",
            "the HubSpot card is not configured: set "
            "HUBSPOT_CLIENT_SECRET to the app's client secret",
        )
    given = request.headers.get(SIGNATURE_V3, "")
    stamp = request.headers.get(TIMESTAMP, "")
    if not given or not stamp:
        raise refuse(401, "missing_signature", f"{SIGNATURE_V3} and {TIMESTAMP} are required")
    if not _DIGITS.fullmatch(stamp):
        raise refuse(401, "bad_timestamp", f"{TIMESTAMP} must be Unix time in milliseconds")
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if now_ms - int(stamp) > HUBSPOT_MAX_AGE_MS:
        raise refuse(401, "stale_timestamp", "request timestamp is older than 5 minutes")
    if int(stamp) - now_ms > HUBSPOT_MAX_AGE_MS:
        raise refuse(401, "future_timestamp", "request timestamp is more than 5 minutes ahead")
    uri = called_url(request, settings)
    matched = False
    for secret in secrets:  # every secret tried: timing does not tell which one matched
        expected = hubspot_signature(secret, request.method, uri, body, stamp)
        matched |= hmac.compare_digest(expected.encode(), given.encode())
    if not matched:
        raise refuse(
            401,
            "bad_signature",
            "X-HubSpot-Signature-v3 does not match the request "
            "with the configured client secret (is PUBLIC_URL the URL HubSpot calls?)",
        )
    if changes_state and not replay.first_time(given, now_ms / 1000):
        raise refuse(401, "replayed", "this signed request was already accepted")
    user_id = _one(request, "userId")
    portal = _one(request, "portalId")
    if not _DIGITS.fullmatch(user_id) or not _DIGITS.fullmatch(portal):
        raise refuse(
            400,
            "missing_user",
            "userId and portalId (numbers, from the card's context) are required",
        )
    if settings.hubspot_portal_id and portal != settings.hubspot_portal_id.strip():
        raise refuse(403, "wrong_portal", f"HubSpot account {portal} may not read cards here")
    email = _one(request, "userEmail")[:254]
    return CrmUser("hubspot", user_id, email or f"portal {portal}")


def _one(request: Request, name: str) -> str:
    values = request.args.getlist(name)
    if len(set(values)) > 1:
        raise refuse(400, "conflicting_parameter", f"{name} is given twice with different values")
    return values[0] if values else ""


# -- Salesforce ------------------------------------------------------------------------------


def verify_salesforce(request: Request, settings: Settings) -> CrmUser:
    keys = split_secrets(settings.salesforce_card_key)
    if not keys:
        raise refuse(
            404,
            "not_configured",
            "the Salesforce card is not configured: set "
            "SALESFORCE_CARD_KEY and the same value in the Enrich_Card external "
            "credential",
        )
    given = request.headers.get(CARD_KEY, "")
    if not given:
        raise refuse(401, "missing_key", f"{CARD_KEY} is required (sent by the named credential)")
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(key.encode(), given.encode())
    if not matched:
        raise refuse(401, "bad_key", f"{CARD_KEY} does not match SALESFORCE_CARD_KEY")
    user_id = request.headers.get(SF_USER_ID, "")
    if not _SF_USER.fullmatch(user_id):
        raise refuse(400, "missing_user", f"{SF_USER_ID} must be a Salesforce user id (005...)")
    name = request.headers.get(SF_USER_NAME, "")[:254] or user_id
    return CrmUser("salesforce", user_id, name)


# -- per-user rate limit ---------------------------------------------------------------------


class RateLimiter:
    """At most `per_minute` requests per CRM user in any 60 s (sliding window), in this
    process. Users are forgotten least-recently-used past `users`, so memory stays bounded."""

    def __init__(self, users: int = 10_000) -> None:
        self._hits: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._users = users
        self._lock = threading.Lock()

    def check(self, user: CrmUser, per_minute: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        key = (user.crm, user.user_id)
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - 60:
                hits.popleft()
            self._hits[key] = hits
            if len(self._hits) > self._users:
                self._hits.popitem(last=False)
            if len(hits) >= per_minute:
                retry = max(1, int(hits[0] + 60 - now) + 1)
                raise RateLimited(retry)
            hits.append(now)


class RateLimited(WebhookRejected):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429,
            "rate_limited",
            f"too many card requests from this CRM user; retry in {retry_after} s",
        )
        self.retry_after = retry_after
