"""Conversations survive a restart of Rasa, in a real SQLite file and a real PostgreSQL database.

PostgreSQL tests use TEST_DATABASE_URL (default: the local server these machines run). Where it cannot
be reached they are skipped with the reason, unless TWITCHCHECK_REQUIRE_POSTGRES is set (CI sets it),
in which case they fail.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from bot.identity import DEFAULT_NAMESPACE, rest_id
from components.stores.tracker_store import resolve_database_url
from tests.conftest import MODEL, POSTGRES_URL, Assistant, Stack, postgres_or_skip

pytestmark = pytest.mark.server


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    if request.param == "postgresql":
        postgres_or_skip()
    yield f"sqlite:///{tmp_path / 'conversations.db'}" if request.param == "sqlite" else POSTGRES_URL


def stored_user_messages(url: str, sender: str) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("select data from events where sender_id = :sender and type_name = 'user' order by id"),
            {"sender": rest_id(DEFAULT_NAMESPACE, sender)},
        )
        return [json.loads(row.data)["text"] for row in rows]


def test_a_check_in_carries_on_after_rasa_restarts(database: str, tmp_path: Path) -> None:
    stack = Stack(tmp_path, database)
    person = f"storage-{uuid.uuid4().hex[:8]}"
    try:
        assistant = stack.start()
        assistant.send(person, "check my symptoms")
        assistant.send(person, "none of these")
        stack.stop_rasa()
        assistant = stack.start()
        replies = assistant.send(person, "my left calf")
        assert Assistant.text(replies).endswith("How long has it been going on?")
    finally:
        stack.stop()
    assert stored_user_messages(database, person) == ["check my symptoms", "none of these", "my left calf"]


def test_without_database_url_conversations_go_to_the_embedded_sqlite_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert resolve_database_url() == "sqlite:///twitchcheck.db"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/twitchcheck")
    assert resolve_database_url() == "postgresql://u:p@db/twitchcheck"
