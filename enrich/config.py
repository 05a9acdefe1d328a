"""All of enrich's configuration, in one typed place.

Values come from the environment (and an optional ``.env`` file in the working folder);
`create_app(settings)` and the CLI build a `Settings` once and pass it down. Nothing reads
``os.environ`` anywhere else.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from enrich.errors import ConfigError
from enrich.sync.fields import FieldMap
from enrich.yamlfile import load_yaml

MIN_RETENTION_DAYS = 7
PLACEHOLDERS = {"", "changeme", "change-me", "secret", "xxx", "todo"}


class SocialAccount(BaseModel):
    """One of *our* social accounts (see ENRICH_ACCOUNTS): deliveries about it are ours."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: Literal["x", "facebook", "instagram", "linkedin"]
    id: str = Field(
        min_length=1,
        max_length=200,
        description="X user id, FB page id, IG "
        "business account id, or LinkedIn organization URN (a bare number is accepted)",
    )
    name: str = Field(
        min_length=1, max_length=200, description="what the CRM shows, e.g. 'our LinkedIn page'"
    )
    secret: str | None = Field(
        None,
        description="this account's app secret, when it has its own "
        "app (X consumer secret / Meta app secret / LinkedIn clientSecret)",
    )

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: object) -> object:
        # YAML reads a bare page id as an int; ids are opaque strings everywhere else.
        return str(value).strip() if isinstance(value, int | str) else value

    @model_validator(mode="after")
    def _linkedin_urn(self) -> SocialAccount:
        if self.platform == "linkedin" and self.id.isdigit():
            return self.model_copy(update={"id": f"urn:li:organization:{self.id}"})
        return self

    @property
    def receiver(self) -> str:
        """The webhook receiver that hears about this account (Instagram and Facebook: meta)."""
        return "meta" if self.platform in ("facebook", "instagram") else self.platform


@lru_cache(maxsize=8)
def _parse_accounts(value: str, mtime: float | None) -> tuple[SocialAccount, ...]:
    # `mtime` is part of the cache key so an edited accounts file is re-read.
    text = Path(value).read_text(encoding="utf-8") if mtime is not None else value
    # JSON is YAML, so one parser reads both forms.
    data = load_yaml(
        text, f"ENRICH_ACCOUNTS file {value}" if mtime is not None else "ENRICH_ACCOUNTS"
    )
    if isinstance(data, dict):
        data = data.get("accounts", [])
    if not isinstance(data, list):
        raise ConfigError("ENRICH_ACCOUNTS must be a list of {platform, id, name, secret?}")
    try:
        accounts = tuple(SocialAccount.model_validate(item) for item in data)
    except ValidationError as exc:
        raise ConfigError(f"ENRICH_ACCOUNTS: {exc}") from exc
    seen: set[tuple[str, str]] = set()
    for account in accounts:
        if (account.receiver, account.id) in seen:
            raise ConfigError(f"ENRICH_ACCOUNTS lists {account.platform} {account.id} twice")
        seen.add((account.receiver, account.id))
    return accounts


