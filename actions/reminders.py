"""Reminders in conversation: the offer to check back, setting one, listing, cancelling and "stop reminders".

A reminder needs consent, as the diary does: without it the reminder waits in `pending_records` and
`action_affirm` sets it on a yes (actions/privacy.py). The offer is made after an assessment or a diary
entry, and never again after "no thanks" or "stop reminders", after consent was declined, or while a
reminder is still to come. The reminder itself is sent by bot/reminder_delivery.py.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.records import (
    CONSENT,
    CONSENT_DECLINED_SLOT,
    PENDING_QUESTION_SLOT,
    PENDING_RECORDS_SLOT,
    DatabaseError,
    ask,
    ask_consent,
    now,
    person,
    question_pending,
    records_unavailable,
    store,
)
from bot.commands import asks_in_words, reminder_days_in
from bot.diary import when
from bot.identity import WEB, address_of, channel_of
from bot.storage.reminders import DAYS_CHOICES, REMINDER_CHANNELS, Reminder, Reminders
from bot.storage.repository import Store
from bot.wording import wording

REMINDER = "reminder"  # the question the offer asks (actions/records.py's pending_question)
REMINDER_DECLINED_SLOT = "reminder_declined"
DAYS_ENTITY, ID_ENTITY = "reminder_days", "reminder_id"
SET_REMINDER_INTENT = "set_reminder"


def reminders(records: Store) -> Reminders:
    return Reminders(records.engine)


def can_remind(who: str) -> bool:
    """Only Telegram, Slack and the web can reach a person again (a REST caller has no way back)."""
    return channel_of(who) in REMINDER_CHANNELS


def offered_this_session(tracker: Tracker) -> bool:
    """Whether the offer was already made since this conversation's session began (answered or not)."""
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            return False
        if event.get("event") == "slot" and event.get("name") == PENDING_QUESTION_SLOT:
            if event.get("value") == REMINDER:
                return True
    return False


def offer_reminder(
    dispatcher: CollectingDispatcher, tracker: Tracker, records: Store, again: bool = False
) -> List[EventType]:
    """Offers to check back in 7 or 14 days, unless that would nag or cannot be delivered: once a session
    (`again` after a re-check, whose reminder has just been used), never after a no."""
    who = person(tracker)
    declined = tracker.get_slot(REMINDER_DECLINED_SLOT) or tracker.get_slot(CONSENT_DECLINED_SLOT)
    if declined or not can_remind(who) or (offered_this_session(tracker) and not again):
        return []
    if reminders(records).list_for(who):
        return []
    dispatcher.utter_message(response="utter_offer_reminder")
    return ask(REMINDER)


def schedule(records: Store, who: str, days: int) -> str:
    """Sets the reminder (the person has consented); what to tell them. On the web it waits for their next
    visit, which the reply says, with what the browser keeps meanwhile."""
    channel = channel_of(who) or ""
    address = None if channel == WEB else address_of(who)
    reminder = reminders(records).schedule(who, channel, address, days, now())
    said = "reminder_set_web" if channel == WEB else "reminder_set"
    return wording(said, days=reminder.days, when=when(reminder.due_at))


# What the widget is told (web/chat.js): a reminder waits for the next visit, so the browser keeps this
# conversation past the tab and offers a notification; no reminder is left, so it keeps it no longer.
REMINDER_SET_MARK = {"type": "reminder_set"}
REMINDERS_STOPPED_MARK = {"type": "reminders_stopped"}


def tell_the_widget(dispatcher: CollectingDispatcher, who: str, mark: Dict[str, str]) -> None:
    if channel_of(who) == WEB:
        dispatcher.utter_message(json_message=dict(mark))


def tell_the_widget_if_none_left(dispatcher: CollectingDispatcher, who: str, table: Reminders) -> None:
    if channel_of(who) == WEB and not table.list_for(who):
        tell_the_widget(dispatcher, who, REMINDERS_STOPPED_MARK)


def _entity(tracker: Tracker, name: str) -> Optional[int]:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name:
            try:
                return int(entity.get("value"))
            except (TypeError, ValueError):
                return None
    return None


def days_asked(tracker: Tracker) -> Optional[int]:
    days = _entity(tracker, DAYS_ENTITY)
    if days is None:
        days = reminder_days_in(tracker.latest_message.get("text") or "")
    return days if days in DAYS_CHOICES else None


