"""A tiny path router shared by both fake CRMs.

Routes are path templates ("/crm/v3/objects/{object_type}/{object_id}"); the matched
template doubles as the request-log key, so counts group by endpoint and not by record.
Matching is done on the raw (still percent-encoded) path so an external id containing
"/" or "+" arrives intact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response


@dataclass
class Call:
    """One routed request: the werkzeug request plus the decoded path parameters."""

    request: Request
    params: dict[str, str] = field(default_factory=dict)
    raw_params: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Response]


@dataclass
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template.rstrip("/")))
        self.routes.append(Route(method, template.rstrip("/"), re.compile(regex + "$"), handler))

    def match(self, method: str, raw_path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, raw params, path known under another method)."""
        path = raw_path.rstrip("/") or "/"
        path_known = False
        for route in self.routes:
            found = route.pattern.match(path)
            if found:
                if route.method == method:
                    return route, found.groupdict(), True
                path_known = True
        return None, {}, path_known


def raw_path(request: Request) -> str:
    uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if uri:
        return str(uri).split("?", 1)[0].split("#", 1)[0]
    return request.path


def decode_params(raw: dict[str, str]) -> dict[str, str]:
    return {k: unquote(v) for k, v in raw.items()}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        headers=headers,
        mimetype="application/json",
    )


def empty(status: int = 204) -> Response:
    return Response(status=status)


class BadJson(ValueError):
    """The body is not the JSON the endpoint needs; answered with the CRM's 400."""


def read_json(request: Request) -> Any:
    data = request.get_data(cache=True)
    if not data.strip():
        raise BadJson("the request body is empty")
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadJson(f"malformed JSON: {exc}") from exc
