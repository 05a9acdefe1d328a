"""The receiver tests' fast databases: one migrated template per session, copied per test."""

from tests.webhooks.conftest import database_url, migrated_template

__all__ = ["database_url", "migrated_template"]