class ActionSetReminder(Action):
    """ "In 14 days" (a button of the offer, or typed), or "remind me in a week to check again"."""

    def name(self) -> str:
        return "action_set_reminder"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        asked = question_pending(tracker)
        offered = asked == REMINDER or text.startswith("/") or asks_in_words(text, SET_REMINDER_INTENT)
        if not offered:
            # A bare "two weeks" with no offer just made answers nothing: it says how long, so it starts the
            # check-in, as `inform` does (actions/check_in.py runs the form after it).
            return [FollowupAction("action_start_check_in")]
        who = person(tracker)
        if not can_remind(who):
            dispatcher.utter_message(response="utter_reminder_not_on_this_channel")
            return [SlotSet(PENDING_QUESTION_SLOT, None)]
        days = days_asked(tracker)
        if days is None:
            dispatcher.utter_message(response="utter_reminder_how_soon")
            return ask(REMINDER)
        try:
            records = store()
            if not records.has_consent(who):
                # What was already waiting for the consent question just asked (a result) waits with it.
                waiting: Dict[str, Any] = {}
                if asked == CONSENT:
                    waiting = tracker.get_slot(PENDING_RECORDS_SLOT) or {}
                pending = {**waiting, "reminder": {"days": days}}
                return ask_consent(dispatcher, "consent_for_a_reminder", pending)
            dispatcher.utter_message(text=schedule(records, who, days))
            tell_the_widget(dispatcher, who, REMINDER_SET_MARK)
        except DatabaseError as error:
            return records_unavailable(dispatcher, error)
        return [SlotSet(PENDING_QUESTION_SLOT, None), SlotSet(REMINDER_DECLINED_SLOT, None)]


class ActionStopReminders(Action):
    """ "Stop reminders": cancels every reminder still to come, and no more are offered."""

    def name(self) -> str:
        return "action_stop_reminders"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        try:
            cancelled = reminders(store()).cancel_all(person(tracker))
        except DatabaseError as error:
            return records_unavailable(dispatcher, error)
        if cancelled:
            dispatcher.utter_message(text=wording("reminders_stopped", count=cancelled))
        else:
            dispatcher.utter_message(response="utter_no_reminders_to_stop")
        tell_the_widget(dispatcher, person(tracker), REMINDERS_STOPPED_MARK)
        return [SlotSet(REMINDER_DECLINED_SLOT, True)]


def cancel_payload(reminder: Reminder) -> str:
    return "/cancel_reminder" + json.dumps({ID_ENTITY: reminder.id})


def reminder_lines(pending: List[Reminder]) -> str:
    return "\n".join(
        wording("bullet", item=wording("reminder_line", when=when(r.due_at), days=r.days)) for r in pending
    )


class ActionListReminders(Action):
    """ "What reminders do I have?": each still to come, with its date."""

    def name(self) -> str:
        return "action_list_reminders"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        try:
            pending = reminders(store()).list_for(person(tracker))
        except DatabaseError as error:
            return records_unavailable(dispatcher, error)
        if not pending:
            dispatcher.utter_message(response="utter_no_reminders")
        else:
            dispatcher.utter_message(
                text=wording("reminders_listed", count=len(pending), lines=reminder_lines(pending))
            )
        return []


class ActionCancelReminder(Action):
    """ "Cancel my reminder": the only one there is, or the one picked from a list (or all of them)."""

    def name(self) -> str:
        return "action_cancel_reminder"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        who = person(tracker)
        picked = _entity(tracker, ID_ENTITY)
        try:
            table = reminders(store())
            pending = table.list_for(who)
            if picked is not None:
                chosen = next((r for r in pending if r.id == picked), None)
                if chosen is None or not table.cancel(who, picked):
                    dispatcher.utter_message(text=wording("reminder_already_gone"))
                    return []
                dispatcher.utter_message(text=wording("reminder_cancelled", when=when(chosen.due_at)))
                tell_the_widget_if_none_left(dispatcher, who, table)
                return []
            if not pending:
                dispatcher.utter_message(response="utter_no_reminders")
                return []
            if len(pending) == 1:
                table.cancel(who, pending[0].id)
                dispatcher.utter_message(text=wording("reminder_cancelled", when=when(pending[0].due_at)))
                tell_the_widget_if_none_left(dispatcher, who, table)
                return []
        except DatabaseError as error:
            return records_unavailable(dispatcher, error)
        buttons = [{"title": when(r.due_at), "payload": cancel_payload(r)} for r in pending]
        buttons.append({"title": wording("reminder_cancel_all_button"), "payload": "/stop_reminders"})
        dispatcher.utter_message(response="utter_which_reminder_to_cancel", buttons=buttons)
        return []
