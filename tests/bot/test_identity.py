"""Conversation ids that name their channel, REST tokens with namespaces, signed web sessions
(bot/identity.py), and the migration that moves ids from before (0003), on real SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from bot.identity import (
    DEFAULT_NAMESPACE,
    MAX_ID_CHARS,
    MAX_REST_SENDER_CHARS,
    NAMESPACE,
    RestTokens,
    WebSessions,
    address_of,
    channel_of,
    legacy_conversation_id,
    rest_id,
    slack_id,
    telegram_id,
    web_id,
)
from bot.storage.migrations import downgrade, migrate
from bot.storage.repository import connect
from tests.bot.storage.databases import database_url  # noqa: F401 (the SQLite and PostgreSQL fixture)

TOKEN_A, TOKEN_B = "a" * 32, "b" * 32


def test_each_channel_files_its_people_under_its_own_prefix() -> None:
    ids = {rest_id("default", "123"), web_id("123"), slack_id("T1", "123"), telegram_id(123)}
    assert len(ids) == 4  # the same bare id in four channels: four different people
    assert [channel_of(i) for i in sorted(ids)] == ["rest", "slack", "telegram", "web"]
    assert {address_of(i) for i in ids} == {"123"}
    assert address_of(rest_id("default", "a:b")) == "a:b"  # a sender may hold the separator
    assert channel_of("123") is None and channel_of("twitter:1") is None


def test_the_longest_rest_id_fits_rasas_column() -> None:
    longest_namespace = "n" * 32
    assert NAMESPACE.match(longest_namespace)
    assert len(rest_id(longest_namespace, "s" * MAX_REST_SENDER_CHARS)) <= MAX_ID_CHARS


def test_a_rest_token_opens_only_its_own_namespace() -> None:
    tokens = RestTokens.from_environment(
        {"TWITCHCHECK_REST_TOKEN": TOKEN_A, "TWITCHCHECK_REST_TOKENS": f"clinic-b={TOKEN_B}"}
    )
    assert tokens.namespace(f"Bearer {TOKEN_A}") == DEFAULT_NAMESPACE
    assert tokens.namespace(f"bearer {TOKEN_B}") == "clinic-b"
    for wrong in (None, "", "Bearer", f"Basic {TOKEN_A}", f"Bearer {TOKEN_A}x", f"Bearer {TOKEN_A[:-1]}"):
        assert tokens.namespace(wrong) is None, wrong
    assert not RestTokens.from_environment({})


@pytest.mark.parametrize(
    "environ",
    [
        {"TWITCHCHECK_REST_TOKEN": "short"},
        {"TWITCHCHECK_REST_TOKENS": TOKEN_A},
        {"TWITCHCHECK_REST_TOKENS": f"Bad:Name={TOKEN_A}"},
    ],
)
def test_a_mistyped_token_setting_stops_the_server_rather_than_opening_it(environ: dict) -> None:
    with pytest.raises(ValueError):
        RestTokens.from_environment(environ)


def test_a_web_session_opens_only_if_this_server_issued_it() -> None:
    sessions = WebSessions(b"s" * 32)
    issued = sessions.issue()
    key = issued.split(".")[0]
    assert sessions.conversation_of(issued) == web_id(key)
    assert sessions.issue() != issued
    other_server = WebSessions(b"t" * 32)
    forged = (key, web_id(key), f"{key}.{'0' * 64}", other_server.issue(), "a" * 32, None, 42, issued * 9)
    for asked in forged:
        assert sessions.conversation_of(asked) is None, asked


def test_ids_from_before_go_to_their_channel() -> None:
    assert legacy_conversation_id("alice", "rest") == "rest:default:alice"
    assert legacy_conversation_id("4242", "telegram") == "telegram:4242"
    assert legacy_conversation_id("U1", "slack", "T9") == "slack:T9:U1"
    assert legacy_conversation_id("U1", "slack") == "slack:legacy:U1"
    assert legacy_conversation_id("abc", "socketio") == "web:legacy-abc"
    assert legacy_conversation_id("4242", None) == "telegram:4242"
    assert legacy_conversation_id("bob", None) == "rest:default:bob"
    assert legacy_conversation_id("telegram:1", "rest") == "telegram:1"  # already moved


def _events_table(connection: sa.engine.Connection) -> sa.Table:
    table = sa.Table(
        "events",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255)),
        sa.Column("type_name", sa.String(255)),
        sa.Column("timestamp", sa.Float),
        sa.Column("data", sa.Text),
    )
    table.create(connection)
    return table


def test_the_migration_moves_every_stored_id_under_its_channel(
    database_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    migrate(database_url, "0002")
    people = {"alice": "rest", "4242": "telegram", "U07": "slack", "f00d": "socketio"}
    now = datetime.now(timezone.utc)
    engine = sa.create_engine(database_url, future=True)
    with engine.begin() as connection:
        events = _events_table(connection)
        for sender, channel in people.items():
            data = json.dumps({"event": "user", "text": "hi", "input_channel": channel})
            connection.execute(
                sa.insert(events).values(sender_id=sender, type_name="user", timestamp=1.0, data=data)
            )
            connection.execute(
                sa.text("insert into consents (person, given_at, scope) values (:p, :t, 'diary')"),
                {"p": sender, "t": now},
            )
        connection.execute(
            sa.text(
                "insert into diary_entries (person, logged_at, location) values ('alice', :t, 'eyelid'),"
                " ('4242', :t, 'calf')"
            ),
            {"t": now},
        )
    monkeypatch.setenv("SLACK_TEAM_ID", "T123")
    migrate(database_url)
    moved = {"rest:default:alice", "telegram:4242", "slack:T123:U07", "web:legacy-f00d"}
    with engine.connect() as connection:
        assert set(connection.execute(sa.text("select distinct sender_id from events")).scalars()) == moved
        assert set(connection.execute(sa.text("select person from consents")).scalars()) == moved
    with connect(database_url) as store:
        assert [e.location for e in store.diary("rest:default:alice")] == ["eyelid"]
        assert [e.location for e in store.diary("telegram:4242")] == ["calf"]
        assert store.diary("alice") == [] and store.diary("4242") == []
    downgrade(database_url, "0002")
    with engine.connect() as connection:
        back = set(connection.execute(sa.text("select person from consents")).scalars())
    assert back == set(people)
    engine.dispose()
