"""The loopback platform sandbox: the Graph API and LinkedIn API reads the lead-form feature
calls, with their auth and error shapes (docs/LEAD_FORMS.md, "What the sandbox must emulate").

Graph: `GET /v{N}/{lead-id}?fields=`, `GET /v{N}/{form-id}?fields=questions` and
`GET /v{N}/{form-id}/leads` (cursor paging), a Page token as Bearer or `access_token`, errors
`{"error": {message, type, code, error_subcode, fbtrace_id}}` (HTTP 400 for every code here:
the statuses Meta pairs with them are UNVERIFIED, so enrich reads the code). LinkedIn:
`GET /rest/leadFormResponses/{id}`, the `?q=owner` finder (start/count paging) and
`GET /rest/leadForms/{id}`, requiring a known `LinkedIn-Version` (426 NONEXISTENT_VERSION)
and `X-Restli-Protocol-Version: 2.0.0`, errors `{message, serviceErrorCode, status}`.

    with PlatformSandbox() as platforms:
        platforms.add_meta_lead(...); settings META_GRAPH_URL=platforms.url, ...
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from copy import deepcopy
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from enrich.sandbox.routing import Call, Router, json_response, raw_path
from enrich.sandbox.subscriptions import Subscriptions

VERSIONS = {"202505", "202506", "202601", "202603", "202606"}
SUNSET = {"202505", "202506"}  # sunset by mid-2026 (§2.1): answered 426 like unknown ones
META_ERRORS = {
    190: ("OAuthException", "Error validating access token: The session has been invalidated."),
    10: ("OAuthException", "(#10) Application does not have permission for this action"),
    200: ("OAuthException", "(#200) Requires leads_retrieval permission"),
    4: ("OAuthException", "(#4) Application request limit reached"),
    17: ("OAuthException", "(#17) User request limit reached"),
    613: ("OAuthException", "(#613) Calls to this api have exceeded the rate limit."),
    80005: ("OAuthException", "(#80005) There have been too many leadgen api calls"),
    100: (
        "GraphMethodException",
        "Unsupported get request. Object with ID '{id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation",
    ),
    2: ("OAuthException", "An unexpected error has occurred. Please retry your request later."),
}
LINKEDIN_ERRORS = {
    401: "Invalid access token",
    403: "Not enough permissions to access: leadFormResponses.GET.20260101",
    404: "Not Found",
    429: "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
    500: "Internal Server Error",
}


def _unix(created_time: str) -> int:
    return int(datetime.strptime(created_time, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def _graph_window(filtering: str) -> tuple[int, int]:
    """The (after, before) Unix seconds a `filtering` on time_created asks for."""
    low, high = -1, 2**63
    for item in json.loads(filtering):
        if item.get("field") != "time_created":
            raise ValueError(f"filtering on {item.get('field')!r} is not emulated")
        if item.get("operator") == "GREATER_THAN":
            low = int(item["value"])
        elif item.get("operator") == "LESS_THAN":
            high = int(item["value"])
        else:
            raise ValueError(f"operator {item.get('operator')!r} is not emulated")
    return low, high


class _Quiet(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002
        return None  # tests and the demo do not want a line per request


def _graph_error(code: int, subcode: int | None = None, lead_id: str = "") -> Response:
    kind, message = META_ERRORS.get(code, ("OAuthException", f"error {code}"))
    error: dict[str, Any] = {
        "message": message.format(id=lead_id),
        "type": kind,
        "code": code,
        "fbtrace_id": uuid.uuid4().hex[:11],
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return json_response({"error": error}, 400)


def _li_error(status: int, message: str | None = None) -> Response:
    text = message or LINKEDIN_ERRORS.get(status, "error")
    return json_response({"message": text, "serviceErrorCode": status, "status": status}, status)


class PlatformSandbox(Subscriptions):
    """Fake Graph + LinkedIn lead stores on one loopback listener (http)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.lock = threading.Lock()
        self.page_tokens: dict[str, str] = {}  # token -> page id
        self.linkedin_token = f"AQV{uuid.uuid4().hex}"
        self.meta_leads: dict[str, dict[str, Any]] = {}  # lead id -> Graph Lead node (+_page)
        self.meta_forms: dict[str, dict[str, Any]] = {}
        self.li_responses: dict[str, dict[str, Any]] = {}
        self.li_forms: dict[str, dict[str, Any]] = {}
        self.errors: dict[str, tuple[int, int | None]] = {}  # id -> Graph (code, subcode) or
        # LinkedIn (status, None): that id answers the error until `clear_errors`
        self.calls: list[str] = []  # "GET <template>" per request, in order
        self.router = Router()
        self.router.add("GET", "/rest/leadFormResponses/{id}", self._li_response)
        self.router.add("GET", "/rest/leadFormResponses", self._li_finder)
        self.router.add("GET", "/rest/leadForms/{id}", self._li_form)
        self._subscription_routes(self.router)
        self.router.add("GET", "/{version}/{id}/leads", self._graph_form_leads)
        self.router.add("GET", "/{version}/{id}", self._graph_node)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # ------------------------------------------------------------------ seeding
    def page_token(self, page_id: str) -> str:
        """A long-lived Page token for `page_id` (made on first ask)."""
        with self.lock:
            for token, page in self.page_tokens.items():
                if page == page_id:
                    return token
            token = f"EAAB{uuid.uuid4().hex}"
            self.page_tokens[token] = page_id
            return token

    def add_meta_lead(
        self,
        page_id: str,
        lead_id: str,
        form_id: str,
        answers: dict[str, str],
        created_time: str = "2026-12-01T10:00:00+0000",
        ad_id: str | None = None,
        questions: list[dict[str, Any]] | None = None,
    ) -> None:
        """A lead as Graph returns it; `answers` maps question keys to values."""
        node: dict[str, Any] = {
            "id": lead_id,
            "created_time": created_time,
            "form_id": form_id,
            "field_data": [{"name": k, "values": [v]} for k, v in answers.items()],
            "is_organic": ad_id is None,
            "platform": "fb",
            "_page": page_id,
        }
        if ad_id:
            node.update(ad_id=ad_id, campaign_id=f"{ad_id}0")
        with self.lock:
            self.meta_leads[lead_id] = node
            self.meta_forms.setdefault(
                form_id,
                {
                    "id": form_id,
                    "_page": page_id,
                    "questions": questions
                    or [
                        {
                            "key": k,
                            "label": k.replace("_", " ").title(),
                            "type": k.upper(),
                            "id": str(i),
                        }
                        for i, k in enumerate(answers)
                    ],
                },
            )

    def add_linkedin_lead(
        self,
        response_id: str,
        form_id: str,
        answers: dict[str, str],
        submitter: str,
        owner: str = "urn:li:organization:2414183",
        submitted_at: int = 1_764_583_200_000,
        test: bool = False,
    ) -> None:
        """A form response and its form; `answers` maps predefinedField names to values."""
        questions = [
            {
                "questionId": i + 1,
                "name": field.lower(),
                "predefinedField": field,
                "question": {"localized": {"en_US": field.replace("_", " ").title()}},
                "questionDetails": {"textQuestionDetails": {}},
            }
            for i, field in enumerate(answers)
        ]
        key = "organization" if ":organization:" in owner else "sponsoredAccount"
        response = {
            "id": response_id,
            "owner": {key: owner},
            "leadType": "COMPANY" if key == "organization" else "SPONSORED",
            "submitter": submitter,
            "submittedAt": submitted_at,
            "testLead": test,
            "versionedLeadGenFormUrn": (
                f"urn:li:versionedLeadGenForm:(urn:li:leadGenForm:{form_id},1)"
            ),
            "formResponse": {
                "answers": [
                    {"questionId": i + 1, "answerDetails": {"textQuestionAnswer": {"answer": v}}}
                    for i, v in enumerate(answers.values())
                ],
                "consentResponses": [{"consentId": 1, "accepted": True}],
            },
        }
        with self.lock:
            self.li_responses[response_id] = response
            self.li_forms[form_id] = {
                "id": int(form_id),
                "owner": {key: owner},
                "name": "Sample form",
                "content": {"questions": questions},
            }

    def fail(self, lead_id: str, code: int, subcode: int | None = None) -> None:
        """Answer requests for `lead_id` with this error (Graph code, or LinkedIn status)."""
        with self.lock:
            self.errors[lead_id] = (code, subcode)

    def clear_errors(self) -> None:
        with self.lock:
            self.errors.clear()

    def revoke_tokens(self) -> None:
        """Every Page token and the LinkedIn token stop working (190 / 401)."""
        with self.lock:
            self.page_tokens.clear()
            self.linkedin_token = f"AQV{uuid.uuid4().hex}"

    # ------------------------------------------------------------------ Graph
    def _graph_auth(self, call: Call) -> str | Response:
        header = call.request.headers.get("Authorization", "")
        token = (
            header[7:] if header.startswith("Bearer ") else call.request.args.get("access_token")
        )
        page = self.page_tokens.get(token or "")
        return page if page is not None else _graph_error(190, 460)

    def _graph_node(self, call: Call) -> Response:
        page = self._graph_auth(call)
        if isinstance(page, Response):
            return page
        node_id = call.params["id"]
        if node_id in self.errors:
            code, sub = self.errors[node_id]
            return _graph_error(code, sub, node_id)
        fields = [f for f in call.request.args.get("fields", "").split(",") if f]
        node = self.meta_leads.get(node_id) or self.meta_forms.get(node_id)
        if node is None or node["_page"] != page:
            # Meta answers alike for a deleted lead, a wrong id and a missing permission.
            return _graph_error(100, 33, node_id)
        wanted = fields or ["id", "created_time"]
        return json_response({k: deepcopy(v) for k, v in node.items() if k in {*wanted, "id"}})

    def _graph_form_leads(self, call: Call) -> Response:
        page = self._graph_auth(call)
        if isinstance(page, Response):
            return page
        form_id = call.params["id"]
        if form_id in self.errors:
            code, sub = self.errors[form_id]
            return _graph_error(code, sub, form_id)
        form = self.meta_forms.get(form_id)
        if form is None or form["_page"] != page:
            return _graph_error(100, 33, form_id)
        try:
            window = _graph_window(call.request.args.get("filtering", "[]"))
            limit = min(int(call.request.args.get("limit", "25") or 25), 100)
            start = int(call.request.args.get("after", "0") or 0)
        except ValueError as exc:
            return _graph_error(100, None, str(exc))
        leads = [
            {k: v for k, v in lead.items() if not k.startswith("_")}
            for lead in self.meta_leads.values()
            if lead["form_id"] == form["id"] and window[0] < _unix(lead["created_time"]) < window[1]
        ]
        page_items = leads[start : start + limit]
        paging: dict[str, Any] = {"cursors": {"before": str(start), "after": str(start + limit)}}
        if start + limit < len(leads):
            paging["next"] = f"{self.url}{call.request.path}?after={start + limit}&limit={limit}"
        return json_response({"data": page_items, "paging": paging})

    # ------------------------------------------------------------------ LinkedIn
    def _li_check(self, call: Call) -> Response | None:
        headers = call.request.headers
        if headers.get("Authorization") != f"Bearer {self.linkedin_token}":
            return _li_error(401)
        version = headers.get("LinkedIn-Version", "")
        if version not in VERSIONS or version in SUNSET:
            return json_response(
                {
                    "message": f"Requested version {version or '(none)'} is not active",
                    "code": "NONEXISTENT_VERSION",
                    "status": 426,
                },
                426,
            )
        if headers.get("X-Restli-Protocol-Version") != "2.0.0":
            return _li_error(400, "X-Restli-Protocol-Version 2.0.0 is required")
        return None

    def _li_response(self, call: Call) -> Response:
        refused = self._li_check(call)
        if refused is not None:
            return refused
        response_id = unquote(call.raw_params["id"])
        if response_id in self.errors:
            return _li_error(self.errors[response_id][0])
        found = self.li_responses.get(response_id)
        return json_response(deepcopy(found)) if found else _li_error(404)

    def _li_finder(self, call: Call) -> Response:
        refused = self._li_check(call)
        if refused is not None:
            return refused
        args = call.request.args
        if args.get("q") != "owner":
            return _li_error(400, "q=owner is required")
        tests = args.get("limitedToTestLeads") == "true"
        owner = unquote(args.get("owner", ""))
        for failing, (status, _) in self.errors.items():
            if failing.startswith("urn:li:") and f":{failing})" in owner:
                return _li_error(status)
        lead_type = args.get("leadType", "")
        low, high = 0, 2**63
        found = re.fullmatch(
            r"\(start:([0-9]+),end:([0-9]+)\)", args.get("submittedAtTimeRange", "")
        )
        if "submittedAtTimeRange" in args:
            if found is None:
                return _li_error(400, "submittedAtTimeRange must be (start:<ms>,end:<ms>)")
            low, high = int(found.group(1)), int(found.group(2))
        items = [
            deepcopy(r)
            for r in self.li_responses.values()
            if r["testLead"] == tests
            and any(f"{k}:{v})" in owner for k, v in r["owner"].items())
            and (not lead_type or lead_type == f"(leadType:{r['leadType']})")
            and low <= r["submittedAt"] < high
        ]
        start, count = (
            int(args.get("start", "0") or 0),
            min(int(args.get("count", "10") or 10), 100),
        )
        return json_response(
            {
                "elements": items[start : start + count],
                "paging": {"start": start, "count": count, "total": len(items)},
            }
        )

    def _li_form(self, call: Call) -> Response:
        refused = self._li_check(call)
        if refused is not None:
            return refused
        form = self.li_forms.get(call.params["id"])
        return json_response(deepcopy(form)) if form else _li_error(404)

    # ------------------------------------------------------------------ serving
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        route, raw, _ = self.router.match(request.method, raw_path(request))
        if route is None:
            response = json_response({"message": "Not Found", "status": 404}, 404)
        else:
            with self.lock:
                self.calls.append(f"{request.method} {route.template}")
                response = route.handler(
                    Call(request, {k: unquote(v) for k, v in raw.items()}, raw)
                )
        return response(environ, start_response)

    def start(self) -> PlatformSandbox:
        if self._server is None:
            self._server = make_server(
                self.host, self.port, self, threaded=True, request_handler=_Quiet
            )
            self.url = f"http://{self.host}:{self._server.server_port}"
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.02},
                name="platform-sandbox",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> PlatformSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self, page_id: str) -> dict[str, str]:
        """Settings that point enrich's lead readers here."""
        return {
            "META_GRAPH_URL": self.url,
            "META_PAGE_TOKENS": f"{page_id}={self.page_token(page_id)}",
            "LINKEDIN_API_URL": self.url,
            "LINKEDIN_ACCESS_TOKEN": self.linkedin_token,
        }
