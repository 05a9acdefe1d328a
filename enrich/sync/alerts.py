"""Connection alerts: when the CRM refuses enrich's credentials, say so once and stop asking.

An expired session that cannot be refreshed, a revoked token or a failed login is not any
record's fault, so no record is dead-lettered for it. Instead one `DeadLetter` of kind
`crm_auth` carries the reason and what to do; while it is open (and the credentials are the
ones that failed) writes and pulls do not call the CRM, so a bad token never becomes a loop
of 401s. Pending work stays pending. Replaying the letter (console or `enrich sync replay`),
or configuring different credentials, lets the next run try again.
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import Engine
from sqlmodel import col, select

from enrich.config import Settings
from enrich.db import session_scope
from enrich.errors import CRMAuthError
from enrich.models import DeadLetter, utcnow

log = logging.getLogger("enrich.sync")
KIND = "crm_auth"
_CREDENTIALS = {
    "salesforce": (
        "salesforce_instance_url",
        "salesforce_session_id",
        "salesforce_username",
        "salesforce_password",
        "salesforce_security_token",
        "salesforce_refresh_token",
        "salesforce_client_id",
        "salesforce_client_secret",
    ),
    "hubspot": ("hubspot_access_token", "hubspot_base_url"),
}


def fingerprint(settings: Settings) -> str:
    """A one-way digest of the configured credentials (never stored in clear)."""
    values = [settings.crm] + [
        str(getattr(settings, name) or "") for name in _CREDENTIALS.get(settings.crm, ())
    ]
    return hashlib.sha256("\x1f".join(values).encode()).hexdigest()[:16]


def open_alert(engine: Engine, settings: Settings) -> DeadLetter | None:
    """The open alert for the configured credentials; alerts about credentials since replaced
    are closed on the way (a new token is the fix)."""
    current = fingerprint(settings)
    found = None
    with session_scope(engine) as session:
        for letter in session.exec(
            select(DeadLetter).where(DeadLetter.kind == KIND, col(DeadLetter.replayed_at).is_(None))
        ):
            payload = letter.payload or {}
            if payload.get("crm") != settings.crm:
                continue
            if payload.get("credentials") == current:
                found = letter
            else:
                letter.replayed_at = utcnow()
        if found is not None:
            session.expunge(found)
    return found


def raise_alert(engine: Engine, settings: Settings, exc: CRMAuthError) -> None:
    """Record (or refresh) the one open alert for these credentials."""
    log.error(
        "CRM %s refused enrich's credentials; writes and pulls wait until fixed: %s",
        settings.crm,
        exc,
    )
    current = fingerprint(settings)
    with session_scope(engine) as session:
        for letter in session.exec(
            select(DeadLetter).where(DeadLetter.kind == KIND, col(DeadLetter.replayed_at).is_(None))
        ):
            payload = letter.payload or {}
            if payload.get("crm") == settings.crm and payload.get("credentials") == current:
                letter.error, letter.attempts = str(exc), letter.attempts + 1
                return
        session.add(
            DeadLetter(
                kind=KIND,
                error=str(exc),
                attempts=1,
                payload={
                    "crm": settings.crm,
                    "credentials": current,
                    "status": exc.status,
                    "code": exc.code,
                },
            )
        )
