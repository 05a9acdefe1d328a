"""The records of enrich (SQLModel tables), as drawn in ARCHITECTURE.md.

Times are timezone-aware UTC (SQLModel's UTCDateTime stores them so on SQLite and PostgreSQL
alike); `utcnow()` is the one clock.
Status values are plain strings named in the `*Status` classes so SQL stays readable.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    inspect,
)
from sqlmodel import Field, SQLModel

from enrich.leads.records import LeadCatchup  # noqa: F401  (registers the table)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(JSON, **kw))


class EventStatus:
    PENDING = "pending"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"


class LinkStatus:
    AUTO = "auto"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    PENDING = "pending"  # waiting in the review queue
    HUMAN = (CONFIRMED, REJECTED)
    ACTIVE = (AUTO, CONFIRMED)


class WriteStatus(StrEnum):
    """Where one CRM write of a ledger row (an activity, a hand-off) stands. The values are the
    strings stored in SQL."""

    PENDING = "pending"  # not sent yet
    SENDING = "sending"  # sent, no answer recorded: it may have landed; re-sent as an upsert
    WRITTEN = "written"  # the CRM answered with its id
    FAILED = "failed"  # refused for good: dead-lettered

    @classmethod
    def open(cls) -> tuple[WriteStatus, WriteStatus]:
        """Statuses whose write is still to be done."""
        return cls.PENDING, cls.SENDING


class RawEvent(SQLModel, table=True):
    """A webhook delivery exactly as received; the durable source of every later job."""

    __tablename__ = "raw_event"
    __table_args__ = (
        UniqueConstraint("source", "delivery_id", name="uq_raw_event_delivery"),
        Index("ix_raw_event_status_received", "status", "received_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=80)  # x, meta, linkedin, standard:<name>, import:<file>
    delivery_id: str = Field(max_length=200)
    account: str | None = Field(default=None, max_length=200)  # our page/org/user it concerns
    known_account: bool = True
    received_at: datetime = Field(default_factory=utcnow)
    headers: dict[str, str] | None = _json()
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default=EventStatus.PENDING, max_length=20)
    attempts: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    processed_at: datetime | None = None


class SocialProfile(SQLModel, table=True):
    """One person on one platform; newest name/bio/location win, handle changes are kept."""

    __tablename__ = "social_profile"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id", name="uq_profile_user"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    platform_user_id: str = Field(max_length=200)
    handle: str | None = Field(default=None, max_length=200, index=True)
    name: str | None = Field(default=None, max_length=300)
    bio: str | None = Field(default=None, sa_column=Column(Text))
    location: str | None = Field(default=None, max_length=300)
    url: str | None = Field(default=None, max_length=500)
    website: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=320, index=True)
    handle_history: list[str] | None = _json()
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)
    match_requested_at: datetime | None = None  # set when it must be (re)matched
    # Of its stored ProfileMatchKey rows: a delivery rewrites them only when they changed.
    match_keys_digest: int | None = Field(default=None, sa_column=Column(BigInteger))


class ProfileMatchKey(SQLModel, table=True):
    """One blocking key of a profile (a stable 64-bit hash of it), so that a CRM record added
    or changed in the mirror finds the profiles it would be a candidate for, linked or not,
    and they are matched again (the mirror of a million people is not scanned per pull)."""

    __tablename__ = "profile_match_key"
    key: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    profile_id: int = Field(foreign_key="social_profile.id", primary_key=True, index=True)


class Touchpoint(SQLModel, table=True):
    """One social action by one profile; `dedupe_key` makes re-processing harmless."""

    __tablename__ = "touchpoint"
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=300, unique=True)
    raw_event_id: int | None = Field(default=None, foreign_key="raw_event.id", index=True)
    profile_id: int = Field(foreign_key="social_profile.id", index=True)
    platform: str = Field(max_length=20)
    kind: str = Field(max_length=20)
    account: str | None = Field(default=None, max_length=200)
    post_id: str | None = Field(default=None, max_length=300)
    post_url: str | None = Field(default=None, max_length=500)
    post_text: str | None = Field(default=None, sa_column=Column(Text))
    text: str | None = Field(default=None, sa_column=Column(Text))
    occurred_at: datetime = Field(default_factory=utcnow, index=True)
    is_own: bool = False  # performed by our own account: not a prospect's engagement


class CrmRecord(SQLModel, table=True):
    """Local mirror of a CRM contact, lead or account; the matcher searches only this."""

    __tablename__ = "crm_record"
    __table_args__ = (UniqueConstraint("crm", "object_type", "crm_id", name="uq_crm_record"),)
    id: int | None = Field(default=None, primary_key=True)
    crm: str = Field(max_length=20)
    object_type: str = Field(max_length=20)  # contact, lead, account
    crm_id: str = Field(max_length=64)
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, index=True)
    company: str | None = Field(default=None, max_length=300)
    account_crm_id: str | None = Field(default=None, max_length=64, index=True)
    title: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=200)
    linkedin_url: str | None = Field(default=None, max_length=500)
    twitter_handle: str | None = Field(default=None, max_length=200)
    owner_id: str | None = Field(default=None, max_length=64)
    modified_at: datetime | None = None
    deleted: bool = False
    raw: dict[str, Any] | None = _json()
    pulled_at: datetime = Field(default_factory=utcnow, index=True)  # the matcher's freshness


class IdentityLink(SQLModel, table=True):
    """Profile ↔ record decision with its score and per-comparison explanation."""

    __tablename__ = "identity_link"
    __table_args__ = (UniqueConstraint("profile_id", "record_id", name="uq_link_pair"),)
    id: int | None = Field(default=None, primary_key=True)
    profile_id: int = Field(foreign_key="social_profile.id", index=True)
    record_id: int = Field(foreign_key="crm_record.id", index=True)
    status: str = Field(max_length=20)
    score: float = 0.0
    explanation: list[dict[str, Any]] | None = _json()
    rule_version: str | None = Field(default=None, max_length=64)
    decided_by: str = Field(default="matcher", max_length=200)
    decided_at: datetime = Field(default_factory=utcnow)


class CrmDuplicate(SQLModel, table=True):
    """Two contacts/leads of the mirror that look like one person's (the match rules'
    `duplicates` rule), as the last `DuplicateScan` found them: RevOps read them on the
    console and the API; `record_id` < `other_id`."""

    __tablename__ = "crm_duplicate"
    record_id: int = Field(foreign_key="crm_record.id", primary_key=True)
    other_id: int = Field(foreign_key="crm_record.id", primary_key=True)
    evidence: list[str] | None = _json()


class DuplicateScan(SQLModel, table=True):
    """One search of the mirror for duplicate records: over which mirror state and rules
    (`mirror_key`: a scan is done again only when it moved), how many pairs and how long."""

    __tablename__ = "duplicate_scan"
    id: int | None = Field(default=None, primary_key=True)
    mirror_key: str = Field(max_length=200)
    records: int = 0
    pairs: int = 0
    seconds: float = 0.0
    finished_at: datetime = Field(default_factory=utcnow)


class RuleSet(SQLModel, table=True):
    """A versioned configuration document: match rules, topic taxonomy or scoring rules."""

    __tablename__ = "rule_set"
    __table_args__ = (UniqueConstraint("kind", "version", name="uq_rule_version"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # match, topics, scoring
    version: str = Field(max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    active: bool = False
    created_by: str = Field(default="system", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    comment: str | None = Field(default=None, max_length=500)


class Interest(SQLModel, table=True):
    __tablename__ = "interest"
    __table_args__ = (UniqueConstraint("record_id", "topic", name="uq_interest"),)
    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="crm_record.id", index=True)
    topic: str = Field(max_length=100)
    strength: float = 0.0
    evidence: list[dict[str, Any]] | None = _json()
    updated_at: datetime = Field(default_factory=utcnow)


class Score(SQLModel, table=True):
    """The engagement score of a person (or account) with its breakdown."""

    __tablename__ = "score"
    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="crm_record.id", unique=True)
    score: float = 0.0
    reasons: str = Field(default="", max_length=255)
    breakdown: dict[str, Any] | None = _json()  # lines and points per rule; engaged people
    topic_scores: dict[str, float] | None = _json()
    handoff_armed: bool = True
    rule_version: str | None = Field(default=None, max_length=64)
    computed_at: datetime = Field(default_factory=utcnow)


class SyncRequest(SQLModel, table=True):
    """Outbox: this record has something new to write to its CRM (coalesced per record)."""

    __tablename__ = "sync_request"
    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="crm_record.id", unique=True)
    requested_at: datetime = Field(default_factory=utcnow, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text))


class SyncState(SQLModel, table=True):
    """The last value written per record and field, so unchanged values are never re-sent."""

    __tablename__ = "sync_state"
    __table_args__ = (UniqueConstraint("record_id", "field", name="uq_sync_field"),)
    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="crm_record.id", index=True)
    field: str = Field(max_length=100)
    value: str | None = Field(default=None, sa_column=Column(Text))
    written_at: datetime = Field(default_factory=utcnow)


class ActivityWrite(SQLModel, table=True):
    """Touchpoint ↔ CRM activity id, so no activity is written twice."""

    __tablename__ = "activity_write"
    __table_args__ = (UniqueConstraint("touchpoint_id", "record_id", name="uq_activity"),)
    id: int | None = Field(default=None, primary_key=True)
    # None once retention purged the touchpoint: the CRM keeps the activity, erasure can find it.
    touchpoint_id: int | None = Field(default=None, foreign_key="touchpoint.id", index=True)
    record_id: int = Field(foreign_key="crm_record.id", index=True)
    crm: str = Field(max_length=20)
    activity_id: str | None = Field(default=None, max_length=64)
    status: str = Field(default=WriteStatus.PENDING, max_length=20)  # a WriteStatus
    written_at: datetime | None = None


class DeadLetter(SQLModel, table=True):
    """Work that kept failing; replayable from the CLI and the console."""

    __tablename__ = "dead_letter"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # raw_event, sync
    ref_id: int | None = None
    error: str = Field(sa_column=Column(Text, nullable=False))
    payload: dict[str, Any] | None = _json()
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    replayed_at: datetime | None = None


class Suppression(SQLModel, table=True):
    """An erased person stays erased: hashed identifiers dropped at ingest."""

    __tablename__ = "suppression"
    id: int | None = Field(default=None, primary_key=True)
    identifier_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=100)
    target: str | None = Field(default=None, max_length=200)
    detail: dict[str, Any] | None = _json()


class CrmCursor(SQLModel, table=True):
    """Where the last incremental pull of one CRM object stopped (resumable pulls)."""

    __tablename__ = "crm_cursor"
    __table_args__ = (UniqueConstraint("crm", "object_type", name="uq_crm_cursor"),)
    id: int | None = Field(default=None, primary_key=True)
    crm: str = Field(max_length=20)
    object_type: str = Field(max_length=20)
    modified_since: datetime | None = None
    page_token: str | None = Field(default=None, max_length=500)
    updated_at: datetime = Field(default_factory=utcnow)


class Role:
    ADMIN = "admin"
    REVOPS = "revops"
    VIEWER = "viewer"
    ALL = (ADMIN, REVOPS, VIEWER)


class User(SQLModel, table=True):
    """A console user; passwords are stored only as hashes."""

    __tablename__ = "user_account"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    password_hash: str = Field(max_length=300)
    role: str = Field(default=Role.VIEWER, max_length=20)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    # Sessions issued before this are over (signing out ends them on the server, not just in
    # the browser that signed out: a copied cookie dies with them).
    sessions_valid_after: datetime | None = None


class ApiToken(SQLModel, table=True):
    """A revocable token for automation; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)  # shown in the console to tell tokens apart
    role: str = Field(default=Role.VIEWER, max_length=20)
    scopes: list[str] | None = _json()
    created_by: str = Field(max_length=320)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiUsage(SQLModel, table=True):
    """CRM API calls made per connection and UTC day, against the daily budget."""

    __tablename__ = "api_usage"
    __table_args__ = (UniqueConstraint("crm", "day", name="uq_api_usage_day"),)
    id: int | None = Field(default=None, primary_key=True)
    crm: str = Field(max_length=20)
    day: str = Field(max_length=10)  # YYYY-MM-DD (UTC)
    calls: int = 0
    limit_seen: int | None = None  # the org's/portal's own daily limit, when the CRM says it
    updated_at: datetime = Field(default_factory=utcnow)


