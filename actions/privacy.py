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
    NO_PAYLOAD,
    PENDING_RECORDS_SLOT,
    YES_PAYLOAD,
    DatabaseError,
    ask,
    nothing_pending,
    person,
    question_pending,
    records_unavailable,
    store,
)
from actions.summary import summary_link_message
from bot.store import Store

# Tells the tracker store (components/tracker_store.py) to erase this conversation instead of saving it.
CONVERSATION_ERASED_SLOT = "conversation_erased"
DATA_DELETED = {"type": "data_deleted"}
WHAT_NEXT = [
    {"title": "Ask a question", "payload": "/ask_question"},
    {"title": "Check my symptoms", "payload": "/check_symptoms"},
]


def store_pending(records: Store, who: str, pending: Dict[str, Any]) -> List[str]:
    """Stores what was waiting for consent; returns what to tell the person about it."""
    said = []
    if pending.get("entries"):
        said.append(save_entries(records, who, pending["entries"]))
    assessment = pending.get("assessment")
    if assessment:
        records.save_assessment(who, assessment["findings"], assessment["result"])
        said.append("I've kept your check-in result for your doctor's summary.")
    if pending.get("summary_link"):
        said.append(summary_link_message(records, who))
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
            try:
                records = store()
                records.give_consent(who)
                said = store_pending(records, who, tracker.get_slot(PENDING_RECORDS_SLOT) or {})
            except DatabaseError as error:
                return [*records_unavailable(dispatcher, error), *nothing_pending()]
            dispatcher.utter_message(
                text="\n\n".join(['Thank you, I\'ll keep it. "delete my data" erases it at any time.', *said])
            )
            return [*nothing_pending(), SlotSet(CONSENT_DECLINED_SLOT, False)]
        if question == DELETE:
            try:
                removed = store().delete_person(who)
            except DatabaseError as error:
                return [*records_unavailable(dispatcher, error), *nothing_pending()]
            dispatcher.utter_message(
                text="Done. I've deleted your twitch diary, your saved check-ins, your consent and this "
                f"conversation ({removed} records in all). If you write again, I'll start afresh."
            )
            # Tells the web widget to forget its copy of the conversation and its session too.
            dispatcher.utter_message(json_message=DATA_DELETED)
            return [*nothing_pending(), SlotSet(CONVERSATION_ERASED_SLOT, True)]
        dispatcher.utter_message(text="OK. What would you like to do?", buttons=WHAT_NEXT)
        return []


class ActionDeny(Action):
    def name(self) -> str:
        return "action_deny"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        question = question_pending(tracker)
        if question == CONSENT:
            dispatcher.utter_message(
                text="OK, I won't store anything about you. I can still answer questions and check your "
                "symptoms; only the diary and saved results need your OK.",
                buttons=WHAT_NEXT,
            )
            return [*nothing_pending(), SlotSet(CONSENT_DECLINED_SLOT, True)]
        if question == DELETE:
            dispatcher.utter_message(text="OK, I haven't deleted anything.")
            return nothing_pending()
        dispatcher.utter_message(text="OK. What would you like to do?", buttons=WHAT_NEXT)
        return []


class ActionAskDelete(Action):
    """ "Delete my data": says what would go and asks for a clear yes first."""

    def name(self) -> str:
        return "action_ask_delete"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(
            text="This permanently deletes everything I keep about you: your twitch diary, saved check-in "
            "results, your consent, any summary links and this conversation. It can't be undone. Delete "
            "everything?",
            buttons=[
                {"title": "Yes, delete everything", "payload": YES_PAYLOAD},
                {"title": "No, keep it", "payload": NO_PAYLOAD},
            ],
        )
        return ask(DELETE)
