"""The twitch diary in conversation: log a twitch, say how long it lasted, show the diary, how long so far."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.records import (
    CONSENT,
    PENDING_RECORDS_SLOT,
    DatabaseError,
    ask_consent,
    now,
    person,
    question_pending,
    records_unavailable,
    store,
)
from actions.reminders import offer_reminder
from bot.diary import (
    diary_lines,
    diary_text,
    entry_line,
    episode_minutes,
    how_long_text,
    long_lasting,
    long_lasting_note,
)
from bot.storage.repository import Store
from bot.wording import wording

# Places offered as buttons when a person asks to log a twitch without saying where.
COMMON_PLACES = ("eyelid", "face", "arm", "hand", "thigh", "calf", "foot")


def entries_said(latest_message: Dict[str, Any]) -> List[Dict[str, Any]]:
    """One diary entry per place the message names, with its side and how long the twitch lasted."""
    findings = latest_message.get("findings") or {}
    sides = latest_message.get("finding_sides") or {}
    lasted = episode_minutes(latest_message.get("text") or "")
    return [
        {"location": place, "side": sides.get(place), "lasted_minutes": lasted}
        for place in findings.get("location") or []
    ]


def save_entries(records: Store, who: str, entries: List[Dict[str, Any]]) -> str:
    """Stores the entries; says what was logged and, once the diary spans long enough, why that matters."""
    logged = [records.log_twitch(who, **entry) for entry in entries]
    lines = [wording("diary_logged", lines=diary_lines(logged))]
    if any(entry.lasted_minutes is None for entry in logged):
        lines.append(wording("diary_how_long_hint"))
    age = records.first_entry_age_days(who)
    if age is not None and age >= long_lasting().days:
        lines.append(long_lasting_note(age))
    return "\n".join(lines)


class ActionLogTwitch(Action):
    def name(self) -> str:
        return "action_log_twitch"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        entries = entries_said(tracker.latest_message)
        if not entries:
            dispatcher.utter_message(
                response="utter_diary_where",
                buttons=[
                    {"title": p, "payload": wording("diary_log_a_twitch_in", place=p)} for p in COMMON_PLACES
                ],
            )
            return []
        try:
            records = store()
            if not records.has_consent(person(tracker)):
                return ask_consent(dispatcher, "consent_for_a_diary", {"entries": entries})
            dispatcher.utter_message(text=save_entries(records, person(tracker), entries))
            return offer_reminder(dispatcher, tracker, records)
        except DatabaseError as error:
            return records_unavailable(dispatcher, error)


class ActionLogDuration(Action):
    """ "It lasted about 10 minutes": how long the last logged twitch lasted."""

    def name(self) -> str:
        return "action_log_duration"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        minutes = episode_minutes(tracker.latest_message.get("text") or "")
        if minutes is None and entries_said(tracker.latest_message):
            # "my left calf" in answer to "where was the twitch?": that is the twitch to log.
            return await ActionLogTwitch().run(dispatcher, tracker, domain)
        if minutes is None:
            dispatcher.utter_message(response="utter_diary_how_long_did_it_last")
            return []
        pending = tracker.get_slot(PENDING_RECORDS_SLOT) or {}
        if question_pending(tracker) == CONSENT and pending.get("entries"):
            # The duration came instead of an answer to the consent question: keep it, ask again.
            entries = [{**entry, "lasted_minutes": minutes} for entry in pending["entries"]]
            return ask_consent(dispatcher, "consent_for_a_duration", {**pending, "entries": entries})
        try:
            records = store()
            if not records.has_consent(person(tracker)):
                dispatcher.utter_message(response="utter_diary_not_kept")
                return []
            entry = records.update_last_entry_duration(person(tracker), minutes)
        except DatabaseError as error:
            return records_unavailable(dispatcher, error)
        if entry is None:
            dispatcher.utter_message(response="utter_diary_nothing_to_add_to")
        else:
            dispatcher.utter_message(response="utter_diary_duration_noted", entry=entry_line(entry))
        return []


class ActionShowDiary(Action):
    def name(self) -> str:
        return "action_show_diary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        try:
            entries = store().diary(person(tracker))
        except DatabaseError as error:
            return records_unavailable(dispatcher, error)
        dispatcher.utter_message(text=diary_text(entries, now()))
        return []


class ActionDiaryHowLong(Action):
    """ "How long have I had this?", answered from the diary."""

    def name(self) -> str:
        return "action_diary_how_long"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        try:
            entries = store().diary(person(tracker))
        except DatabaseError as error:
            return records_unavailable(dispatcher, error)
        dispatcher.utter_message(text=how_long_text(entries, now()))
        return []
