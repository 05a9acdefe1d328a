"""The one small interface both CRM adapters implement, and the factory that picks one."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from enrich.errors import CRMRateLimited, CRMRetryable
from enrich.sync.budget import WindowLimiter
from enrich.sync.fields import FieldMap


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
    retry_after: float = 0.0  # seconds the CRM asked us to wait
    sent: bool = True  # False: never sent (a batch before it was refused for now)


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


@dataclass(frozen=True)
class NewLead:
    """A CRM Lead made from a lead-form response that no CRM person matched; `key`
    (`<source>:<lead id>`) makes its creation idempotent."""

    key: str
    last_name: str | None
    first_name: str | None = None
    email: str | None = None
    company: str | None = None
    title: str | None = None
    phone: str | None = None
    owner_id: str | None = None
    description: str = ""


class CrmAdapter:
    """What the mirror and the writer need from a CRM, every member declared here, with the
    default a CRM without the feature gets. One subclass per CRM (salesforce.py, hubspot.py)
    over its vendor client; vendor errors leave an adapter as `CRMError`s (sync/errors.py)."""

    name: ClassVar[str] = ""
    batch_size: ClassVar[int] = 100  # records per write call, the CRM's batch limit
    # How often an incremental pull may list deleted records (`pull_deleted`); a CRM whose
    # change feed carries deletions (Salesforce queryAll) has no such listing.
    deletions_every_s: float = 0.0
    lead_object: ClassVar[str] = "lead"  # what a created Lead is in the mirror

    def __init__(self, fields: FieldMap) -> None:
        self.fields = fields
        self.calls = 0  # HTTP calls made through this adapter (budget, console, benchmarks)
        self.limiter: WindowLimiter | None = None  # a calls-per-window cap shared by workers

    def _call(self) -> None:
        """Every HTTP call of an adapter passes here: it waits for a slot under the shared
        rate limit, then is counted (the one place to hook call metrics)."""
        if self.limiter is not None:
            self.limiter.acquire()
        self.calls += 1

    def pull(
        self, object_type: str, since: datetime | None, after_id: str | None = None
    ) -> Iterator[MirrorRow]:
        """Records of `object_type` modified after `since` (all when None), oldest first;
        `after_id` resumes after the last record stored, where the CRM's order allows."""
        raise NotImplementedError

    def pull_deleted(self, object_type: str) -> Iterator[MirrorRow]:
        """Deleted records the change feed leaves out, as deleted rows (none by default)."""
        return iter(())

    def write_fields(
        self, object_type: str, updates: list[tuple[str, dict[str, Any]]]
    ) -> list[WriteResult]:
        """Write field values on records, in batches the adapter cuts; one result per record,
        in order (a batch refused for now marks itself and the rest unsent)."""
        raise NotImplementedError

    def write_activities(self, activities: list[Activity]) -> list[WriteResult]:
        """Create timeline entries, idempotent on `Activity.key` (sending one again after a
        lost answer updates it, never makes a second); results carry the activity ids."""
        raise NotImplementedError

    def upsert_leads(self, leads: list[NewLead]) -> list[WriteResult]:
        """Create a Lead per item, idempotent on `NewLead.key`: sent again after a lost answer
        it finds the one that landed, never makes a second. Results carry the record ids."""
        raise NotImplementedError

    def delete_activities(self, activity_ids: list[str]) -> list[WriteResult]:
        """Remove timeline entries enrich created; already-gone ones count as removed."""
        raise NotImplementedError

    def api_limit(self) -> int | None:
        """The org's daily API allocation, when the CRM has said it (None: not known)."""
        return None


T = TypeVar("T")


def in_chunks(
    items: Sequence[T],
    size: int,
    send: Callable[[list[T]], list[WriteResult]],
    key: Callable[[T], str],
) -> list[WriteResult]:
    """Send `items` in chunks; a retryable failure stops there (its chunk failed, the rest is
    unsent), so chunks that landed are kept and nothing is hammered while the CRM asks us to
    wait. The one place write batches are cut."""
    results: list[WriteResult] = []
    for start in range(0, len(items), size):
        chunk = list(items[start : start + size])
        try:
            results += send(chunk)
        except CRMRetryable as exc:
            wait = exc.retry_after if isinstance(exc, CRMRateLimited) else 0.0
            results += [
                WriteResult(key(item), False, str(exc), retryable=True, retry_after=wait)
                for item in chunk
            ]
            results += [
                WriteResult(
                    key(item),
                    False,
                    "not sent: an earlier batch was refused for now",
                    retryable=True,
                    retry_after=wait,
                    sent=False,
                )
                for item in items[start + size :]
            ]
            break
    return results
