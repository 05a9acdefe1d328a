"""The migrations build exactly the schema the models describe, and go down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import enrich.models  # noqa: F401  (registers the tables)
from enrich.db import alembic_config, upgrade


def schema_diff(database_url: str) -> list[object]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    finally:
        engine.dispose()


def test_head_matches_the_models(database_url: str) -> None:
    upgrade(database_url)
    assert schema_diff(database_url) == []


def test_every_migration_downgrades_and_upgrades_again(database_url: str) -> None:
    upgrade(database_url)
    command.downgrade(alembic_config(database_url), "base")
    upgrade(database_url)
    assert schema_diff(database_url) == []
