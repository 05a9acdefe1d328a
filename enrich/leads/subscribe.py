"""`enrich leads subscribe`: ask each platform to send lead deliveries to enrich.

* **Meta**: each Page of `LEAD_FORMS_META_FORMS` installs the app for the `leadgen` field,
  `POST /v{N}/{page-id}/subscribed_apps?subscribed_fields=leadgen` with the Page's token
  (§1.1). The app-level `page` object subscription (callback URL, verify token) is made in
  the App Dashboard once, not per Page.
* **LinkedIn**: each owner of `LEAD_FORMS_LINKEDIN_OWNERS` gets a lead notification
  subscription per lead type, `POST /rest/leadNotifications` with our webhook URL (§2.2),
  unless the `q=criteria` listing shows one for that URL already: running it twice makes
  no second subscription.

Both are safe to repeat. Errors are the readers' (`PlatformReadError`), reported per target.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from enrich.config import Settings
from enrich.errors import PlatformReadError
from enrich.leads.clients import (
    OWNER_URN,
    Readers,
    _get,
    _graph_error,
    _linkedin_error,
    _list,
    _obj,
)
from enrich.models import LeadStatus


@dataclass(frozen=True)
class Outcome:
    target: str  # "meta page <id>" or "linkedin <owner> <lead type>"
    state: str  # subscribed, exists, or the refusal's park status
    detail: str = ""


def subscribe(settings: Settings, readers: Readers) -> list[Outcome]:
    pages = sorted(
        {page for source, _, page in settings.catchup_scopes() if page and source == "meta"}
    )
    owners = [scope for source, scope, _ in settings.catchup_scopes() if source == "linkedin"]
    outcomes = []
    for page in pages:
        target = f"meta page {page}"
        try:
            outcomes.append(Outcome(target, _meta(settings, readers, page)))
        except PlatformReadError as exc:
            outcomes.append(Outcome(target, str(exc.park or "retry"), str(exc)))
    if owners and not (settings.public_url or "").startswith("https://"):
        why = "LinkedIn posts lead notifications to <PUBLIC_URL>/webhooks/linkedin, HTTPS only"
        return [*outcomes, Outcome("linkedin", "failed", f"set PUBLIC_URL to https://…: {why}")]
    webhook = f"{(settings.public_url or '').rstrip('/')}/webhooks/linkedin"
    for owner in owners:
        found = OWNER_URN.fullmatch(owner)
        assert found is not None  # the settings checked it
        types = (
            ("SPONSORED",)
            if found.group(1) == "sponsoredAccount"
            else ("COMPANY", "EVENT", "ORGANIZATION_PRODUCT")
        )
        for lead_type in types:
            target = f"linkedin {owner} {lead_type}"
            try:
                state = _linkedin(settings, readers, owner, found.group(1), lead_type, webhook)
                outcomes.append(Outcome(target, state))
            except PlatformReadError as exc:
                outcomes.append(Outcome(target, str(exc.park or "retry"), str(exc)))
    return outcomes


def _send(readers: Readers, method: str, url: str, **kw: Any) -> tuple[int, Any, dict[str, str]]:
    if method == "GET":
        return _get(readers.http, url, readers.timeout, **kw)
    try:
        with readers.http.request(
            method, url, timeout=readers.timeout, allow_redirects=False, **kw
        ) as r:
            body = r.content[:65536]
            status, headers = r.status_code, dict(r.headers)
    except requests.RequestException as exc:
        raise PlatformReadError(f"{method} {url.split('?')[0]}: {type(exc).__name__}") from exc
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    return status, data, headers


def _meta(settings: Settings, readers: Readers, page: str) -> str:
    token = readers.page_token(page)
    base = settings.meta_graph_url.rstrip("/")
    url = f"{base}/{settings.meta_graph_version}/{quote(page, safe='')}/subscribed_apps"
    auth = {"Authorization": f"Bearer {token}"}
    status, data, _ = _send(readers, "GET", url, headers=auth)
    if status != 200 or not isinstance(data, dict) or "error" in data:
        raise _graph_error(status, data)
    for app in _list(data.get("data")):
        if "leadgen" in _list(_obj(app).get("subscribed_fields")):
            return "exists"
    status, data, _ = _send(
        readers, "POST", url, params={"subscribed_fields": "leadgen"}, headers=auth
    )
    if status != 200 or not isinstance(data, dict) or data.get("success") is not True:
        raise _graph_error(status, data)
    return "subscribed"


def _linkedin(
    settings: Settings, readers: Readers, owner: str, key: str, lead_type: str, webhook: str
) -> str:
    token = settings.linkedin_access_token
    if not token:
        raise PlatformReadError(
            "no LinkedIn token: set LINKEDIN_ACCESS_TOKEN", park=LeadStatus.NEEDS_TOKEN
        )
    headers = {
        "Authorization": f"Bearer {token}",
        "LinkedIn-Version": settings.linkedin_version,
        "X-Restli-Protocol-Version": "2.0.0",
    }
    base = f"{settings.linkedin_api_url.rstrip('/')}/rest/leadNotifications"
    query = (
        f"?q=criteria&owner=(value:({key}:{quote(owner, safe='')}))&leadType=(leadType:{lead_type})"
    )
    status, data, _ = _send(readers, "GET", base + query, headers=headers)
    if status != 200 or not isinstance(data, dict):
        raise _linkedin_error(status, data, "GET /rest/leadNotifications")
    if any(_obj(s).get("webhook") == webhook for s in _list(data.get("elements"))):
        return "exists"
    body = {"webhook": webhook, "owner": {key: owner}, "leadType": lead_type}
    status, data, _ = _send(readers, "POST", base, json=body, headers=headers)
    if status != 201:
        raise _linkedin_error(status, data, "POST /rest/leadNotifications")
    return "subscribed"
