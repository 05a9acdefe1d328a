"""All of enrich's configuration, in one typed place.

Values come from the environment (and an optional ``.env`` file in the working folder);
`create_app(settings)` and the CLI build a `Settings` once and pass it down. Nothing reads
``os.environ`` anywhere else.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from enrich.errors import ConfigError

PLACEHOLDERS = {"", "changeme", "change-me", "secret", "xxx", "todo"}


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
    worker_threads: int = Field(4, alias="ENRICH_WORKER_THREADS")
    sweep_after_s: float = Field(
        30.0, alias="ENRICH_SWEEP_AFTER_S", description="re-enqueue work pending this long"
    )
    sync_lease_s: float = Field(
        120.0, alias="ENRICH_SYNC_LEASE_S", description="a sync run owns its records this long"
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
    salesforce_api_version: str = "59.0"
    hubspot_access_token: str | None = None
    hubspot_base_url: str = "https://api.hubapi.com"
    crm_timeout_s: float = 30.0

    # Webhook secrets (see webhooks/): several comma-separated values allow rotation.
    x_consumer_secret: str | None = None
    meta_app_secret: str | None = None
    meta_verify_token: str | None = None
    linkedin_client_secret: str | None = None
    standard_webhook_secrets: str | None = Field(
        None, description="comma-separated source=whsec_... pairs; a source may appear twice"
    )

    @field_validator("database_url")
    @classmethod
    def _sqlalchemy_url(cls, value: str) -> str:
        # Heroku-style URLs say postgres://; SQLAlchemy wants a driver name.
        if value.startswith("postgres://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgres://")
        elif value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def standard_secrets(self) -> dict[str, list[str]]:
        """`source -> [whsec_...]` from STANDARD_WEBHOOK_SECRETS."""
        pairs: dict[str, list[str]] = {}
        for item in (self.standard_webhook_secrets or "").replace(";", ",").split(","):
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

    def check_production(self) -> None:
        """Refuse to start outside development with missing or placeholder secrets."""
        if self.env != "production":
            return
        problems = []
        if (self.secret_key or "").lower() in PLACEHOLDERS:
            problems.append("ENRICH_SECRET_KEY")
        if self.admin_token is not None and self.admin_token.lower() in PLACEHOLDERS:
            problems.append("ENRICH_ADMIN_TOKEN")
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
