"""The doctor-visit summary in chat, and a private, expiring link to download it as a file."""

from __future__ import annotations

import os
from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.records import (
    CONSENT_DECLINED_SLOT,
    DatabaseError,
    ask_consent,
    now,
    person,
    records_unavailable,
    store,
)
from bot.storage.repository import SUMMARY_LINK_HOURS, Store
from bot.summary import build_summary, chat_text
from bot.wording import wording

# The latest check-in of this conversation, {"findings": ..., "result": ...}, stored or not.
LAST_ASSESSMENT_SLOT = "last_assessment"
SUMMARY_PATH = "/webhooks/summary/"


def public_url() -> str:
    """Where people reach Rasa (TWITCHCHECK_PUBLIC_URL), for links in messages."""
    return os.environ.get("TWITCHCHECK_PUBLIC_URL", "http://localhost:5005").rstrip("/")


def summary_link_message(records: Store, who: str) -> str:
    """A new private link to the summary file, and what to know about it."""
    token, _ = records.create_summary_link(who)
    link = f"{public_url()}{SUMMARY_PATH}{token}"
    return wording("summary_link", link=link, hours=f"{SUMMARY_LINK_HOURS:g}")


class ActionDoctorSummary(Action):
    def name(self) -> str:
        return "action_doctor_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        who = person(tracker)
        conversation_result = tracker.get_slot(LAST_ASSESSMENT_SLOT)
        try:
            records = store()
            consent = records.has_consent(who)
            summary = build_summary(
                now(),
                records.diary(who),
                records.latest_assessment(who),
                conversation_result.get("findings") if conversation_result else None,
                conversation_result.get("result") if conversation_result else None,
            )
            dispatcher.utter_message(text=chat_text(summary))
            if summary.is_empty:
                return []
            if consent:
                dispatcher.utter_message(text=summary_link_message(records, who))
                return []
        except DatabaseError as error:
            return records_unavailable(dispatcher, error)
        if tracker.get_slot(CONSENT_DECLINED_SLOT):
            dispatcher.utter_message(response="utter_summary_nothing_stored")
            return []
        pending = {"assessment": conversation_result, "summary_link": True}
        return ask_consent(dispatcher, "consent_for_a_summary_file", pending)