def split_secrets(value: str | None) -> list[str]:
    """A comma-separated secret setting → its values (several = rotation; the first signs)."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


class Settings(BaseSettings):
    """Typed settings; every field maps to the upper-case environment variable of its name."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", case_sensitive=False, populate_by_name=True
    )

    env: Literal["development", "production", "test"] = Field(
        "development", alias="ENRICH_ENV", description="development relaxes the secret checks"
    )
    database_url: str = Field("sqlite:///enrich.db", description="SQLAlchemy URL")
    redis_url: str | None = Field(None, description="unset = embedded in-process queue")
    port: int = 8000
    host: str = "127.0.0.1"
    public_url: str | None = Field(None, description="base URL of the console, for CRM links")
    admin_token: str | None = Field(None, alias="ENRICH_ADMIN_TOKEN")
    secret_key: str | None = Field(None, alias="ENRICH_SECRET_KEY")
    metrics_token: str | None = Field(
        None,
        alias="ENRICH_METRICS_TOKEN",
        description="bearer token for GET /metrics; "
        "required outside development (see enrich/metrics.py)",
    )
    worker_threads: int = Field(4, alias="ENRICH_WORKER_THREADS")
    sweep_after_s: float = Field(
        30.0, alias="ENRICH_SWEEP_AFTER_S", description="re-enqueue work pending this long"
    )
    attribution_window_days: int = Field(
        90,
        ge=1,
        le=730,
        alias="ATTRIBUTION_WINDOW_DAYS",
        description="attribution looks this many days back from an opportunity's creation "
        "(and close) for its people's social touches (README, 'Attribution')",
    )
    sync_window_s: float = Field(
        60.0,
        ge=0,
        alias="ENRICH_SYNC_WINDOW_S",
        description="routine CRM updates of a record "
        "(score, interests, last touch) wait this long after its first news, so that what "
        "arrives meanwhile goes out in the same write and in full batches; a hand-off goes out "
        "at once. 60 s: reps see changes within about a minute, and a steady trickle costs at "
        "most ~3 calls a minute (~4,300 a day, under half the default daily budget); see "
        "docs/SYNC.md",
    )
    sync_lease_s: float = Field(
        120.0, alias="ENRICH_SYNC_LEASE_S", description="a sync run owns its records this long"
    )
    sqlite_busy_timeout_ms: int = Field(
        5000,
        alias="ENRICH_SQLITE_BUSY_TIMEOUT_MS",
        ge=0,
        description="how long a SQLite write waits for another writer's lock before a 503",
    )
    raw_event_retention_days: float = Field(
        30.0,
        alias="ENRICH_RAW_EVENT_RETENTION_DAYS",
        description="purge processed raw deliveries older than this (0 = keep forever)",
    )
    touchpoint_retention_days: float = Field(
        730.0,
        alias="ENRICH_TOUCHPOINT_RETENTION_DAYS",
        description="purge touchpoints that happened longer ago than this (0 = keep forever)",
    )
    trusted_proxies: int = Field(
        0,
        alias="ENRICH_TRUSTED_PROXIES",
        ge=0,
        le=5,
        description="reverse proxies in front of enrich whose X-Forwarded-For/-Proto to believe "
        "(0 = none: the client is the peer address, as sign-in lockout needs)",
    )
    log_level: str = Field("INFO", alias="ENRICH_LOG_LEVEL")
    log_json: bool = Field(False, alias="ENRICH_LOG_JSON")

    # CRM connection
    crm: Literal["salesforce", "hubspot", "none"] = "none"
    salesforce_instance_url: str | None = None
    salesforce_session_id: str | None = None
    salesforce_username: str | None = None
    salesforce_password: str | None = None
    salesforce_security_token: str | None = None
    salesforce_domain: str | None = None
    salesforce_ca_bundle: str | None = None
    # OAuth 2.0 refresh token flow (a connected app): enrich buys a new session when the
    # current one expires (401 INVALID_SESSION_ID) instead of stopping.
    salesforce_refresh_token: str | None = None
    salesforce_client_id: str | None = Field(None, description="the connected app's consumer key")
    salesforce_client_secret: str | None = None
    salesforce_login_url: str = Field(
        "https://login.salesforce.com",
        description="token endpoint host: login, test (sandbox "
        "orgs) or your My Domain, e.g. https://acme.my.salesforce.com",
    )
    salesforce_api_version: str = "59.0"
    salesforce_bulk_threshold: int | None = Field(
        2000,
        ge=1,
        description="field updates of more records than this in one run go "
        "through Bulk API 2.0 (Salesforce's guidance: past 2,000); unset = never",
    )
    salesforce_bulk_poll_s: float = Field(
        2.0, gt=0, description="seconds between polls of a Bulk API 2.0 job"
    )
    hubspot_access_token: str | None = None
    hubspot_base_url: str = "https://api.hubapi.com"
    hubspot_searches_per_s: int = Field(
        5,
        ge=1,
        description="HubSpot's CRM search limit per second (per token); enrich paces "
        "its searches (incremental pulls, note look-ups) below it, across workers with Redis",
    )
    hubspot_note_key_property: str = Field(
        "enrich_touchpoint_id",
        pattern=r"^[a-z][a-z0-9_]*$",
        description="the unique-value "
        "property on notes that keys enrich's notes (they are upserted on it, so "
        "never written twice); `enrich crm setup` creates it, or on a portal whose "
        "enrich_touchpoint_id is not unique creates enrich_touchpoint_key and says to set this",
    )
    hubspot_deletions_every_h: float = Field(
        6.0,
        ge=0,
        description="how often an incremental pull also lists the records deleted "
        "(archived) in HubSpot, so they leave the mirror; search leaves them out and the "
        "archived listing cannot be filtered by date, so each check pages through all of them "
        "(one call per 100). Full pulls always check; 0 = every pull",
    )
    crm_timeout_s: float = 30.0
    crm_daily_budget: int = Field(
        10_000, description="API calls enrich may spend per UTC day on the CRM connection"
    )
    crm_calls_per_10s: int | None = Field(
        None, description="cap on CRM calls per 10 s across all workers (HubSpot: 100 or 190)"
    )
    crm_budget_share: float = Field(
        0.1, description="...and at most this share of the org's daily allocation, once known"
    )
    crm_fields: str | None = Field(
        None,
        alias="ENRICH_CRM_FIELDS",
        description="field mapping RevOps can change: a "
        "YAML/JSON file path or inline JSON (see enrich/sync/fields.py and the README)",
    )

    # Webhook secrets (see webhooks/): several comma-separated values allow rotation.
    x_consumer_secret: str | None = None
    meta_app_secret: str | None = None
    meta_verify_token: str | None = None
    linkedin_client_secret: str | None = None
    standard_webhook_secrets: str | None = Field(
        None, description="comma-separated source=whsec_... pairs; a source may appear twice"
    )
    # Lead-gen forms (docs/LEAD_FORMS.md): where and with what their answers are read, and
    # what happens when no CRM person matches the one who filled a form in.
    meta_graph_url: str = Field("https://graph.facebook.com", description="Graph API base URL")
    meta_graph_version: str = Field("v23.0", pattern=r"^v[0-9]{1,3}\.[0-9]{1,2}$")
    meta_page_tokens: str | None = Field(
        None,
        description="comma-separated <page id>=<Page access token> pairs ('*=<token>' for "
        "every Page): the long-lived token that reads each Page's leads",
    )
    linkedin_api_url: str = Field("https://api.linkedin.com", description="LinkedIn API base URL")
    linkedin_version: str = Field(
        "202601", pattern=r"^[0-9]{6}$", description="LinkedIn-Version header (YYYYMM)"
    )
    linkedin_access_token: str | None = Field(
        None, description="a member token with r_marketing_leadgen_automation"
    )
    lead_forms_unmatched: Literal["review", "create_lead"] = Field(
        "review",
        description="no CRM person matches a lead: keep it for review (default: nothing is "
        "written to the CRM until RevOps opt in) or create a CRM Lead",
    )
    lead_forms_owners: str | None = Field(
        None,
        description="owner of created Leads: comma-separated <form id|account id|*>=<owner id>, "
        "the form's rule first, then its Page/organization's, then '*'",
    )
    lead_forms_timeout_s: float = Field(10.0, gt=0, le=120)
    lead_forms_meta_forms: str | None = Field(
        None,
        description="the catch-up reads these forms' leads: comma-separated <form id>=<page id> "
        "pairs (the Page's token in META_PAGE_TOKENS reads them)",
    )
    lead_forms_linkedin_owners: str | None = Field(
        None,
        description="the catch-up reads these owners' leads: comma-separated "
        "urn:li:organization:<id> or urn:li:sponsoredAccount:<id>",
    )

    # Our own social accounts: a path to a YAML/JSON file, or inline JSON. Each item is
    # {platform: x|facebook|instagram|linkedin, id, name, secret?}; see SocialAccount.
    accounts: str | None = Field(None, alias="ENRICH_ACCOUNTS")

    # The social card inside the CRM (enrich/embed/, docs/CRM_CARD.md). Comma-separated
    # secrets allow rotation; unset = that CRM's card routes answer 404 not_configured.
    hubspot_client_secret: str | None = Field(
        None,
        description="the HubSpot app's client secret: checks X-HubSpot-Signature-v3 on "
        "the app card's hubspot.fetch() requests",
    )
    hubspot_portal_id: str | None = Field(
        None,
        description="only this HubSpot account (portal) may ask for cards; unset = any "
        "portal the app is installed in",
    )
    salesforce_card_key: str | None = Field(
        None,
        description="the per-org secret the Salesforce named credential sends in the "
        "X-Enrich-Card-Key header (at least 32 characters)",
    )
    card_requests_per_minute: int = Field(
        60, ge=1, description="card requests one CRM user may make per minute (per web process)"
    )

    @field_validator("salesforce_card_key")
    @classmethod
    def _card_key_strong(cls, value: str | None) -> str | None:
        # It is a bearer secret (no signature over the request): it must not be guessable.
        if value is not None and any(len(key) < 32 for key in split_secrets(value)):
            raise ValueError(
                "each key must be at least 32 characters (e.g. `openssl rand -hex 32`)"
            )
        return value

    @field_validator("lead_forms_meta_forms")
    @classmethod
    def _meta_forms(cls, value: str | None) -> str | None:
        for item in (value or "").split(","):
            form, sep, page = item.strip().partition("=")
            if item.strip() and not (sep and form.strip().isdigit() and page.strip().isdigit()):
                raise ValueError(f"{item.strip()!r}: expected <form id>=<page id>, both digits")
        return value

    @field_validator("lead_forms_linkedin_owners")
    @classmethod
    def _linkedin_owners(cls, value: str | None) -> str | None:
        for owner in (value or "").split(","):
            if owner.strip() and not re.fullmatch(
                r"urn:li:(organization|sponsoredAccount):[0-9]{1,20}", owner.strip()
            ):
                raise ValueError(
                    f"{owner.strip()!r}: expected urn:li:organization:<id> or "
                    "urn:li:sponsoredAccount:<id>"
                )
        return value

    @field_validator("database_url")
    @classmethod
    def _sqlalchemy_url(cls, value: str) -> str:
        # Heroku-style URLs say postgres://; SQLAlchemy wants a driver name.
        if value.startswith("postgres://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgres://")
        elif value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("raw_event_retention_days", "touchpoint_retention_days")
    @classmethod
    def _retention(cls, value: float) -> float:
        # Platforms retry deliveries for days; a shorter window would let a late retry of a
        # purged delivery count as new.
        if value != 0 and value < MIN_RETENTION_DAYS:
            raise ValueError(f"must be 0 (keep forever) or at least {MIN_RETENTION_DAYS} days")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def standard_secrets(self) -> dict[str, list[str]]:
        """`source -> [whsec_...]` from STANDARD_WEBHOOK_SECRETS (read-only: it is shared)."""
        return _standard_secrets(self.standard_webhook_secrets or "")

    @model_validator(mode="after")
    def _accounts_readable(self) -> Settings:
        self.social_accounts()  # fail at start, with the reason, not on the first delivery
        return self

    @model_validator(mode="after")
    def _crm_fields_valid(self) -> Settings:
        FieldMap.from_settings(self)  # a bad field mapping fails at start, not mid-sync
        return self

    def social_accounts(self) -> tuple[SocialAccount, ...]:
        """The accounts listed in ENRICH_ACCOUNTS (parsed once per value / file version)."""
        value = (self.accounts or "").strip()
        if not value:
            return ()
        if value.startswith(("[", "{")):
            return _parse_accounts(value, None)
        path = Path(value).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"ENRICH_ACCOUNTS: no such file {value!r} (give a YAML/JSON file "
                "path or an inline JSON list)"
            )
        return _parse_accounts(str(path), path.stat().st_mtime)

    def accounts_for(self, receiver: str) -> dict[str, SocialAccount]:
        """`account id -> account` for one receiver (x, meta, linkedin)."""
        return {a.id: a for a in self.social_accounts() if a.receiver == receiver}

    def page_token(self, page_id: str | None) -> str | None:
        """The Page access token that reads this Page's leads (META_PAGE_TOKENS)."""
        pairs = _pairs(self.meta_page_tokens or "")
        return pairs.get(page_id or "") or pairs.get("*")

    def catchup_scopes(self) -> list[tuple[str, str, str | None]]:
        """(source, form id or owner URN, Page) of every form and owner the catch-up reads."""
        scopes: list[tuple[str, str, str | None]] = [
            ("meta", form, page) for form, page in _pairs(self.lead_forms_meta_forms or "").items()
        ]
        owners = (self.lead_forms_linkedin_owners or "").split(",")
        scopes += [("linkedin", owner.strip(), None) for owner in owners if owner.strip()]
        return scopes

    def lead_owner(self, form_id: str | None, account: str | None) -> str | None:
        """The CRM owner of a Lead made from this form (LEAD_FORMS_OWNERS); None: the CRM's
        own default (the API user, or assignment rules)."""
        rules = _pairs(self.lead_forms_owners or "")
        return rules.get(form_id or "") or rules.get(account or "") or rules.get("*")

    def platform_secrets(self, receiver: str) -> list[str]:
        """The app-wide secrets of a receiver (X_CONSUMER_SECRET etc.), first one signs."""
        names = {
            "x": "x_consumer_secret",
            "meta": "meta_app_secret",
            "linkedin": "linkedin_client_secret",
        }
        return split_secrets(getattr(self, names[receiver]))

    def check_production(self) -> None:
        """Refuse to start outside development with missing or placeholder secrets."""
        if self.env != "production":
            return
        problems = []
        if (self.secret_key or "").lower() in PLACEHOLDERS:
            problems.append("ENRICH_SECRET_KEY")
        if self.admin_token is not None and self.admin_token.lower() in PLACEHOLDERS:
            problems.append("ENRICH_ADMIN_TOKEN")
        if self.metrics_token is not None and self.metrics_token.lower() in PLACEHOLDERS:
            problems.append("ENRICH_METRICS_TOKEN")
        for name in ("x_consumer_secret", "meta_app_secret", "linkedin_client_secret"):
            value = getattr(self, name)
            if value is not None and value.lower() in PLACEHOLDERS:
                problems.append(name.upper())
        if problems:
            raise ConfigError(
                "refusing to start in production with placeholder secrets: "
                + ", ".join(problems)
                + " (set real values in the environment)"
            )


