"""What the X, Meta and LinkedIn receivers share: which secrets may sign a delivery, which of
our accounts it concerns, and a stable delivery id when the platform sends none.

Secrets: the platform-wide setting (X_CONSUMER_SECRET, META_APP_SECRET, LINKEDIN_CLIENT_SECRET;
comma-separated = rotation, the first one answers handshakes) plus any per-account `secret` in
ENRICH_ACCOUNTS (an account with its own app). A delivery signed with one account's own secret
may only speak about that account.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from enrich.config import Settings
from enrich.runtime import current
from webhooks.gate import reject

SETTING_NAMES = {
    "x": "X_CONSUMER_SECRET",
    "meta": "META_APP_SECRET",
    "linkedin": "LINKEDIN_CLIENT_SECRET",
}
PLATFORM_TITLES = {"x": "X", "meta": "Meta", "linkedin": "LinkedIn"}


@dataclass(frozen=True)
class Key:
    secret: str
    owner: str | None = None  # the account id of a per-account secret; None = platform-wide


def settings() -> Settings:
    return current().settings


def keys(receiver: str, account_id: str | None = None) -> list[Key]:
    """Secrets that may sign for `receiver` (on `/webhooks/<receiver>/<account_id>`: that
    account's own secrets, else the platform-wide ones). Refuses with a 404 naming the setting
    to set when there are none, since the receiver does not exist for this deployment yet."""
    s = settings()
    accounts = s.accounts_for(receiver)
    platform_wide = [Key(secret) for secret in s.platform_secrets(receiver)]
    if account_id is not None:
        account = accounts.get(account_id)
        found = [Key(account.secret, account.id)] if account and account.secret else platform_wide
    else:
        found = platform_wide + [Key(a.secret, a.id) for a in accounts.values() if a.secret]
    if not found:
        raise reject(
            404,
            "not_configured",
            f"the {PLATFORM_TITLES[receiver]} receiver is not "
            f"configured: set {SETTING_NAMES[receiver]} (comma-separated values for "
            "rotation) or a per-account secret in ENRICH_ACCOUNTS",
        )
    return found


def handshake_key(receiver: str, account_id: str | None) -> Key:
    """The secret that answers a CRC / challengeCode: the request names no account, so on the
    bare URL only an unambiguous secret can answer."""
    found = keys(receiver, account_id)
    if account_id is None and not settings().platform_secrets(receiver) and len(found) > 1:
        raise reject(
            409,
            "ambiguous_secret",
            f"several {PLATFORM_TITLES[receiver]} accounts have "
            f"their own secret: register /webhooks/{receiver}/<account id> per app, or "
            f"set {SETTING_NAMES[receiver]}",
        )
    return found[0]


def verify(candidates: list[Key], given: str, compute: Callable[[str], str]) -> Key:
    """The key whose `compute(secret)` equals `given` (constant time, every key tried), or 401."""
    if not given:
        raise reject(401, "missing_signature", "the delivery carries no signature header")
    matched: Key | None = None
    for key in candidates:
        # Compare every candidate so timing does not tell which secret (or position) matched.
        if hmac.compare_digest(compute(key.secret).encode(), given.encode()) and matched is None:
            matched = key
    if matched is None:
        raise reject(
            401, "bad_signature", "signature does not match the body with any configured secret"
        )
    return matched


def hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def our_account(receiver: str, ids: Iterable[str], key: Key) -> tuple[str | None, bool]:
    """(account field of the RawEvent, known_account). Several accounts in one delivery (Meta
    batches pages) are kept comma-joined; known only when every one is ours."""
    unique = list(dict.fromkeys(i for i in ids if i))
    if key.owner is not None and any(i != key.owner for i in unique):
        raise reject(
            403,
            "wrong_account_secret",
            f"signed with the secret of account "
            f"{key.owner}, but the delivery concerns {', '.join(unique)[:200]}",
        )
    accounts = settings().accounts_for(receiver)
    known = bool(unique) and all(i in accounts for i in unique)
    return (",".join(unique)[:200] or None), known


def stable_delivery_id(prefix: str, parts: Iterable[str], body: bytes) -> str:
    """A delivery id from the platform's own event ids (so a retry, which repeats them, is a
    duplicate); the body hash when the delivery names no event we can identify."""
    names = sorted(p for p in parts if p)
    digest = hashlib.sha256(("\n".join(names)).encode() if names else body).hexdigest()[:40]
    return f"{prefix}:{digest}"[:200]
