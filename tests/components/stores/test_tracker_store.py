"""The tracker store gives back exactly the conversation Rasa's own SQL tracker store would (a real file)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from components.stores.tracker_store import ConversationStore, check_conversation_table

ROOT = Path(__file__).resolve().parents[3]
DOMAIN = Domain.load(ROOT / "domain.yml")


def a_conversation(sender: str) -> DialogueStateTracker:
    events = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("check my symptoms", {"name": "check_symptoms", "confidence": 0.98}),
        ActionExecuted("action_start_check_in"),
        ActiveLoop("check_in_form"),
        SlotSet("requested_slot", "emergency_screen"),
        BotUttered("Any of these?", {"buttons": [{"title": "None", "payload": "/deny"}]}),
        ActionExecuted("action_listen"),
        UserUttered("hmm", {"name": "nlu_fallback", "confidence": 0.3}),
        UserUtteranceReverted(),
        ActionExecuted("action_listen"),
    ]
    return DialogueStateTracker.from_events(sender, events, DOMAIN.slots)


def test_a_conversation_comes_back_as_rasa_would_read_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    ours = ConversationStore(domain=DOMAIN, database_url=url)
    asyncio.run(ours.save(a_conversation("ana")))
    rasas = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "conversations.db"))
    expected = asyncio.run(rasas.retrieve("ana"))
    got = asyncio.run(ours.retrieve("ana"))
    assert got is not None and expected is not None
    assert list(got.events) == list(expected.events)
    assert got.current_state() == expected.current_state()
    assert got.active_loop_name == "check_in_form" and got.get_slot("requested_slot") == "emergency_screen"
    assert asyncio.run(ours.retrieve("nobody")) is None


def test_the_sqlite_file_is_shared_safely_between_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    store = ConversationStore(domain=DOMAIN, database_url=url)
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("pragma journal_mode")).scalar() == "wal"
        assert connection.execute(sa.text("pragma busy_timeout")).scalar() >= 5000


def test_a_turn_that_starts_a_new_session_is_stored_once_even_when_saved_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    ours = ConversationStore(domain=DOMAIN, database_url=url)
    asyncio.run(ours.save(a_conversation("ben")))
    tracker = asyncio.run(ours.retrieve("ben"))
    new_session = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        SlotSet("checkin_location", "left calf"),
        ActionExecuted("action_listen"),
        UserUttered("is this ALS?", {"name": "faq", "confidence": 0.9}),
    ]
    for event in new_session:
        tracker.update(event)
    asyncio.run(ours.save(tracker))
    asyncio.run(ours.save(tracker))  # as a retry after a commit whose acknowledgement was lost
    everything = asyncio.run(ours.retrieve_full_tracker("ben"))
    assert list(everything.events) == list(a_conversation("ben").events)[:1] + list(tracker.events)
    rasas = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "conversations.db"))
    for read in ("retrieve", "retrieve_full_tracker"):
        assert list(asyncio.run(getattr(ours, read)("ben")).events) == list(
            asyncio.run(getattr(rasas, read)("ben")).events
        ), read
    latest = asyncio.run(ours.retrieve("ben"))
    assert latest.latest_message.text == "is this ALS?" and latest.get_slot("checkin_location") == "left calf"


def test_a_summary_link_is_stored_without_its_token(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    token = "s3cr3t-Token_abcdefghijklmnopqrstuvwxyz012345"
    link = f"download it here: http://localhost:5005/webhooks/summary/{token} . The link works for 24 hours"
    tracker = a_conversation("bea")
    tracker.update(BotUttered(link))
    store = ConversationStore(domain=DOMAIN, database_url=url)
    asyncio.run(store.save(tracker))
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        stored = " ".join(row[0] for row in connection.execute(sa.text("select data from events")))
    engine.dispose()
    assert token not in stored
    assert "/webhooks/summary/(link not kept) . The link works for 24 hours" in stored


def test_deletion_and_retention_clear_the_table_rasa_keeps_its_events_in() -> None:
    check_conversation_table(SQLTrackerStore.SQLEvent.__table__)  # Rasa 3.6's own table: no complaint
    elsewhere = sa.Table(
        "conversation_events",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255)),
        sa.Column("timestamp", sa.Float),
    )
    with pytest.raises(RuntimeError, match="keeps its events in 'conversation_events'"):
        check_conversation_table(elsewhere)
