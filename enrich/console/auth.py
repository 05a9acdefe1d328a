"""Who is asking: console users (argon2 passwords, session cookies, sign-in rate limit) and the
`Principal` both the console and the API check roles against.

Roles are ordered viewer < revops < admin: a view that needs "revops" admits admins too.
Failed sign-ins are stored in the database (`LoginAttempt`), keyed by a hash of IP + email,
so the limit holds across every gunicorn worker and restart.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from functools import cache, wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import g, redirect, request, session, url_for
from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select

from enrich import defaults
from enrich.console.web import engine, forbidden
from enrich.db import session_scope
from enrich.errors import InputError
from enrich.models import LoginAttempt, Role, User, utcnow

# 5 failures per IP+email in 15 minutes: enough for typos, far too few for guessing.
MAX_FAILURES = 5
FAILURE_WINDOW = defaults.SIGN_IN_FAILURE_WINDOW
RANK = {Role.VIEWER: 0, Role.REVOPS: 1, Role.ADMIN: 2}

_hasher = PasswordHasher()


@cache
def dummy_hash() -> str:
    """Verified against when there is no such user, so an unknown email costs what a wrong
    password does. Made by the app at start (`init_app`), not at import: argon2 is slow by
    design, ~0.3 s that every `enrich` command paid before doing anything."""
    return _hasher.hash("enrich-no-such-user")


F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    """A signed-in user or an API token, with what it may do."""

    name: str  # the user's email, or "token:<prefix>"
    role: str
    via: str  # "session" or "token"
    scopes: frozenset[str] = field(default_factory=frozenset)  # empty = every scope of the role
    user_id: int | None = None

    def allows(self, role: str, scope: str | None = None) -> bool:
        if RANK.get(self.role, -1) < RANK[role]:
            return False
        return not (self.scopes and scope and scope not in self.scopes)


class SignInRefused(InputError):
    """Wrong email/password, a disabled user, or too many recent failures (`status` 429)."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < 12:
        raise InputError("the password must be at least 12 characters long")


def create_user(engine: Engine, *, email: str, password: str, role: str) -> User:
    """Add a console user (the `enrich users create` command)."""
    email = normalize_email(email)
    if role not in Role.ALL:
        raise InputError(f"unknown role {role!r}; choose one of {', '.join(Role.ALL)}")
    check_password_rules(password)
    with session_scope(engine) as session:
        if session.exec(select(User).where(User.email == email)).first() is not None:
            raise InputError(f"a user {email} already exists")
        user = User(email=email, password_hash=hash_password(password), role=role)
        session.add(user)
    return user


def set_password(engine: Engine, *, email: str, password: str) -> None:
    """A new password for an existing user; every session of the user ends with the old one."""
    email = normalize_email(email)
    check_password_rules(password)
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None:
            raise InputError(f"no user {email}; `enrich users list` shows who exists")
        user.password_hash = hash_password(password)
        user.sessions_valid_after = utcnow()


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        raise InputError("enter an email address such as name@example.com")
    return email


def _attempt_key(ip: str, email: str) -> str:
    return hashlib.sha256(f"{ip}|{email.strip().lower()}".encode()).hexdigest()


def sign_in(engine: Engine, email: str, password: str, ip: str) -> User:
    """The user whose email and password these are; SignInRefused otherwise.

    A failure is recorded (and committed) before refusing; a success clears the failures.
    """
    key = _attempt_key(ip, email)
    now = utcnow()
    # Counted before checked, atomically: the attempt is stored (committed) as a failure first
    # and then the stored ones are counted, so of N concurrent attempts the k-th sees at least
    # k and at most MAX_FAILURES passwords are ever checked in a window. (Reading the count
    # first let a burst of 16 have every one checked.) Success removes the record again.
    with session_scope(engine) as db:
        attempt = LoginAttempt(key_hash=key, at=now)
        db.add(attempt)
    with Session(engine) as db:
        attempts = db.exec(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.key_hash == key, col(LoginAttempt.at) > now - FAILURE_WINDOW)
        ).one()
    if attempts > MAX_FAILURES:
        # Refused unchecked: the failures that locked it stay, this one is not kept (a client
        # hammering the form must not grow the table; retention drops the expired ones).
        with session_scope(engine) as db:
            db.execute(delete(LoginAttempt).where(col(LoginAttempt.id) == attempt.id))
        raise SignInRefused(
            "too many failed sign-ins for this email from your address; "
            "wait 15 minutes and try again",
            status=429,
        )
    with session_scope(engine) as db:
        user = db.exec(select(User).where(User.email == email.strip().lower())).first()
        ok = _verify(user.password_hash if user else dummy_hash(), password)
        if ok and user is not None and user.active:
            db.execute(delete(LoginAttempt).where(col(LoginAttempt.key_hash) == key))
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            user.last_login_at = now
            return user
    raise SignInRefused("wrong email or password")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site, else `default` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(c) < 32 or c == "\\" for c in target):
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default


def session_user(engine: Engine) -> User | None:
    """The active user of this request's session cookie, if any."""
    if "user" in g:
        return cast(User | None, g.user)
    uid = session.get("uid")
    user = None
    if isinstance(uid, int):
        with Session(engine) as db:
            user = db.get(User, uid)
        # A session minted before a password change, a sign-out or deactivation no longer
        # counts.
        if (
            user is None
            or not user.active
            or not hmac.compare_digest(session.get("pw", ""), password_marker(user))
            or _signed_out(user)
        ):
            user = None
    g.user = user
    return user


def password_marker(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _signed_out(user: User) -> bool:
    issued = session.get("iat")
    after = user.sessions_valid_after
    if after is None:
        return False
    return not isinstance(issued, int | float) or issued <= after.replace(tzinfo=UTC).timestamp()


def start_session(user: User) -> None:
    session.clear()  # a fresh session on sign-in: no fixation
    session.permanent = True
    session["uid"] = user.id
    session["pw"] = password_marker(user)
    session["iat"] = time.time()


def end_sessions(engine: Engine, user_id: int) -> None:
    """Sign the user out everywhere: every session cookie issued until now stops counting."""
    with session_scope(engine) as db:
        user = db.get(User, user_id)
        if user is not None:
            user.sessions_valid_after = utcnow()


def console_principal(engine: Engine) -> Principal | None:
    user = session_user(engine)
    if user is None:
        return None
    return Principal(user.email, user.role, "session", user_id=user.id)


def login_required(role: str = Role.VIEWER) -> Callable[[F], F]:
    """Console views: sign in first (back here afterwards); 403 page if the role is too low."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = console_principal(engine())
            if principal is None:
                return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
            if not principal.allows(role):
                return forbidden(f"this page needs the {role} role; you are {principal.role}")
            g.principal = principal
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate
