"""Where conversations are kept: Rasa's SQL tracker store, configured by one DATABASE_URL.

Without DATABASE_URL it is an embedded SQLite file, twitchcheck.db (ignored by git), so `make run` needs
no database server. With it, any database SQLAlchemy 1.4 reaches, for example
DATABASE_URL=postgresql://user:password@host:5432/twitchcheck.

"Delete my data" must also erase the conversation. The action that deletes runs while Rasa still holds the
conversation in memory, and Rasa saves it afterwards, which would write it back. So when the action sets
the slot `conversation_erased`, this store deletes the person's events instead of saving them, and their
next message starts a new conversation.
"""

from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from bot.store import resolve_database_url

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
        url = make_url(resolve_database_url(database_url))
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

    async def save(self, tracker: DialogueStateTracker) -> None:
        if not tracker.get_slot(ERASED_SLOT):
            await super().save(tracker)
            return
        with self.session_scope() as session:
            session.execute(sa.delete(self.SQLEvent).where(self.SQLEvent.sender_id == tracker.sender_id))
            session.commit()
