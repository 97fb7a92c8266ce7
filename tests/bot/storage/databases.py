"""Databases for the storage tests: a real SQLite file and a real PostgreSQL schema, and a stand-in for the
conversation table Rasa keeps beside the assistant's own tables."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from actions.records import CONVERSATION_EVENTS
from bot.storage.migrations import migrate
from bot.storage.repository import Store, connect
from tests.conftest import POSTGRES_URL, postgres_or_skip

OWN_TABLES = {"consents", "diary_entries", "assessments", "summary_links", "reminders"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'twitchcheck.db'}"
        return
    admin = postgres_or_skip()
    schema = f"twitchcheck_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'create schema "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'drop schema "{schema}" cascade'))
        admin.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated store that also clears Rasa's conversation table, as the action server's does."""
    migrate(database_url)
    with connect(database_url, linked_tables=[CONVERSATION_EVENTS]) as opened:
        yield opened


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url, future=True)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def rows_of(store: Store, table: str, person: str, column: str = "person") -> int:
    with store.engine.connect() as connection:
        query = sa.text(f"select count(*) from {table} where {column} = :person")
        return connection.execute(query, {"person": person}).scalar_one()


def conversation_rows(store: Store, person: str) -> int:
    return rows_of(store, CONVERSATION_EVENTS.name, person, column=CONVERSATION_EVENTS.person_column)


def create_rasa_events(engine: sa.engine.Engine) -> sa.Table:
    """The columns of Rasa's SQLTrackerStore table that matter here."""
    events = sa.Table(
        CONVERSATION_EVENTS.name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(CONVERSATION_EVENTS.person_column, sa.String(255), nullable=False),
        sa.Column("type_name", sa.String(255), nullable=False),
        sa.Column(CONVERSATION_EVENTS.time_column, sa.Float),
        sa.Column("data", sa.Text),
    )
    events.create(engine)
    return events


def add_event(engine: sa.engine.Engine, events: sa.Table, sender: str, at: datetime) -> None:
    data = json.dumps({"event": "user", "text": "my eyelid twitches"})
    with engine.begin() as connection:
        connection.execute(
            events.insert().values(sender_id=sender, type_name="user", timestamp=at.timestamp(), data=data)
        )
