"""Where conversations are kept: Rasa's SQL tracker store, configured by one DATABASE_URL.

Without DATABASE_URL it is an embedded SQLite file, twitchcheck.db (ignored by git), so `make run` needs
no database server. With it, any database SQLAlchemy 1.4 reaches, for example
DATABASE_URL=postgresql://user:password@host:5432/twitchcheck.

"Delete my data" must also erase the conversation. The action that deletes runs while Rasa still holds the
conversation in memory, and Rasa saves it afterwards, which would write it back. So when the action sets
the slot `conversation_erased`, this store deletes the person's events instead of saving them, and their
next message starts a new conversation.

A summary link's token is a key to a person's health record, so it is never stored: the message that gave the
link reached the person's channel before the conversation is saved, and what is saved has the link's token
taken out (`without_secrets`). The database keeps only the token's hash (bot/storage/models.py).

Deleting a person and the retention purge (bot/storage) clear their conversation too: actions/records.py
names Rasa's events table to them, and this store checks on start-up that Rasa's table is the one named.

Rebuilding a conversation is on every message's path, so it reads only the events' JSON (no ORM rows) and
looks each event class up once (Rasa walks its class tree for every event it reads).

A database that restarts is waited for: reading and writing a conversation are retried for about 8 seconds
when the connection is refused or lost, so a restart of a few seconds goes unnoticed. If it stays down,
ConversationStoreUnavailable is raised, and components/rasa_layer/outages.py tells the person (Rasa would
otherwise carry on with an empty conversation kept in memory and forget it).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
from functools import cache
from typing import Any, Callable, Dict, List, Optional, Type, TypeVar

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from actions.records import CONVERSATION_EVENTS
from actions.summary import SUMMARY_PATH
from bot.storage.engine import create_engine, resolve_database_url, scrub_deleted

ERASED_SLOT = "conversation_erased"
# Set on each tracker read from the database: the id of its first row, from which its events are stored.
STORED_FROM_ID = "_twitchcheck_stored_from_id"
# Waits between attempts, about 8 s in all: long enough for a database restart, short enough to then tell
# the person rather than keep them waiting.
RETRY_DELAYS_SECONDS = (0.25, 0.5, 1.0, 2.0, 4.0)

logger = logging.getLogger(__name__)
Result = TypeVar("Result")
SUMMARY_LINK = re.compile(re.escape(SUMMARY_PATH) + r"[A-Za-z0-9_\-]+")
LINK_NOT_KEPT = SUMMARY_PATH + "(link not kept)"


def without_secrets(data: Dict[str, Any]) -> Dict[str, Any]:
    """An event as stored: a bot message's summary links without their tokens."""
    text = data.get("text")
    if data.get("event") == "bot" and isinstance(text, str) and SUMMARY_PATH in text:
        return {**data, "text": SUMMARY_LINK.sub(LINK_NOT_KEPT, text)}
    return data


class ConversationStoreUnavailable(Exception):
    """The database could not be reached, even after retrying. `writing`: saving failed (reading worked)."""

    def __init__(self, writing: bool) -> None:
        super().__init__(f"the conversation database is unreachable ({'saving' if writing else 'reading'})")
        self.writing = writing


def is_connection_error(error: sa.exc.DBAPIError) -> bool:
    """A refused or lost connection (the server restarting or down), or SQLite busy: worth trying again.

    Other database errors (a bad query, a missing table) would fail the same way again.
    """
    return error.connection_invalidated or isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError)


def check_conversation_table(events: sa.Table) -> None:
    """Fails loudly when Rasa keeps its events elsewhere than where deletion and retention look for them
    (actions/records.py), which would otherwise keep conversations that should have been forgotten."""
    named = CONVERSATION_EVENTS
    missing = {named.person_column, named.time_column} - set(events.c.keys())
    if events.name != named.name or missing:
        raise RuntimeError(
            f"Rasa's tracker store keeps its events in {events.name!r} (columns {sorted(events.c.keys())}),"
            f" but deletion and retention clear {named.name!r} by {named.person_column!r} and"
            f" {named.time_column!r} (actions/records.py CONVERSATION_EVENTS)"
        )


