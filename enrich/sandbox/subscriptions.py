"""The platform sandbox's subscription endpoints (docs/LEAD_FORMS.md §1.1, §2.2): Graph
`POST`/`GET /v{N}/{page-id}/subscribed_apps` with the Page's token, and LinkedIn
`POST /rest/leadNotifications` (201, the id in `x-restli-id`), the `q=criteria` listing,
`GET`/`DELETE /rest/leadNotifications/{id}`. A mixin of `PlatformSandbox`, which holds the
tokens, the lock and the error helpers it uses."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from werkzeug.wrappers import Response

from enrich.sandbox.routing import Call, Router, json_response

APP_ID = "1234567890"  # the app the sandbox's Page tokens belong to
OWNER = re.compile(r"urn:li:(organization|sponsoredAccount):[0-9]{1,20}")
LEAD_TYPES = {"SPONSORED", "COMPANY", "EVENT", "ORGANIZATION_PRODUCT"}


def _li_error(status: int, message: str) -> Response:
    return json_response({"message": message, "serviceErrorCode": status, "status": status}, status)


class Subscriptions:
    """Page app installs (page id → subscribed fields) and LinkedIn lead notification
    subscriptions (id → the body it was created with)."""

    page_apps: dict[str, list[str]]
    lead_notifications: dict[str, dict[str, Any]]

    # The sandbox's own checks (PlatformSandbox overrides both).
    def _graph_auth(self, call: Call) -> str | Response:
        raise NotImplementedError

    def _li_check(self, call: Call) -> Response | None:
        raise NotImplementedError

    def _subscription_routes(self, router: Router) -> None:
        self.page_apps, self.lead_notifications = {}, {}
        router.add("POST", "/rest/leadNotifications", self._li_subscribe)
        router.add("GET", "/rest/leadNotifications", self._li_subscriptions)
        router.add("GET", "/rest/leadNotifications/{id}", self._li_subscription)
        router.add("DELETE", "/rest/leadNotifications/{id}", self._li_unsubscribe)
        router.add("POST", "/{version}/{id}/subscribed_apps", self._page_install)
        router.add("GET", "/{version}/{id}/subscribed_apps", self._page_installs)

    # ------------------------------------------------------------------ Graph
    def _page_of(self, call: Call) -> str | Response:
        page = self._graph_auth(call)
        if isinstance(page, Response):
            return page
        if page != call.params["id"]:
            # Another Page's token: Meta answers as for a node it will not show.
            return json_response(
                {"error": {"message": "Unsupported post request.", "code": 100, "type": "x"}}, 400
            )
        return page

    def _page_install(self, call: Call) -> Response:
        page = self._page_of(call)
        if isinstance(page, Response):
            return page
        fields = call.request.args.get("subscribed_fields", "") or call.request.form.get(
            "subscribed_fields", ""
        )
        wanted = [f for f in fields.split(",") if f]
        if not wanted:
            return json_response(
                {"error": {"message": "(#100) subscribed_fields is required", "code": 100}}, 400
            )
        self.page_apps[page] = sorted(set(self.page_apps.get(page, [])) | set(wanted))
        return json_response({"success": True})

    def _page_installs(self, call: Call) -> Response:
        page = self._page_of(call)
        if isinstance(page, Response):
            return page
        fields = self.page_apps.get(page)
        data = [{"id": APP_ID, "name": "enrich", "subscribed_fields": fields}] if fields else []
        return json_response({"data": data})

    # ------------------------------------------------------------------ LinkedIn
    def _li_subscribe(self, call: Call) -> Response:
        refused = self._li_check(call)
        if refused is not None:
            return refused
        try:
            body = json.loads(call.request.get_data() or b"null")
        except ValueError:
            return _li_error(400, "the body is not JSON")
        if not isinstance(body, dict):
            return _li_error(400, "the body must be an object")
        webhook, owner = body.get("webhook"), body.get("owner")
        url = urlsplit(webhook) if isinstance(webhook, str) else None
        loopback = url is not None and url.hostname in ("127.0.0.1", "localhost")
        if url is None or not (url.scheme == "https" or loopback) or not url.hostname:
            return _li_error(400, "webhook must be an https URL")
        urns = list(owner.values()) if isinstance(owner, dict) and len(owner) == 1 else []
        if not urns or not isinstance(urns[0], str) or not OWNER.fullmatch(urns[0]):
            return _li_error(400, "owner must be {organization|sponsoredAccount: <urn>}")
        if body.get("leadType") not in LEAD_TYPES:
            return _li_error(400, f"leadType must be one of {', '.join(sorted(LEAD_TYPES))}")
        new_id = str(len(self.lead_notifications) + 1001)
        self.lead_notifications[new_id] = {**body, "id": int(new_id)}
        return Response(status=201, headers={"x-restli-id": new_id})

    def _li_subscriptions(self, call: Call) -> Response:
        refused = self._li_check(call)
        if refused is not None:
            return refused
        args = call.request.args
        if args.get("q") != "criteria":
            return _li_error(400, "q=criteria is required")
        owner, lead_type = unquote(args.get("owner", "")), args.get("leadType", "")
        items = [
            s
            for s in self.lead_notifications.values()
            if any(f"{k}:{v})" in owner for k, v in s["owner"].items())
            and lead_type == f"(leadType:{s['leadType']})"
        ]
        return json_response(
            {"elements": items, "paging": {"start": 0, "count": len(items), "total": len(items)}}
        )

    def _li_subscription(self, call: Call) -> Response:
        refused = self._li_check(call)
        if refused is not None:
            return refused
        found = self.lead_notifications.get(call.params["id"])
        return json_response(found) if found else _li_error(404, "Not Found")

    def _li_unsubscribe(self, call: Call) -> Response:
        refused = self._li_check(call)
        if refused is not None:
            return refused
        if self.lead_notifications.pop(call.params["id"], None) is None:
            return _li_error(404, "Not Found")
        return Response(status=204)
