"""Fast databases for the receiver tests: migrate one template per session and copy it per test
(running every Alembic migration per test costs ~0.7 s; a file copy costs ~1 ms)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from enrich.db import upgrade


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "enrich.db"
    upgrade(f"sqlite:///{path}")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # fold the WAL in, so one file is complete
    conn.close()
    return path


@pytest.fixture
def database_url(tmp_path: Path, migrated_template: Path) -> str:
    target = tmp_path / "enrich.db"
    shutil.copyfile(migrated_template, target)
    return f"sqlite:///{target}"
