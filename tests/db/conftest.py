"""The database layer's tests use the receivers' migrated-template databases."""

from tests.webhooks.conftest import database_url, migrated_template  # noqa: F401
