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
from bot.diary import diary_text, entry_line, episode_minutes, how_long_text, long_lasting, long_lasting_note
from bot.store import Store

# Places offered as buttons when a person asks to log a twitch without saying where.
COMMON_PLACES = ("eyelid", "face", "arm", "hand", "thigh", "calf", "foot")
HOW_LONG_HINT = 'If you know how long it lasted, tell me (for example "it lasted about 10 minutes").'


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
    lines = "\n".join(f"• {entry_line(entry)}" for entry in logged)
    text = f"Logged in your twitch diary:\n{lines}"
    if any(entry.lasted_minutes is None for entry in logged):
        text += f"\n{HOW_LONG_HINT}"
    age = records.first_entry_age_days(who)
    if age is not None and age >= long_lasting().days:
        text += "\n" + long_lasting_note(age)
    return text


class ActionLogTwitch(Action):
    def name(self) -> str:
        return "action_log_twitch"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        entries = entries_said(tracker.latest_message)
        if not entries:
            dispatcher.utter_message(
                text='Where was the twitch? Tap a place or tell me, for example "log a twitch in my calf".',
                buttons=[{"title": p, "payload": f"log a twitch in my {p}"} for p in COMMON_PLACES],
            )
            return []
        try:
            records = store()
            if not records.has_consent(person(tracker)):
                return ask_consent(dispatcher, "I can keep a twitch diary for you.", {"entries": entries})
            dispatcher.utter_message(text=save_entries(records, person(tracker), entries))
        except DatabaseError as error:
            return records_unavailable(dispatcher, error)
        return []


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
            dispatcher.utter_message(
                text='How long did that twitch last? Say it in seconds, minutes or hours, for example "about '
                '30 seconds". If you mean how long the twitching has been going on overall, say "check my '
                "symptoms\" and I'll ask."
            )
            return []
        pending = tracker.get_slot(PENDING_RECORDS_SLOT) or {}
        if question_pending(tracker) == CONSENT and pending.get("entries"):
            # The duration came instead of an answer to the consent question: keep it, ask again.
            entries = [{**entry, "lasted_minutes": minutes} for entry in pending["entries"]]
            return ask_consent(dispatcher, "Noted.", {**pending, "entries": entries})
        try:
            records = store()
            if not records.has_consent(person(tracker)):
                dispatcher.utter_message(
                    text="There is no twitch in a diary to add that to: I keep one only with your OK. Say "
                    '"log a twitch in my left calf" to start.'
                )
                return []
            entry = records.update_last_entry_duration(person(tracker), minutes)
        except DatabaseError as error:
            return records_unavailable(dispatcher, error)
        if entry is None:
            dispatcher.utter_message(
                text='Your twitch diary is empty, so there is no twitch to add that to. Say "log a twitch in '
                'my left calf" first.'
            )
        else:
            dispatcher.utter_message(text=f"Noted: {entry_line(entry)}.")
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
