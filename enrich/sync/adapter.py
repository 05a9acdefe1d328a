"""The one small interface both CRM adapters implement, and the factory that picks one."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from enrich.config import Settings
from enrich.errors import ConfigError, CRMRateLimited, CRMRetryable


@dataclass(frozen=True)
class MirrorRow:
    """A CRM person or account in the neutral shape of `CrmRecord`."""

    object_type: str  # contact, lead, account
    crm_id: str
    modified_at: datetime | None
    deleted: bool = False
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    company: str | None = None
    account_crm_id: str | None = None
    title: str | None = None
    city: str | None = None
    country: str | None = None
    linkedin_url: str | None = None
    twitter_handle: str | None = None
    owner_id: str | None = None
    raw: dict[str, Any] | None = None
    # Merges, where the CRM says so: this (deleted) record was merged into `merged_into`
    # (Salesforce MasterRecordId); these ids were merged into this record (HubSpot
    # hs_merged_object_ids).
    merged_into: str | None = None
    merged_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class WriteResult:
    crm_id: str  # the record written, or for activities the activity's own id
    ok: bool
    error: str | None = None
    retryable: bool = False
    retry_after: float = 0.0


@dataclass(frozen=True)
class Activity:
    """One timeline entry for one touchpoint on one CRM person; `key` makes it idempotent."""

    key: str
    object_type: str  # contact or lead
    record_crm_id: str
    account_crm_id: str | None
    subject: str
    body: str
    occurred_at: datetime
    handoff: bool = False  # a follow-up task for the record's owner, not a logged touch
    owner_id: str | None = None


class CrmAdapter(Protocol):
    """What the mirror and the writer need from a CRM. Optional, where the CRM's change feed
    leaves deletions out (HubSpot): `pull_deleted(object_type)` yields deleted rows and
    `deletions_every_s` says how often incremental pulls may call it (see mirror.py)."""

    name: str
    batch_size: int
    calls: int  # HTTP calls made through this adapter (for the console and benchmarks)

    def pull(self, object_type: str, since: datetime | None) -> Iterator[MirrorRow]:
        """Records of `object_type` modified after `since` (all when None), oldest first."""

    def write_fields(
        self, object_type: str, updates: list[tuple[str, dict[str, Any]]]
    ) -> list[WriteResult]:
        """Write field values on records; one result per record, in order."""

    def write_activities(self, activities: list[Activity]) -> list[WriteResult]:
        """Create timeline entries, never twice for one key; results carry the activity ids."""

    def delete_activities(self, activity_ids: list[str]) -> list[WriteResult]:
        """Remove timeline entries enrich created; already-gone ones count as removed."""


T = TypeVar("T")


def in_chunks(items: Sequence[T], size: int, send: Callable[[list[T]], list[WriteResult]],
              key: Callable[[T], str]) -> list[WriteResult]:
    """Send `items` in chunks; a retryable failure stops there and marks the rest retryable, so
    chunks that landed are kept and nothing is hammered while the CRM asks us to wait."""
    results: list[WriteResult] = []
    for start in range(0, len(items), size):
        try:
            results += send(list(items[start : start + size]))
        except CRMRetryable as exc:
            wait = exc.retry_after if isinstance(exc, CRMRateLimited) else 0.0
            results += [WriteResult(key(item), False, str(exc), retryable=True, retry_after=wait)
                        for item in items[start:]]
            break
    return results


def make_adapter(settings: Settings) -> CrmAdapter:
    from enrich.sync.budget import WindowLimiter

    adapter: Any
    if settings.crm == "salesforce":
        from enrich.sync.salesforce import SalesforceAdapter

        adapter = SalesforceAdapter.from_settings(settings)
    elif settings.crm == "hubspot":
        from enrich.sync.hubspot import HubSpotAdapter

        adapter = HubSpotAdapter.from_settings(settings)
    else:
        raise ConfigError("no CRM configured: set CRM=salesforce or CRM=hubspot (see README)")
    if settings.crm_calls_per_10s:
        adapter.limiter = WindowLimiter(settings.crm, settings.crm_calls_per_10s, 10.0,
                                        settings.redis_url)
    return adapter  # type: ignore[no-any-return]