class LoginAttempt(SQLModel, table=True):
    """A failed console sign-in, keyed by a hash of IP + email; shared by every web worker."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_key_at", "key_hash", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow)


class Handoff(SQLModel, table=True):
    """A person or account crossed the hand-off threshold: one follow-up task for the owner."""

    __tablename__ = "handoff"
    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="crm_record.id", index=True)
    score: float
    reason: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    status: str = Field(default=WriteStatus.PENDING, max_length=20)  # a WriteStatus
    activity_id: str | None = Field(default=None, max_length=64)


class TrainingRun(SQLModel, table=True):
    """One "Train weights on this CRM" run: it works in the background (a job), and the
    rules page follows its progress here until it stores the trained rules as a version."""

    __tablename__ = "training_run"
    id: int | None = Field(default=None, primary_key=True)
    state: str = Field(max_length=20)  # a TrainingState
    phase: str = Field(default="", max_length=100)
    progress: float = 0.0  # share of the work done, 0 to 1
    started_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None
    message: str | None = Field(default=None, max_length=1000)
    version: str | None = Field(default=None, max_length=64)  # the rules version stored


class TrainingState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class LeadStatus(StrEnum):
    """Where one lead-form response stands (docs/LEAD_FORMS.md §4)."""

    PENDING = "pending"  # named by a delivery: its answers are to be read from the platform
    FETCHED = "fetched"  # read: a lead_form touchpoint holds it
    UNAVAILABLE = "unavailable"  # the platform kept saying it does not exist
    NEEDS_TOKEN = "needs_token"  # our token was refused: a person must give a new one
    NEEDS_PERMISSION = "needs_permission"  # the token may not read leads of this form/page
    DELETE = "delete"  # the platform said the lead was deleted: our copy is to be erased
    DELETED = "deleted"  # erased (answers, touchpoint, CRM activity)
    FAILED = "failed"  # kept failing: dead-lettered


class LeadForm(SQLModel, table=True):
    """A lead-form response (Meta Lead Ads, LinkedIn Lead Gen Forms): named by a delivery,
    read by a job, kept with its answers; `crm_status` follows the CRM Lead enrich creates
    when no CRM person matches (None: a person matched, nothing to create)."""

    __tablename__ = "lead_form"
    __table_args__ = (
        UniqueConstraint("source", "lead_id", name="uq_lead_form"),
        Index("ix_lead_form_due", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=20)  # meta, linkedin
    lead_id: str = Field(max_length=100)
    raw_event_id: int | None = None
    account: str | None = Field(default=None, max_length=200)
    form_id: str | None = Field(default=None, max_length=200)
    ad_id: str | None = Field(default=None, max_length=200)
    status: str = Field(default=LeadStatus.PENDING, max_length=20)  # a LeadStatus
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    error: str | None = Field(default=None, sa_column=Column(Text))
    received_at: datetime = Field(default_factory=utcnow)
    fetched_at: datetime | None = None
    test_lead: bool = False
    answers: list[dict[str, Any]] | None = _json()
    consents: list[dict[str, Any]] | None = _json()
    profile_id: int | None = Field(default=None, index=True)
    touchpoint_id: int | None = None
    crm_status: str | None = Field(default=None, max_length=20, index=True)  # review or WriteStatus
    crm_id: str | None = Field(default=None, max_length=64)
    crm_attempts: int = 0


class _Stored(Protocol):
    @property
    def id(self) -> int | None: ...


def id_of(row: _Stored) -> int:
    """The id of a row that is in the database. SQLModel types every id as optional (a new row
    has none until it is flushed); this says the row was stored, and fails loudly if not."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: add it and flush the session first")
    return row.id


def table_of(model: type[SQLModel]) -> Table:
    """A model's Core table, for bulk statements without the ORM (SQLModel does not declare
    ``__table__`` to type checkers)."""
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table
