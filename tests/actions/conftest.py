"""Actions that keep records get a real, migrated SQLite database of their own for each test."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from actions import records
from bot.storage.migrations import migrate
from bot.storage.repository import Store


@pytest.fixture(autouse=True)
def records_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    migrate(url)
    monkeypatch.setenv("DATABASE_URL", url)
    records.store.cache_clear()
    yield records.store()
    records.store().close()
    records.store.cache_clear()