def load_settings(*, env_file: str | None = ".env", **overrides: object) -> Settings:
    """Settings from the environment (and `env_file`), with keyword overrides (tests, CLI flags)."""
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[arg-type,call-arg]
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise ConfigError(f"invalid configuration: {exc}") from exc


@lru_cache(maxsize=8)
def _standard_secrets(value: str) -> dict[str, list[str]]:
    # Parsed once per value: every Standard Webhooks delivery asks for it.
    pairs: dict[str, list[str]] = {}
    for item in value.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        source, sep, secret = item.partition("=")
        if not sep or not source.strip() or not secret.strip().startswith("whsec_"):
            raise ConfigError(
                f"STANDARD_WEBHOOK_SECRETS entry {source.strip()!r} must look like "
                "'source=whsec_<base64>'"
            )
        pairs.setdefault(source.strip(), []).append(secret.strip())
    return pairs


@lru_cache(maxsize=8)
def _pairs(value: str) -> dict[str, str]:
    """`a=1,b=2` → {a: 1, b: 2}, split at the first '=' of each item (ids and URNs have none;
    a token may end in '=' padding)."""
    pairs: dict[str, str] = {}
    for item in value.split(","):
        key, sep, rest = item.strip().partition("=")
        if sep and key.strip() and rest.strip():
            pairs[key.strip()] = rest.strip()
    return pairs
