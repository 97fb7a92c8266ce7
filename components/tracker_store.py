"""Where conversations are kept: Rasa's SQL tracker store, configured by one DATABASE_URL.

Without DATABASE_URL it is an embedded SQLite file, twitchcheck.db (ignored by git), so `make run` needs
no database server. With it, any database SQLAlchemy 1.4 reaches, for example
DATABASE_URL=postgresql://user:password@host:5432/twitchcheck.

"Delete my data" must also erase the conversation. The action that deletes runs while Rasa still holds the
conversation in memory, and Rasa saves it afterwards, which would write it back. So when the action sets
the slot `conversation_erased`, this store deletes the person's events instead of saving them, and their
next message starts a new conversation.

Rebuilding a conversation is on every message's path, so it reads only the events' JSON (no ORM rows) and
looks each event class up once (Rasa walks its class tree for every event it reads).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Dict, List, Optional, Type

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from bot.store import create_engine, resolve_database_url

ERASED_SLOT = "conversation_erased"


class DatabaseUrlTrackerStore(SQLTrackerStore):
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
        # Rasa's engine created the tables; ours reconnects after a database restart (bot.store).
        rasa_engine = self.engine
        self.engine = create_engine(database_url, future=False, **create_engine_kwargs(url))
        self.sessionmaker = sessionmaker(bind=self.engine)
        rasa_engine.dispose()

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            rows = (
                self._event_query(session, sender_id, fetch_events_from_all_sessions)
                .with_entities(self.SQLEvent.data)
                .all()
            )
        if not self.domain or not rows:
            return None
        events = [event_from_dict(json.loads(data)) for (data,) in rows]
        return DialogueStateTracker.from_events(sender_id, [e for e in events if e], self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if not tracker.get_slot(ERASED_SLOT):
            await super().save(tracker)
            return
        with self.session_scope() as session:
            session.execute(sa.delete(self.SQLEvent).where(self.SQLEvent.sender_id == tracker.sender_id))
            session.commit()


@cache
def _event_class(type_name: str) -> Optional[Type[Event]]:
    return Event.resolve_by_type(type_name)


def event_from_dict(parameters: Dict[str, Any]) -> Optional[Event]:
    """As Rasa's `Event.from_parameters`, with each event class looked up once."""
    type_name = parameters.get("event")
    event_class = _event_class(type_name) if type_name is not None else None
    return event_class._from_parameters(parameters) if event_class else None


__all__: List[str] = ["DatabaseUrlTrackerStore", "ERASED_SLOT", "event_from_dict", "resolve_database_url"]
