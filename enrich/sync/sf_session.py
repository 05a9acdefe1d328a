"""The Salesforce adapter's session: the refresh-token flow that renews it, the store that
shares a renewed one between adapters and workers, and the HTTP timeout simple-salesforce
cannot pass itself."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from enrich.config import Settings
from enrich.errors import CRMAuthError, CRMUnavailable

# The adapter's logger: these lines were its own before they moved here, and log filters name it.
log = logging.getLogger("enrich.sync.salesforce")

# How long a refreshed session is kept for other workers. The token answer carries no expiry
# (only issued_at): a session lives as long as the org's session timeout (15 min to 24 h,
# 2 h by default). One kept past it costs one 401 and a refresh, which replaces it.
SESSION_TTL_S = 3600


class TimeoutAdapter(HTTPAdapter):
    """simple-salesforce's SFType calls take no timeout argument, so the session supplies one."""

    def __init__(self, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


class SessionStore:
    """Where a refreshed Salesforce session is kept, so that adapters built later (the next
    job, in any worker) start from it instead of spending a token call and a 401 again.

    With Redis (`REDIS_URL`) one key per connection, namespaced by instance URL and a digest of
    the connected app and refresh token, expiring after `SESSION_TTL_S`; embedded, this
    process's memory. The session is a credential: it is never logged.
    """

    _memory: dict[str, tuple[float, str, str]] = {}  # key -> (expires at, session, instance)

    def __init__(self, key: str, redis_url: str | None) -> None:
        self.key = key
        self._redis = None
        if redis_url:
            from redis import Redis

            self._redis = Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)

    @classmethod
    def for_settings(cls, settings: Settings) -> SessionStore:
        app = "\0".join(
            (
                settings.salesforce_login_url,
                settings.salesforce_client_id or "",
                settings.salesforce_refresh_token or "",
            )
        )
        digest = hashlib.sha256(app.encode()).hexdigest()[:16]
        where = (settings.salesforce_instance_url or settings.salesforce_login_url).rstrip("/")
        return cls(f"enrich:salesforce-session:{where}:{digest}", settings.redis_url)

    def get(self) -> tuple[str, str] | None:
        """(session id, instance url) kept earlier, unless it has expired."""
        if self._redis is not None:
            from redis.exceptions import RedisError

            try:
                raw = self._redis.get(self.key)
            except RedisError as exc:
                log.warning(
                    "Redis unreachable (%s): the Salesforce session is kept in this process only",
                    type(exc).__name__,
                )
            else:
                if not raw:
                    return None
                data = json.loads(raw)
                return str(data["session_id"]), str(data["instance_url"])
        expires, session_id, instance_url = self._memory.get(self.key, (0.0, "", ""))
        return (session_id, instance_url) if expires > time.time() else None

    def put(self, session_id: str, instance_url: str) -> None:
        if self._redis is not None:
            from redis.exceptions import RedisError

            value = json.dumps({"session_id": session_id, "instance_url": instance_url})
            try:
                self._redis.set(self.key, value, ex=SESSION_TTL_S)
                return
            except RedisError as exc:
                log.warning(
                    "Redis unreachable (%s): the Salesforce session is kept in this process only",
                    type(exc).__name__,
                )
        self._memory[self.key] = (time.time() + SESSION_TTL_S, session_id, instance_url)


class OAuthRefresh:
    """OAuth 2.0 refresh token flow: POST {login}/services/oauth2/token, grant_type
    refresh_token, for a connected app (consumer key, optional secret). The session it buys
    goes to the `SessionStore`, so the next adapter, in this worker or another, starts with it."""

    def __init__(self, session: requests.Session, settings: Settings) -> None:
        self.session = session
        self.url = settings.salesforce_login_url.rstrip("/") + "/services/oauth2/token"
        self.form = {
            "grant_type": "refresh_token",
            "refresh_token": settings.salesforce_refresh_token or "",
            "client_id": settings.salesforce_client_id or "",
        }
        if settings.salesforce_client_secret:
            self.form["client_secret"] = settings.salesforce_client_secret
        self.store = SessionStore.for_settings(settings)

    def shared(self) -> tuple[str, str] | None:
        """The session another adapter (or worker) refreshed and kept, if any."""
        return self.store.get()

    def __call__(self) -> tuple[str, str]:
        try:
            answer = self.session.post(
                self.url, data=self.form, headers={"Accept": "application/json"}
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise CRMUnavailable(
                f"Salesforce token endpoint unreachable ({self.url}): {type(exc).__name__}",
                crm="salesforce",
            ) from exc
        try:
            body = answer.json()
        except ValueError:
            body = {}
        if answer.status_code != 200 or not body.get("access_token"):
            if answer.status_code >= 500:
                raise CRMUnavailable(
                    f"Salesforce token endpoint answered {answer.status_code}",
                    crm="salesforce",
                    status=answer.status_code,
                )
            raise CRMAuthError(
                f"Salesforce session expired and could not be refreshed "
                f"({body.get('error', answer.status_code)}: {body.get('error_description', '')}):"
                " issue a new refresh token for the connected app and set "
                "SALESFORCE_REFRESH_TOKEN (or a fresh SALESFORCE_SESSION_ID), then replay the "
                "'crm_auth' dead letter",
                crm="salesforce",
                status=answer.status_code,
                code="REFRESH_FAILED",
            )
        fresh = (str(body["access_token"]), str(body.get("instance_url") or ""))
        self.store.put(*fresh)
        return fresh
