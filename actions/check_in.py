"""The symptom check-in: start it, read each answer, stop it on request, and give the assessment.

Which question comes next and what an answer means is decided in bot.check_in; the level of care in
bot.triage. These actions only move that between the tracker and the person.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.answers import (
    LAST_TOPIC_SLOT,
    MIN_TOPIC_CONFIDENCE,
    answer_topic,
    asked_questions,
    follow_up_topic,
    last_topic_answered,
    retrieved_topic,
    retrieved_topic_in_context,
    send_brief_answer,
    unclear_follow_up_topic,
)
from actions.records import (
    CONSENT_DECLINED_SLOT,
    DatabaseError,
    ask_consent,
    person,
    records_unavailable,
    store,
)
from actions.reminders import SET_REMINDER_INTENT, offer_reminder
from actions.safety import CHECK_IN_PAUSED_SLOT, answer_concerns, reading_of
from actions.summary import LAST_ASSESSMENT_SLOT
from bot import safety
from bot.cards import card_headings, listed
from bot.check_in import (
    ANSWERED,
    FORM_NAME,
    NAME_THEM,
    SLOT_PREFIX,
    UNCLEAR,
    UNKNOWN,
    WHY,
    CheckIn,
    check_in,
    question_slot,
    understood,
)
from bot.conversation_reading import conversation_reading
from bot.diary import long_lasting, long_lasting_note
from bot.emergency import IF_URGENT
from bot.extract import MAX_TEXT_CHARS
from bot.findings import FindingsError
from bot.knowledge import knowledge_base
from bot.triage import Assessment, assess
from bot.wording import wording

logger = logging.getLogger(__name__)
FINDINGS_SLOT = "findings"
SKIPPED = "(skipped)"
DURATION = "duration_days"
EMERGENCY_LEVEL = "emergency"
FAQ_INTENT = "faq"


def answered_questions(tracker: Tracker, interview: CheckIn) -> set[str]:
    return {q.id for q in interview.questions if tracker.get_slot(question_slot(q.id)) is not None}


def reset_check_in(interview: CheckIn) -> List[EventType]:
    """Clears the answers, so that the next check-in starts afresh."""
    return [SlotSet(question_slot(q.id), None) for q in interview.questions]


class ActionStartCheckIn(Action):
    """Starts afresh, keeping what the opening message already said ("my left calf, for 3 weeks")."""

    def name(self) -> str:
        return "action_start_check_in"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        findings = dict(tracker.latest_message.get("findings") or {})
        if safety.HEALTH_ANXIETY in reading_of(tracker.latest_message):
            dispatcher.utter_message(response="utter_health_anxiety_heard")
        # A story that ends in a question ("...for two weeks, could it be the coffee?"): the question is
        # answered first, briefly, and the check-in keeps what the story said.
        kb = knowledge_base()
        answered: List[EventType] = []
        for topic_id, confidence in asked_questions(tracker.latest_message)[:1]:
            if topic_id not in kb.topics or confidence < MIN_TOPIC_CONFIDENCE:
                # "...could it be serious?": the general answer to that kind of question, if it shows one.
                topic_id = general_topic_of_question(tracker.latest_message) or ""
            if topic_id not in kb.topics and question_leans_on_the_story(tracker.latest_message):
                # "...a new blood pressure tablet. Could there be a link?": the story's own topic.
                story, story_confidence = retrieved_topic(tracker.latest_message)
                topic_id = story if story and story_confidence >= MIN_TOPIC_CONFIDENCE else ""
            if topic_id in kb.topics:
                send_brief_answer(dispatcher, kb, kb.topics[topic_id])
                answered.append(SlotSet(LAST_TOPIC_SLOT, topic_id))  # "is it dangerous?" is about it
        dispatcher.utter_message(response="utter_check_in_intro")
        if findings:
            sides = tracker.latest_message.get("finding_sides") or {}
            said = understood(findings, sides)
            dispatcher.utter_message(response="utter_check_in_understood", understood=said)
        if DURATION not in findings:
            diary_note = self._duration_from_diary(tracker, findings)
            if diary_note:
                dispatcher.utter_message(text=diary_note)
        # Reached from the FAQ action (a story asked as a question) or from a bare "two weeks" that answered
        # no reminder offer (actions/reminders.py), no rule runs the check-in next: say so.
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        asked_as_question = intent in (FAQ_INTENT, SET_REMINDER_INTENT)
        return [
            *reset_check_in(check_in()),
            SlotSet(FINDINGS_SLOT, findings),
            SlotSet(CHECK_IN_PAUSED_SLOT, None),
            *answered,
            *([FollowupAction(FORM_NAME)] if asked_as_question else []),
        ]

    @staticmethod
    def _duration_from_diary(tracker: Tracker, findings: Dict[str, Any]) -> Optional[str]:
        """What the diary says about how long, if the person keeps one; may set findings["duration_days"].

        The diary only shows when logging began, which may be after the twitching began. So its span is
        taken as the duration only when it is already long enough to matter (it can only raise the level);
        a shorter diary is mentioned and the question is still asked.
        """
        try:
            records = store()
            age = (
                records.first_entry_age_days(person(tracker))
                if records.has_consent(person(tracker))
                else None
            )
        except DatabaseError:
            logger.exception("could not read the diary at the start of a check-in")
            return None
        if age is None:
            return None
        days = int(age)
        if days >= long_lasting().days:
            findings[DURATION] = days
            return wording("check_in_diary_counts_as_duration", days=days, note=long_lasting_note(age))
        return wording("check_in_diary_is_shorter", count=days)


class ValidateCheckInForm(FormValidationAction):
    """Reads each answer with bot.check_in; asks only what is still unknown; ends at an emergency sign."""

    def name(self) -> str:
        return "validate_check_in_form"

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        interview = check_in()
        findings = tracker.get_slot(FINDINGS_SLOT) or {}
        remaining = interview.remaining(findings, answered_questions(tracker, interview))
        return [question_slot(q.id) for q in remaining]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        interview = check_in()
        findings = dict(tracker.get_slot(FINDINGS_SLOT) or {})
        events: List[EventType] = []
        to_validate = tracker.slots_to_validate()
        # A question about a medicine, a dose or something else in the middle is answered first, and the
        # answer still counts for the check-in ("I take sertraline, should I stop it?").
        # "should I stop taking them?" after an answer about a medicine is about that medicine.
        concerns = reading_of(tracker.latest_message, tracker.get_slot(LAST_TOPIC_SLOT))
        concerned = (
            answer_concerns(dispatcher, tracker.latest_message, concerns, last_topic_answered(tracker))
            if to_validate
            else None
        )
        concerns_answered = concerned is not None
        events.extend(concerned or [])
        for slot, answer in to_validate.items():
            if not slot.startswith(SLOT_PREFIX) or answer is None:
                continue
            question = interview.question(slot[len(SLOT_PREFIX) :])
            reading = interview.interpret(question, str(answer))
            asked = (
                self._question_answered(dispatcher, tracker)
                if reading.status == UNCLEAR and not concerns_answered and asks_a_question(tracker)
                else None
            )
            if asked is not None:
                # "and dehydration?", "what about when i get cramps and twitching together?": a question in
                # the middle, not an answer. It is answered, what it says of the person still counts (a
                # habit it only asks about does not), and the check-in carries on.
                asked_about = conversation_reading().asked_about
                findings.update({k: v for k, v in reading.extra.items() if k not in asked_about})
                events.extend(asked)
                events.append(SlotSet(slot, None))
                continue
            # Anything else the answer said ("yes, and my vision is blurry", "it's my right calf") counts too.
            findings.update(reading.extra)
            if reading.status == ANSWERED:
                findings.update(reading.findings)
                events.append(SlotSet(slot, str(answer)))
            elif reading.status == UNKNOWN:
                events.append(SlotSet(slot, SKIPPED))
            elif reading.status == UNCLEAR and reading.extra:
                said = understood(reading.extra)
                dispatcher.utter_message(response="utter_check_in_noted", understood=said)
                events.append(SlotSet(slot, None))
            elif concerns_answered:
                dispatcher.utter_message(response="utter_check_in_resume")
                events.append(SlotSet(slot, None))
            else:
                events.extend(self._explain(reading.status, question.why, dispatcher, tracker))
                events.append(SlotSet(slot, None))
        if not events:
            # Nothing was answered (an emergency, or "stop"): returning no events lets Rasa reject the
            # form's turn, so that the emergency or stop rule runs instead of the question again.
            return []
        events.append(SlotSet(FINDINGS_SLOT, findings))
        return events

    @staticmethod
    def _explain(
        status: str, why: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> List[EventType]:
        """Before the question is asked again: why it is asked, or the FAQ answer (a follow-up to the
        answer just given is about its topic), or what to do."""
        if status == WHY:
            dispatcher.utter_message(text=why)
            return []
        if status == NAME_THEM:
            dispatcher.utter_message(response="utter_check_in_name_them")
            return []
        events = ValidateCheckInForm._question_answered(dispatcher, tracker)
        if events is None:
            dispatcher.utter_message(response="utter_check_in_didnt_understand")
            return []
        return events

    @staticmethod
    def _question_answered(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[EventType]]:
        """A question asked in the middle of the check-in, answered from the knowledge base (a follow-up to
        the answer just given is about its topic; one to the story that started the check-in, about the
        story's), with the check-in resuming after; None when no topic answers it."""
        kb = knowledge_base()
        topic = follow_up_topic(tracker, kb)
        text = str(tracker.latest_message.get("text") or "")[:MAX_TEXT_CHARS]
        if topic is None and conversation_reading().names_nothing(text):
            # "is it dangerous?" after "my eyelid keeps twitching": about what the story told of, before
            # whatever topic the words alone happen to be nearest.
            topic = follow_up_topic(tracker, kb, after=story_topic(tracker))
        if topic is None:
            topic_id, confidence = retrieved_topic_in_context(tracker)
            intent = (tracker.latest_message.get("intent") or {}).get("name")
            if intent == "faq" and topic_id and confidence >= MIN_TOPIC_CONFIDENCE:
                topic = kb.topic(topic_id)
            else:  # "how many rest days then?", which the classifier could not place
                topic = unclear_follow_up_topic(tracker, kb, questions_too=True)
        if topic is None:
            # "ok but is it serious?" after a story that asked nothing: about what the story told of.
            topic = follow_up_topic(tracker, kb, after=story_topic(tracker))
        if topic is None:
            return None
        events = answer_topic(dispatcher, kb, topic)
        dispatcher.utter_message(response="utter_check_in_resume")
        return events


def asks_a_question(tracker: Tracker) -> bool:
    """The message asks ("...how long then?", "and dehydration?") rather than answers."""
    reading = conversation_reading()
    text = str(tracker.latest_message.get("text") or "")[:MAX_TEXT_CHARS]
    return reading.asks(text) or reading.switches_subject(text)


def story_topic(tracker: Tracker) -> Optional[str]:
    """The topic the retrieval found, confident enough to answer, for the message that started the check-in
    under way (a person's story); None when there is none."""
    started = False
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") == FORM_NAME:
            started = True
        elif started and event.get("event") == "user":
            parse = event.get("parse_data") or {}
            selection = ((parse.get("response_selector") or {}).get(FAQ_INTENT) or {}).get("response") or {}
            key = str(selection.get("intent_response_key") or "")
            confident = float(selection.get("confidence") or 0.0) >= MIN_TOPIC_CONFIDENCE
            return key.split("/", 1)[1] if "/" in key and confident else None
    return None


def question_leans_on_the_story(latest_message: Dict[str, Any]) -> bool:
    """The first question a story asks is a short one that leans on the story ("could there be a link?",
    "is that why?"), so the whole message says what it is about."""
    reading = conversation_reading()
    parts = reading.question_parts(str(latest_message.get("text") or "")[:MAX_TEXT_CHARS])
    return bool(parts) and reading.is_short(parts[0]) and not reading.switches_subject(parts[0])


def general_topic_of_question(latest_message: Dict[str, Any]) -> Optional[str]:
    """The general topic for the kind of the first question a story asks ("should i be worried?": when to
    see a doctor), from data/conversation_reading.yml; None when it shows no kind."""
    reading = conversation_reading()
    parts = reading.question_parts(str(latest_message.get("text") or "")[:MAX_TEXT_CHARS])
    return reading.general_topic(parts[0]) if parts else None


def assessment_message(assessment: Assessment) -> str:
    """The result in reading order: the level, why, what may feed the twitching, if worse, not a diagnosis."""
    level = assessment.level_wording
    parts = [
        wording("assessment_level", title=level.title, headline=level.headline, what_to_do=level.what_to_do)
    ]
    if assessment.red_flags:
        parts.append(listed("heading_why", [flag.explanation for flag in assessment.red_flags]))
    if assessment.contributors:
        contributors = [f"{c.explanation} {c.advice}" for c in assessment.contributors]
        parts.append(listed("heading_what_may_feed_it", contributors))
    parts.append(wording("heading_before", heading=wording("heading_if_worse"), text=level.if_worse))
    # A widget that shows only the text (rasa-webchat) still shows where the reasons come from.
    cited = assessment_sources(assessment)
    if cited:
        parts.append(wording("heading_before", heading=wording("heading_sources"), text="; ".join(cited)))
    parts.append(wording("assessment_not_a_diagnosis"))
    return "\n\n".join(parts)


def assessment_sources(assessment: Assessment) -> List[str]:
    """The citations of the sources the assessment's reasons and triggers rest on, each once, in order."""
    sources = knowledge_base().sources
    ids = dict.fromkeys(entry.source for entry in (*assessment.red_flags, *assessment.contributors))
    return [sources[source_id].citation if source_id in sources else source_id for source_id in ids]


def assessment_payload(assessment: Assessment) -> Dict[str, Any]:
    """The machine-readable assessment for channels that draw a card, with source titles for links."""
    sources = knowledge_base().sources
    payload = {"type": "assessment", **assessment.to_dict(), "card_headings": card_headings()}
    for entry in payload["red_flags"] + payload["contributors"]:
        source = sources.get(entry["source"])
        entry["source_title"] = source.title if source else entry["source"]
    return payload


class ActionCheckInResult(Action):
    def name(self) -> str:
        return "action_check_in_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        findings = tracker.get_slot(FINDINGS_SLOT) or {}
        try:
            assessment = assess(findings)
        except FindingsError:
            logger.exception("check-in produced findings the vocabulary rejects")
            # The emergency line is the one every "something went wrong" reply ends with.
            dispatcher.utter_message(response="utter_check_in_cannot_assess", if_urgent=IF_URGENT)
            return reset_check_in(check_in())
        dispatcher.utter_message(
            text=assessment_message(assessment), json_message=assessment_payload(assessment)
        )
        kept = {"findings": dict(findings), "result": assessment.to_dict()}
        events = [*reset_check_in(check_in()), SlotSet(LAST_ASSESSMENT_SLOT, kept)]
        return events + self._keep(dispatcher, tracker, assessment, kept)

    @staticmethod
    def _keep(
        dispatcher: CollectingDispatcher, tracker: Tracker, assessment: Assessment, kept: Dict[str, Any]
    ) -> List[EventType]:
        """Saves the result for someone who agreed, and offers to check back (never in an emergency: then
        the call comes first); asks someone not yet asked."""
        try:
            records = store()
            if records.has_consent(person(tracker)):
                records.save_assessment(person(tracker), kept["findings"], kept["result"])
                dispatcher.utter_message(response="utter_check_in_result_kept")
                if assessment.level == EMERGENCY_LEVEL:
                    return []
                return offer_reminder(dispatcher, tracker, records)
        except DatabaseError as error:
            return records_unavailable(dispatcher, error)
        if tracker.get_slot(CONSENT_DECLINED_SLOT) or assessment.level == EMERGENCY_LEVEL:
            return []
        return ask_consent(dispatcher, "consent_for_a_result", {"assessment": kept})


class ActionStopCheckIn(Action):
    def name(self) -> str:
        return "action_stop_check_in"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_check_in_stopped")
        return [ActiveLoop(None), SlotSet("requested_slot", None), *reset_check_in(check_in())]


def end_active_check_in(tracker: Tracker) -> List[EventType]:
    """Events that end whatever loop is running (an emergency overrides it) and a check-in's answers."""
    events: List[EventType] = [ActiveLoop(None), SlotSet("requested_slot", None)]
    active: Optional[Dict[str, Any]] = tracker.active_loop
    if active and active.get("name") == FORM_NAME:
        events.extend(reset_check_in(check_in()))
    return events


class ActionResumeCheckIn(ActionStartCheckIn):
    """ "Carry on with the check-in": back to where a paused check-in was, with its answers; with nothing
    paused, a check-in from the start."""

    def name(self) -> str:
        return "action_resume_check_in"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot(CHECK_IN_PAUSED_SLOT):
            dispatcher.utter_message(response="utter_check_in_resume")
            return [SlotSet(CHECK_IN_PAUSED_SLOT, None)]
        dispatcher.utter_message(response="utter_no_check_in_to_resume")
        return await super().run(dispatcher, tracker, domain)
