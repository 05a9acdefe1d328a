"""Translate simple-salesforce, hubspot-api-client, urllib3 and requests errors into enrich's tree.

The one place vendor exceptions are known; everything above the adapters sees `CRMError`s.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
import urllib3.exceptions
from simple_salesforce import exceptions as sfx

from enrich.errors import (
    CRMAuthError,
    CRMError,
    CRMPermanent,
    CRMRateLimited,
    CRMUnavailable,
    CRMValidationError,
)


def _sf_code(content: Any) -> str | None:
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode"))
    return None


@contextmanager
def salesforce_errors(record_id: str | None = None) -> Iterator[None]:
    ctx: dict[str, Any] = {"crm": "salesforce", "record_id": record_id}
    try:
        yield
    except sfx.SalesforceExpiredSession as exc:
        raise CRMAuthError(
            "Salesforce session expired or invalid (INVALID_SESSION_ID): set a fresh "
            "SALESFORCE_SESSION_ID, or SALESFORCE_REFRESH_TOKEN + SALESFORCE_CLIENT_ID so enrich "
            "renews it, then replay the 'crm_auth' dead letter",
            status=401,
            code="INVALID_SESSION_ID",
            **ctx,
        ) from exc
    except sfx.SalesforceAuthenticationFailed as exc:
        raise CRMAuthError(
            f"Salesforce login failed ({exc}): check SALESFORCE_USERNAME, "
            "SALESFORCE_PASSWORD and SALESFORCE_SECURITY_TOKEN, then replay the 'crm_auth' "
            "dead letter",
            status=401,
            code="LOGIN_FAILED",
            **ctx,
        ) from exc
    except sfx.SalesforceRefusedRequest as exc:
        code = _sf_code(exc.content)
        if code == "REQUEST_LIMIT_EXCEEDED":
            raise CRMRateLimited(
                "Salesforce API request limit exceeded",
                retry_after=60.0,
                status=403,
                code=code,
                **ctx,
            ) from exc
        raise CRMAuthError(
            f"Salesforce refused the request ({code}): check the user's permissions",
            status=403,
            code=code,
            **ctx,
        ) from exc
    except sfx.SalesforceMalformedRequest as exc:
        raise CRMValidationError(
            f"Salesforce rejected the request: {exc.content!s}",
            status=400,
            code=_sf_code(exc.content),
            **ctx,
        ) from exc
    except sfx.SalesforceResourceNotFound as exc:
        raise CRMPermanent(
            "Salesforce record or resource not found", status=404, code="NOT_FOUND", **ctx
        ) from exc
    except sfx.SalesforceError as exc:
        status = getattr(exc, "status", None)
        if status is not None and status >= 500:
            raise CRMUnavailable(
                f"Salesforce answered {status}", status=status, code=_sf_code(exc.content), **ctx
            ) from exc
        if status == 429:  # the adapter replaces the wait with the answer's Retry-After
            raise CRMRateLimited(
                "Salesforce answered 429", status=429, code=_sf_code(exc.content), **ctx
            ) from exc
        raise CRMPermanent(
            f"Salesforce error {status}: {exc.content!s}", status=status, **ctx
        ) from exc
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise CRMUnavailable(f"Salesforce unreachable: {type(exc).__name__}", **ctx) from exc
    except sfx.SalesforceOperationError as exc:  # a Bulk 2.0 job Failed/Aborted or timed out
        raise CRMUnavailable(f"Salesforce Bulk API 2.0 job did not complete: {exc}", **ctx) from exc


def _hubspot_api_exception(exc: Exception) -> CRMError | None:
    status = getattr(exc, "status", None)
    if status is None or not hasattr(exc, "body"):
        return None
    ctx: dict[str, Any] = {"crm": "hubspot", "status": status}
    try:
        body = json.loads(getattr(exc, "body", None) or "{}")
    except ValueError:
        body = {}
    message = body.get("message") or getattr(exc, "reason", "") or "error"
    if status == 429:
        headers = getattr(exc, "headers", None) or {}
        policy = body.get("policyName", "")
        retry_after = float(headers.get("Retry-After", 0) or 0)
        if not retry_after:
            retry_after = 3600.0 if policy == "DAILY" else (1.0 if policy == "SECONDLY" else 10.0)
        return CRMRateLimited(
            f"HubSpot rate limit: {message}",
            retry_after=retry_after,
            code=policy or "RATE_LIMIT",
            **ctx,
        )
    if status == 401:
        return CRMAuthError(
            f"HubSpot token invalid or expired ({body.get('category') or 'UNAUTHORIZED'}): set a "
            "fresh HUBSPOT_ACCESS_TOKEN (private app → Auth → rotate), then replay the "
            "'crm_auth' dead letter",
            code=body.get("category"),
            **ctx,
        )
    if status >= 500:
        return CRMUnavailable(f"HubSpot answered {status}: {message}", **ctx)
    return CRMValidationError(
        f"HubSpot rejected the request: {message}", code=body.get("category"), **ctx
    )


@contextmanager
def hubspot_errors() -> Iterator[None]:
    try:
        yield
    except CRMError:
        raise
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise CRMUnavailable(f"HubSpot unreachable: {type(exc).__name__}", crm="hubspot") from exc
    except Exception as exc:
        # Each hubspot API package has its own ApiException class; they share these attributes.
        translated = _hubspot_api_exception(exc)
        if translated is None:
            raise
        raise translated from exc