class ConversationStore(SQLTrackerStore):
    """Rasa's SQL tracker store, in the database DATABASE_URL names, that erases a conversation on request,
    keeps no summary link's token and rides out a database restart (see the module docstring)."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        database_url: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        database_url = resolve_database_url(database_url)
        url = make_url(database_url)
        super().__init__(
            domain=domain,
            dialect=url.drivername,
            host=url.host,
            port=url.port,
            db=url.database or "twitchcheck.db",
            username=url.username,
            password=url.password,
            event_broker=event_broker,
            query=dict(url.query) or None,
        )
        # Rasa's engine created the tables. Ours does not test a connection before each use (a round trip
        # per read and per save): a lost one fails, and _with_retries reconnects.
        rasa_engine = self.engine
        self.engine = create_engine(database_url, future=False, pre_ping=False, **create_engine_kwargs(url))
        self.sessionmaker = sessionmaker(bind=self.engine)
        rasa_engine.dispose()

        check_conversation_table(self.SQLEvent.__table__)
        self._statements = _Statements(self.SQLEvent.__table__)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        def read_rows() -> List[Any]:
            query = self._statements.all_events if fetch_events_from_all_sessions else self._statements.events
            # One statement needs no transaction around it (and no ROLLBACK round trip after it).
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                return connection.execute(query, {"sender": sender_id}).fetchall()

        rows = await self._with_retries(read_rows, writing=False)
        if not self.domain or not rows:
            return None
        events = [event_from_dict(json.loads(row.data)) for row in rows]
        tracker = DialogueStateTracker.from_events(sender_id, [e for e in events if e], self.domain.slots)
        setattr(tracker, STORED_FROM_ID, rows[0].id)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        if tracker.get_slot(ERASED_SLOT):
            await self._with_retries(lambda: self._erase(tracker.sender_id), writing=True)
            return
        await self.stream_events(tracker)
        await self._with_retries(lambda: self._append_new_events(tracker), writing=True)

    def _append_new_events(self, tracker: DialogueStateTracker) -> None:
        """As Rasa's `SQLTrackerStore.save` (without the event broker, which `save` calls once), in one
        transaction: the tracker's events not yet stored are counted and added.

        Stored are the rows from the first one the tracker was read from (Rasa counts from the latest stored
        session start, which is wrong once a new session began during the turn). They are counted afresh on
        each attempt, so retrying after a commit whose acknowledgement was lost adds nothing twice.
        """
        first_id = getattr(tracker, STORED_FROM_ID, None)
        with self.engine.begin() as connection:
            if first_id is None:  # a conversation Rasa created rather than read: as Rasa counts
                count = self._statements.count, {"sender": tracker.sender_id}
            else:
                count = self._statements.count_from, {"sender": tracker.sender_id, "first_id": first_id}
            stored = connection.execute(*count).scalar_one()
            rows = []
            for event in itertools.islice(tracker.events, stored, None):
                data = without_secrets(event.as_dict())
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                )
            if rows:
                connection.execute(self._statements.insert, rows)

    def _erase(self, sender_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(self._statements.erase, {"sender": sender_id})
        scrub_deleted(self.engine)  # on SQLite, no copy left in the file or its write-ahead log

    async def _with_retries(self, operation: Callable[[], Result], writing: bool) -> Result:
        """Runs `operation` in a thread, so that the server answers others while the database works (a
        commit on PostgreSQL waits for its disk); again after a short wait while it cannot be reached."""
        delays = iter(RETRY_DELAYS_SECONDS)
        while True:
            try:
                return await asyncio.to_thread(operation)
            except sa.exc.DBAPIError as error:
                if not is_connection_error(error):
                    raise
                delay = next(delays, None)
                if delay is None:
                    logger.error("the conversation database is still unreachable: %s", error.orig)
                    raise ConversationStoreUnavailable(writing) from error
                logger.warning("the conversation database is unreachable; retrying in %.2f s", delay)
            await asyncio.sleep(delay)


class _Statements:
    """The SQL of reading and saving a conversation, built once, as Rasa's SQLTrackerStore builds it for
    every message: a conversation's current session is its events from its latest SessionStarted on."""

    def __init__(self, events: sa.Table) -> None:
        sender = sa.bindparam("sender")
        session_start = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        in_session = sa.or_(events.c.timestamp >= session_start, session_start.is_(None))
        of_sender = events.c.sender_id == sender
        self.all_events = sa.select(events.c.id, events.c.data).where(of_sender).order_by(events.c.id)
        self.events = sa.select(events.c.id, events.c.data).where(of_sender, in_session).order_by(events.c.id)
        self.count = sa.select(sa.func.count()).select_from(events).where(of_sender, in_session)
        from_id = events.c.id >= sa.bindparam("first_id")
        self.count_from = sa.select(sa.func.count()).select_from(events).where(of_sender, from_id)
        self.insert = events.insert()
        self.erase = events.delete().where(of_sender)


@cache
def _event_class(type_name: str) -> Optional[Type[Event]]:
    return Event.resolve_by_type(type_name)


def event_from_dict(parameters: Dict[str, Any]) -> Optional[Event]:
    """As Rasa's `Event.from_parameters`, with each event class looked up once."""
    type_name = parameters.get("event")
    event_class = _event_class(type_name) if type_name is not None else None
    return event_class._from_parameters(parameters) if event_class else None


__all__: List[str] = [
    "ConversationStore",
    "ConversationStoreUnavailable",
    "ERASED_SLOT",
    "RETRY_DELAYS_SECONDS",
    "event_from_dict",
    "is_connection_error",
    "resolve_database_url",
]
