"""The one exception tree of enrich.

    EnrichError
    ├── ConfigError              settings or a config file (rules, taxonomy) is invalid
    ├── InputError               a user-supplied file, message or argument is malformed
    │   └── WebhookRejected      a delivery refused with a 4xx (carries the status)
    ├── StorageUnavailable       the database cannot commit right now (answer 503, retry)
    ├── PlatformReadError        a social platform's API refused or failed a lead read
    └── CRMError                 anything a CRM answered or failed to answer
        ├── CRMRetryable         worth trying again later
        │   ├── CRMRateLimited   429 / REQUEST_LIMIT_EXCEEDED (carries retry_after)
        │   └── CRMUnavailable   5xx, timeouts, connection errors
        └── CRMPermanent         retrying the same call will not help
            ├── CRMAuthError     401 / expired session / bad token
            └── CRMValidationError  400 / unknown field / bad value

Vendor exceptions are translated once, at the adapter boundary (``enrich.sync.errors``).
"""

from __future__ import annotations


class EnrichError(Exception):
    """Root of every error enrich raises on purpose."""


class ConfigError(EnrichError):
    """A setting or a configuration file is invalid; the message says which and how to fix it."""


class InputError(EnrichError):
    """User-supplied input (file, message, argument) is malformed."""


class WebhookRejected(InputError):
    """A webhook delivery refused with a precise 4xx."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class StorageUnavailable(EnrichError):
    """The database could not commit; the caller should answer 503 so the sender retries."""


class PlatformReadError(EnrichError):
    """Reading a lead-form response from Meta's Graph API or LinkedIn's failed.

    `park` is where the lead waits for a person (`needs_token`, `needs_permission`,
    `unavailable`) when retrying cannot help; None means retry (`throttled`: the platform
    asked us to wait `retry_after` seconds, which spends no attempt)."""

    def __init__(
        self,
        message: str,
        *,
        park: str | None = None,
        throttled: bool = False,
        retry_after: float = 0.0,
        gone: bool = False,
    ) -> None:
        super().__init__(message)
        self.park = park
        self.throttled = throttled
        self.retry_after = retry_after
        self.gone = gone  # the platform says there is no such lead (it may be a delay)


class CRMError(EnrichError):
    """A CRM call failed."""

    def __init__(
        self,
        message: str,
        *,
        crm: str = "",
        status: int | None = None,
        record_id: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.crm = crm
        self.status = status
        self.record_id = record_id
        self.code = code


class CRMRetryable(CRMError):
    """Trying again later may succeed."""


class CRMRateLimited(CRMRetryable):
    """The CRM asked us to slow down."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float = 10.0,
        crm: str = "",
        status: int | None = None,
        record_id: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, crm=crm, status=status, record_id=record_id, code=code)
        self.retry_after = retry_after


class CRMUnavailable(CRMRetryable):
    """The CRM is down, slow or unreachable."""


class CRMPermanent(CRMError):
    """Retrying the same call will not help."""


class CRMAuthError(CRMPermanent):
    """The session or token is invalid or expired."""


class CRMValidationError(CRMPermanent):
    """The CRM refused the data (unknown field, bad value)."""
