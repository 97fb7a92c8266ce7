"""The database TwitchCheck opens: the one Rasa's tracker store uses."""

from __future__ import annotations

import pytest

from bot.storage.engine import resolve_database_url


def test_the_database_is_the_one_rasa_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert resolve_database_url() == "sqlite:///twitchcheck.db"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/twitchcheck")
    assert resolve_database_url() == "postgresql://u:p@db/twitchcheck"
    assert resolve_database_url("sqlite:///other.db") == "sqlite:///other.db"
