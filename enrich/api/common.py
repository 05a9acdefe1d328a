"""What every API route shares: authentication, role checks, JSON bodies, pagination."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine

from enrich.config import Settings
from enrich.console.auth import Principal, console_principal
from enrich.runtime import Runtime
from enrich.services.errors import is_id
from enrich.services.tokens import principal_for

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_LIMIT = 200


def error_body(status: int, code: str, message: str) -> tuple[Any, int]:
    """The one error shape of every JSON answer, the API's and the app's (webhooks too)."""
    return jsonify({"error": {"status": status, "code": code, "message": message}}), status


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def engine() -> Engine:
    rt: Runtime = current_app.extensions["enrich.runtime"]
    return rt.engine


def settings() -> Settings:
    settings: Settings = current_app.config["ENRICH_SETTINGS"]
    return settings


def authenticate() -> Principal:
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, secret = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise ApiError(401, "unauthorized", "send Authorization: Bearer <token>")
        principal = principal_for(engine(), secret.strip(), settings().admin_token)
        if principal is None:
            raise ApiError(401, "invalid_token", "the bearer token is unknown or revoked")
        return principal
    principal = console_principal(engine())
    if principal is None:
        raise ApiError(
            401, "unauthorized", "sign in to the console, or send Authorization: Bearer <token>"
        )
    if request.method not in SAFE_METHODS:
        # Cookies ride along on cross-site requests; the CSRF token proves the console sent it.
        current_app.extensions["csrf"].protect()
    return principal


def requires(role: str, scope: str) -> Callable[[F], F]:
    """Authenticate, then check the role (and the token's scopes) before the route runs."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            principal = authenticate()
            if not principal.allows(role, scope):
                need = f"the {role} role" + (f" and the {scope} scope" if principal.scopes else "")
                raise ApiError(403, "forbidden", f"this needs {need}; you have {principal.role}")
            g.principal = principal
            return view(*args, **kwargs)

        wrapper.__dict__["api_auth"] = (role, scope)  # read by the OpenAPI test
        return cast(F, wrapper)

    return decorate


def actor() -> str:
    principal: Principal = g.principal
    return principal.name


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(
            400, "bad_request", "send a JSON object body with Content-Type: application/json"
        )
    return data


def limit_arg(default: int = 25) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, "bad_request", f"limit must be an integer from 1 to {MAX_LIMIT}")
    return int(raw)


def cursor_arg() -> int | None:
    raw = request.args.get("cursor")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ApiError(400, "bad_request", "cursor must be the next_cursor of a previous page")
    return int(raw)


def str_arg(name: str, max_len: int = 200, choices: tuple[str, ...] | None = None) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > max_len:
        raise ApiError(400, "bad_request", f"{name} is longer than {max_len} characters")
    if choices and raw not in choices:
        raise ApiError(400, "bad_request", f"{name} must be one of {', '.join(choices)}")
    return raw


def page(items: list[Any], next_cursor: int | None) -> ResponseReturnValue:
    return jsonify(
        {"items": items, "next_cursor": str(next_cursor) if next_cursor is not None else None}
    )


def int_field(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or not is_id(value):
        raise ApiError(400, "bad_request", f"{name} must be a positive integer")
    return value
