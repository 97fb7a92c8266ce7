"""What the actions share about a person's records: the store, consent, and the yes/no question pending.

A person is the channel's sender id. Nothing is stored before they agree (bot.storage enforces it): an
action that wants to store something without consent keeps it in the `pending_records` slot, asks, and
`action_affirm` stores it if the next message says yes. A yes counts only as the answer to a question
asked in the assistant's previous turn, so a stray "yes" later can never agree to anything or delete data.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.storage.repository import LinkedTable, Store, connect, retention_days
from bot.wording import wording

logger = logging.getLogger(__name__)

PENDING_QUESTION_SLOT = "pending_question"
PENDING_RECORDS_SLOT = "pending_records"
CONSENT_DECLINED_SLOT = "consent_declined"
CONSENT, DELETE = "consent", "delete"

# Rasa's SQL tracker store keeps each conversation's events in the same database (one row per event, the
# sender id and a Unix timestamp on each); deleting a person or purging old records clears them too.
# components/stores/tracker_store.py checks at start-up that Rasa's table is this one.
CONVERSATION_EVENTS = LinkedTable("events", person_column="sender_id", time_column="timestamp")


@functools.lru_cache(maxsize=1)
def store() -> Store:
    """The action server's one Store, on DATABASE_URL (else twitchcheck.db), as Rasa's tracker store."""
    return connect(linked_tables=[CONVERSATION_EVENTS])


def person(tracker: Tracker) -> str:
    return tracker.sender_id


def now() -> datetime:
    return datetime.now(timezone.utc)


DatabaseError = sa.exc.SQLAlchemyError


def records_unavailable(dispatcher: CollectingDispatcher, error: Exception) -> List[EventType]:
    """Tells the person plainly that storage failed; logs the failure without anything they said."""
    logger.error("the records database failed: %s", type(error).__name__)
    dispatcher.utter_message(response="utter_records_unavailable")
    return []


def question_pending(tracker: Tracker) -> Optional[str]:
    """The yes/no question (CONSENT or DELETE) the assistant asked in its last turn, if any."""
    users_seen = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users_seen += 1
            if users_seen == 2:
                return None
        elif users_seen == 1 and event.get("event") == "slot" and event.get("name") == PENDING_QUESTION_SLOT:
            return event.get("value")
    return None


def ask(question: str, pending: Optional[Dict[str, Any]] = None) -> List[EventType]:
    events: List[EventType] = [SlotSet(PENDING_QUESTION_SLOT, question)]
    if pending is not None:
        events.append(SlotSet(PENDING_RECORDS_SLOT, pending))
    return events


def nothing_pending() -> List[EventType]:
    return [SlotSet(PENDING_QUESTION_SLOT, None), SlotSet(PENDING_RECORDS_SLOT, None)]


def ask_consent(dispatcher: CollectingDispatcher, why: str, pending: Dict[str, Any]) -> List[EventType]:
    """Asks, in plain words, to keep health data; `pending` is stored only if the answer is yes. `why` names
    the reason given first, a `consent_for_...` sentence of data/wording.yml."""
    dispatcher.utter_message(response="utter_ask_consent", why=wording(why), days=int(retention_days()))
    return ask(CONSENT, pending)
