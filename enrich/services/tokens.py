"""API tokens: created by admins with a role and optional scopes, shown once, stored only as
their SHA-256, revocable. `ENRICH_ADMIN_TOKEN` (settings) is accepted as an admin token too."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from enrich.console.auth import Principal
from enrich.db import session_scope
from enrich.errors import InputError
from enrich.models import ApiToken, AuditLog, Role, utcnow
from enrich.services.errors import NotFound

PREFIX = "enr_"
SCOPES = ("dashboard", "people", "review", "rules", "sync", "privacy", "tokens")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_dict(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "role": t.role,
        "scopes": t.scopes or [],
        "created_by": t.created_by,
        "created_at": t.created_at.isoformat(),
        "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
        "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
    }


def create(
    engine: Engine, *, name: object, role: object, scopes: object, actor: str
) -> tuple[str, dict[str, Any]]:
    """A new token: (the secret, shown this once; its stored description)."""
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or "\x00" in name:
        raise InputError("name: give the token a name of 1-200 characters")
    if role not in Role.ALL:
        raise InputError(f"role: choose one of {', '.join(Role.ALL)}")
    if scopes is None:
        scopes = []
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise InputError("scopes: give a list of scope names (or none for the role's all)")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise InputError(f"scopes: unknown scope {unknown[0]!r}; known: {', '.join(SCOPES)}")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name.strip(),
        token_hash=digest(secret),
        prefix=secret[:12],
        role=str(role),
        scopes=sorted(set(scopes)) or None,
        created_by=actor,
    )
    with session_scope(engine) as session:
        session.add(row)
        session.add(
            AuditLog(
                actor=actor,
                action="tokens.create",
                target=f"token:{row.prefix}",
                detail={"name": row.name, "role": row.role, "scopes": row.scopes},
            )
        )
    return secret, token_dict(row)


def listing(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as session:
        return [
            token_dict(t) for t in session.exec(select(ApiToken).order_by(col(ApiToken.id).desc()))
        ]


def revoke(engine: Engine, token_id: int, actor: str) -> dict[str, Any]:
    with session_scope(engine) as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"no token {token_id}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(
                AuditLog(
                    actor=actor,
                    action="tokens.revoke",
                    target=f"token:{row.prefix}",
                    detail={"name": row.name},
                )
            )
        return token_dict(row)


def principal_for(engine: Engine, secret: str, admin_token: str | None) -> Principal | None:
    """The principal a bearer token stands for, or None if unknown or revoked."""
    if admin_token and hmac.compare_digest(secret.encode(), admin_token.encode()):
        return Principal("token:ENRICH_ADMIN_TOKEN", Role.ADMIN, "token")
    with session_scope(engine) as session:
        row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest(secret))).first()
        if row is None or row.revoked_at is not None:
            return None
        now = utcnow()
        # Written at most once a minute per token: a busy script must not turn reads into writes.
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            row.last_used_at = now
        return Principal(
            f"token:{row.prefix}", row.role, "token", scopes=frozenset(row.scopes or ())
        )
