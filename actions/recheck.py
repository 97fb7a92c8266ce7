"""The re-check a reminder leads to: three yes/no questions, then what changed since the last check-in.

What the answers mean and how the level compares is decided in bot/recheck.py; the level in bot/triage.py.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.check_in import assessment_message, assessment_payload
from actions.records import DatabaseError, now, person, records_unavailable, store
from actions.reminders import offer_reminder
from actions.summary import LAST_ASSESSMENT_SLOT
from bot.recheck import UNCLEAR, Recheck, RecheckAnswers, diary_note, read_answer, recheck, what_changed
from bot.storage.repository import SECONDS_PER_DAY, Store

logger = logging.getLogger(__name__)
RECHECK_SLOTS = ("recheck_still_going", "recheck_spread", "recheck_weakness")


class ActionStartRecheck(Action):
    """ "Start the re-check" (the reminder's button, or typed): the three questions from the start."""

    def name(self) -> str:
        return "action_start_recheck"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_recheck_intro")
        return [SlotSet(slot, None) for slot in RECHECK_SLOTS]


class ValidateRecheckForm(FormValidationAction):
    """Each answer is yes, no or not sure; anything else gets a short hint and the question again."""

    def name(self) -> str:
        return "validate_recheck_form"

    @staticmethod
    def _read(slot: str, value: Any, dispatcher: CollectingDispatcher) -> Dict[str, Any]:
        answer = read_answer(str(value or ""))
        if answer == UNCLEAR:
            dispatcher.utter_message(response="utter_recheck_yes_or_no")
            return {slot: None}
        return {slot: answer}

    async def validate_recheck_still_going(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._read("recheck_still_going", value, dispatcher)

    async def validate_recheck_spread(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._read("recheck_spread", value, dispatcher)

    async def validate_recheck_weakness(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._read("recheck_weakness", value, dispatcher)


def _earlier(
    records: Optional[Store], who: str, tracker: Tracker
) -> tuple[Optional[Dict[str, Any]], Optional[float]]:
    """The last check-in's findings and the days since it: the stored one (`records` is None without
    consent), else this conversation's."""
    stored = records.latest_assessment(who) if records is not None else None
    if stored is not None:
        return dict(stored.findings), (now() - stored.assessed_at).total_seconds() / SECONDS_PER_DAY
    last = tracker.get_slot(LAST_ASSESSMENT_SLOT) or {}
    return (dict(last["findings"]), 0.0) if last.get("findings") else (None, None)


def _keep(records: Store, who: str, result: Recheck) -> Optional[str]:
    """Stores the re-check for someone who agreed: the result, and a diary entry while it goes on (the
    diary lists twitches, so a re-check of twitching that has stopped adds none). The response to send."""
    if not records.has_consent(who):
        return None
    if result.settled:
        return None
    records.save_assessment(who, result.findings, result.after.to_dict(), at=now())
    if result.answers.still_going is False:
        return "utter_recheck_result_kept"
    places = list(result.findings.get("location") or [])
    if not places:
        diary = records.diary(who)
        places = [diary[-1].location] if diary else []
    if not places:
        return "utter_recheck_result_kept"
    records.log_twitch(who, places[0], notes=diary_note(result.answers), at=now())
    return "utter_recheck_noted_in_diary"


class ActionRecheckResult(Action):
    """Brings the last check-in up to date with the answers and the time since, and says what changed."""

    def name(self) -> str:
        return "action_recheck_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        answers = RecheckAnswers.from_slots(*(tracker.get_slot(slot) for slot in RECHECK_SLOTS))
        who = person(tracker)
        reset = [SlotSet(slot, None) for slot in RECHECK_SLOTS]
        try:
            records = store()
            consented = records.has_consent(who)
            before, days_since = _earlier(records if consented else None, who, tracker)
            diary_days = records.first_entry_age_days(who, now()) if consented else None
            result = recheck(before, answers, days_since, diary_days)
            dispatcher.utter_message(text=what_changed(result))
            if not result.settled:
                dispatcher.utter_message(
                    text=assessment_message(result.after), json_message=assessment_payload(result.after)
                )
            kept = _keep(records, who, result)
            if kept:
                dispatcher.utter_message(response=kept)
            offer = offer_reminder(dispatcher, tracker, records, again=True) if consented else []
        except DatabaseError as error:
            return [*reset, *records_unavailable(dispatcher, error)]
        last = {"findings": result.findings, "result": result.after.to_dict()}
        return [*reset, SlotSet(LAST_ASSESSMENT_SLOT, last), *offer]
