"""Consent and deletion: the answers to "may I keep it?" and "delete everything?", and "delete my data".

Yes and no reach these actions as the intents `affirm` and `deny` (buttons, or whole messages such as
"yes" in data/commands.yml). They act only on the question asked in the assistant's previous turn.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.diary import save_entries
from actions.records import (
    CONSENT,
    CONSENT_DECLINED_SLOT,
    DELETE,
    PENDING_RECORDS_SLOT,
    DatabaseError,
    ask,
    nothing_pending,
    person,
    question_pending,
    records_unavailable,
    store,
)
from actions.reminders import (
    REMINDER,
    REMINDER_DECLINED_SLOT,
    REMINDER_SET_MARK,
    offer_reminder,
    schedule,
    tell_the_widget,
)
from actions.summary import summary_link_message
from bot.storage.repository import Store
from bot.wording import wording

# Tells the tracker store (components/stores/tracker_store.py) to erase this conversation instead of saving
# it.
CONVERSATION_ERASED_SLOT = "conversation_erased"
DATA_DELETED = {"type": "data_deleted"}


def store_pending(records: Store, who: str, pending: Dict[str, Any]) -> List[str]:
    """Stores what was waiting for consent; returns what to tell the person about it."""
    said = []
    if pending.get("entries"):
        said.append(save_entries(records, who, pending["entries"]))
    assessment = pending.get("assessment")
    if assessment:
        records.save_assessment(who, assessment["findings"], assessment["result"])
        said.append(wording("consent_kept_the_result"))
    if pending.get("summary_link"):
        said.append(summary_link_message(records, who))
    if pending.get("reminder"):
        said.append(schedule(records, who, pending["reminder"]["days"]))
    return said


class ActionAffirm(Action):
    def name(self) -> str:
        return "action_affirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        question = question_pending(tracker)
        who = person(tracker)
        if question == CONSENT:
            pending = tracker.get_slot(PENDING_RECORDS_SLOT) or {}
            try:
                records = store()
                records.give_consent(who)
                said = store_pending(records, who, pending)
                # One message: the thanks, then what was kept, each after a blank line.
                kept = "".join(f"\n\n{part}" for part in said)
                dispatcher.utter_message(response="utter_consent_given", kept=kept)
                if pending.get("reminder"):
                    tell_the_widget(dispatcher, who, REMINDER_SET_MARK)
                # A kept result or diary entry is where the offer to check back comes, as it does for someone
                # who had agreed before.
                offer = (
                    offer_reminder(dispatcher, tracker, records)
                    if (pending.get("assessment") or pending.get("entries")) and not pending.get("reminder")
                    else []
                )
            except DatabaseError as error:
                return [*records_unavailable(dispatcher, error), *nothing_pending()]
            return [*nothing_pending(), SlotSet(CONSENT_DECLINED_SLOT, False), *offer]
        if question == DELETE:
            try:
                removed = store().delete_person(who)
            except DatabaseError as error:
                return [*records_unavailable(dispatcher, error), *nothing_pending()]
            dispatcher.utter_message(response="utter_data_deleted", removed=removed)
            # Tells the web widget to forget its copy of the conversation and its session too.
            dispatcher.utter_message(json_message=DATA_DELETED)
            return [*nothing_pending(), SlotSet(CONVERSATION_ERASED_SLOT, True)]
        if question == REMINDER:
            # "yes" to "shall I check back?": when?
            dispatcher.utter_message(response="utter_reminder_how_soon")
            return ask(REMINDER)
        dispatcher.utter_message(response="utter_what_next")
        return []


class ActionDeny(Action):
    def name(self) -> str:
        return "action_deny"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        question = question_pending(tracker)
        if question == CONSENT:
            dispatcher.utter_message(response="utter_consent_declined")
            return [*nothing_pending(), SlotSet(CONSENT_DECLINED_SLOT, True)]
        if question == DELETE:
            dispatcher.utter_message(response="utter_nothing_deleted")
            return nothing_pending()
        if question == REMINDER:
            dispatcher.utter_message(response="utter_reminder_declined")
            return [*nothing_pending(), SlotSet(REMINDER_DECLINED_SLOT, True)]
        dispatcher.utter_message(response="utter_what_next")
        return []


class ActionAskDelete(Action):
    """ "Delete my data": says what would go and asks for a clear yes first."""

    def name(self) -> str:
        return "action_ask_delete"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_ask_delete")
        return ask(DELETE)
