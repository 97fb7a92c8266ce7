"""What is met before anything else, besides an emergency: a person in crisis, a question about changing a
medicine or a dose, a medical question outside what the assistant covers, pressure for a diagnosis, and
fear that needs to be heard first.

What a message raises is decided in bot.safety; the words are the domain's responses and the facts the
knowledge base's topics. These actions only choose which, in order.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import (
    LAST_TOPIC_SLOT,
    MIN_TOPIC_CONFIDENCE,
    last_topic_answered,
    retrieved_topic,
    send_topic,
)
from bot import safety
from bot.check_in import FORM_NAME
from bot.conversation_reading import conversation_reading, words_of
from bot.extract import MAX_TEXT_CHARS
from bot.knowledge import knowledge_base
from bot.recheck import FORM_NAME as RECHECK_FORM

CHECK_IN_PAUSED_SLOT = "check_in_paused"
# What the classifier's own intent stands for when the screen found no phrase for it.
INTENT_CONCERNS = {
    "crisis": safety.CRISIS,
    "medicine_question": safety.MEDICINE_CHANGE,
    "dose_question": safety.DOSE,
    "medical_out_of_scope": safety.MEDICAL_OUT_OF_SCOPE,
    "diagnosis_pressure": safety.DIAGNOSIS_PRESSURE,
    "health_anxiety": safety.HEALTH_ANXIETY,
}
OUT_OF_SCOPE_RESPONSES = {
    safety.PREGNANCY: "utter_medical_out_of_scope_pregnancy",
    safety.CHILD: "utter_medical_out_of_scope_child",
    safety.CONDITION: "utter_medical_out_of_scope_condition",
}
# Where the NLU pipeline puts its safety reading of the message (components/nlu/deterministic_intents.py).
SAFETY_READING = "safety"
# The substances of data/safety_screen.yml that name no substance in particular ("a supplement").
GENERIC_SUPPLEMENTS = "supplements"
# The topic whose facts answer fear when the message names no topic of its own.
FEAR_TOPIC = "als_worry"


def reading_of(latest_message: Dict[str, Any], last_topic: Optional[str] = None) -> safety.SafetyReading:
    """What the latest message raises; the classifier's intent counts when no phrase matched, and the topic
    answered last when the message only refers back to it ("can I come off them?")."""
    stored = latest_message.get(SAFETY_READING)
    if isinstance(stored, dict):  # screened once already, in the NLU pipeline
        reading = safety.safety_screen().in_light_of(safety.SafetyReading.from_dict(stored), last_topic)
    else:
        reading = safety.screen(str(latest_message.get("text") or "")[:MAX_TEXT_CHARS], last_topic)
    intent = (latest_message.get("intent") or {}).get("name")
    concern = INTENT_CONCERNS.get(str(intent))
    if concern == safety.MEDICAL_OUT_OF_SCOPE and condition_of_the_answers(latest_message, last_topic):
        # "even the flu?" right after the answer on infections asks about twitching with it.
        return safety.SafetyReading(
            tuple(c for c in reading.concerns if c != safety.MEDICAL_OUT_OF_SCOPE),
            reading.medicine_classes, reading.substances, (),
        )
    if concern and concern not in reading.concerns:
        out_of_scope = reading.out_of_scope
        if concern == safety.MEDICAL_OUT_OF_SCOPE and not out_of_scope:
            out_of_scope = (safety.CONDITION,)
        reading = safety.SafetyReading(
            (concern, *reading.concerns), reading.medicine_classes, reading.substances, out_of_scope
        )
    return reading


def condition_of_the_answers(latest_message: Dict[str, Any], last_topic: Optional[str]) -> bool:
    """"even the flu?" right after the answer on infections, "what about the acid reflux ones" after the one
    on medicines: a short follow-up, right after an answer, naming only a condition an answer of the
    knowledge base speaks of, asks about twitching with it, not for advice on the condition."""
    if not last_topic:
        return False
    text = str(latest_message.get("text") or "")[:MAX_TEXT_CHARS]
    screened = _screened(latest_message)
    only_a_condition = screened.out_of_scope == (safety.CONDITION,)
    if set(screened.concerns) != {safety.MEDICAL_OUT_OF_SCOPE} or not only_a_condition:
        return False
    if not conversation_reading().is_short(text):
        return False
    named = safety.safety_screen().conditions_named(text)
    spoken_of = _answer_words()
    return bool(named) and all(
        any(word in spoken_of for word in words_of(condition) if word not in CONDITION_FILLER)
        for condition in named
    )


# Words of a condition's name that name nothing by themselves ("a cold").
CONDITION_FILLER = frozenset({"a", "an", "the", "my", "of", "in", "on", "is", "are", "keeps", "keep"})


@functools.lru_cache(maxsize=1)
def _answer_words() -> frozenset[str]:
    return frozenset(word for topic in knowledge_base().topics.values() for word in words_of(topic.answer))


def hear_fear(
    dispatcher: CollectingDispatcher, latest_message: Dict[str, Any], topic_id: Optional[str]
) -> Optional[str]:
    """Acknowledgement first, then the facts (the topic asked about, else the fear most people have), then
    what helps; the topic answered."""
    dispatcher.utter_message(response="utter_health_anxiety_heard")
    if topic_id is None:
        retrieved, confidence = retrieved_topic(latest_message)
        topic_id = retrieved if retrieved and confidence >= MIN_TOPIC_CONFIDENCE else FEAR_TOPIC
    answered = send_topic(dispatcher, topic_id)
    dispatcher.utter_message(response="utter_health_anxiety_help")
    return answered


def answer_concerns(
    dispatcher: CollectingDispatcher,
    latest_message: Dict[str, Any],
    reading: safety.SafetyReading,
    last_topic: Optional[str] = None,
) -> Optional[List[EventType]]:
    """The replies to every concern but a crisis (actions of its own), in order. None when none was sent;
    else the events to return: the last topic answered is remembered, so that "who should I ask?" after the
    answer about medicines is about medicines. `last_topic`, the topic answered just before, says what
    "it" is: "should I quit cold turkey?" after the answer about caffeine is about caffeine."""
    screen = safety.safety_screen()
    sent = False
    answered: Optional[str] = None
    for concern in reading.concerns:
        if concern == safety.MEDICINE_CHANGE and _about_the_habit(latest_message, reading, last_topic):
            answered = send_topic(dispatcher, str(last_topic)) or answered
            dispatcher.utter_message(response="utter_medicine_change_if_prescribed")
        elif concern == safety.MEDICINE_CHANGE:
            dispatcher.utter_message(response="utter_medicine_change")
            answered = send_topic(dispatcher, screen.medicine_topic(reading)) or answered
        elif concern == safety.DOSE and _amount_of_the_answer(latest_message, reading, last_topic):
            answered = send_topic(dispatcher, str(last_topic)) or answered
        elif concern == safety.DOSE:
            dispatcher.utter_message(response="utter_dose_question")
            for topic_id in _dose_topics(reading, last_topic):
                answered = send_topic(dispatcher, topic_id) or answered
        elif concern == safety.MEDICAL_OUT_OF_SCOPE:
            kind = (reading.out_of_scope or (safety.CONDITION,))[0]
            dispatcher.utter_message(response=OUT_OF_SCOPE_RESPONSES[kind])
        elif concern == safety.DIAGNOSIS_PRESSURE:
            dispatcher.utter_message(response="utter_diagnosis_pressure")
        elif concern == safety.HEALTH_ANXIETY:
            answered = hear_fear(dispatcher, latest_message, None) or answered
        else:
            continue
        sent = True
    if not sent:
        return None
    return [SlotSet(LAST_TOPIC_SLOT, answered)] if answered else []


def out_of_scope_reply_just_before(tracker: Tracker) -> Optional[str]:
    """The reply to a medical question outside what the assistant covers (a child's, a pregnancy's, another
    condition's), when that was the assistant's turn just before this message: a follow-up to it ("when
    should I worry?" after "my baby jerks in her sleep") is about the same child, not an adult's twitching."""
    seen_this_message = False
    kinds = set(OUT_OF_SCOPE_RESPONSES.values())
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_this_message:
                return None
            seen_this_message = True
        elif seen_this_message and event.get("event") == "bot":
            sent = (event.get("metadata") or {}).get("utter_action")
            if sent in kinds:
                return str(sent)
    return None


def _about_the_habit(
    latest_message: Dict[str, Any], reading: safety.SafetyReading, last_topic: Optional[str]
) -> bool:
    """A change the classifier alone took for a medicine's, right after the answer about a habit, in a
    message naming no medicine: "should I quit cold turkey?" after the answer about vaping."""
    screen = safety.safety_screen()
    if last_topic not in screen.habit_topics or reading.medicine_classes:
        return False
    return safety.MEDICINE_CHANGE not in _screened(latest_message)


def _amount_of_the_answer(
    latest_message: Dict[str, Any], reading: safety.SafetyReading, last_topic: Optional[str]
) -> bool:
    """An amount the classifier alone took for a dose, right after the answer about something that has no
    dose, in a message naming no medicine or substance: "how many hours should I aim for?" after the answer
    about sleep asks about sleep."""
    if reading.medicine_classes or reading.substances:
        return False
    text = str(latest_message.get("text") or "")[:MAX_TEXT_CHARS]
    return safety.safety_screen().asks_an_amount_of(text, _screened(latest_message), last_topic)


def _screened(latest_message: Dict[str, Any]) -> safety.SafetyReading:
    """What the screen itself found in the message (the NLU's reading, else screened now), without the
    classifier's intent."""
    stored = latest_message.get(SAFETY_READING)
    text = str(latest_message.get("text") or "")[:MAX_TEXT_CHARS]
    return safety.SafetyReading.from_dict(stored) if isinstance(stored, dict) else safety.screen(text)


def _dose_topics(reading: safety.SafetyReading, last_topic: Optional[str]) -> List[str]:
    """The topics whose facts go with a dose reply: those of the substances named; for "it" or "a
    supplement" right after the answer about a substance, that substance's."""
    screen = safety.safety_screen()
    if last_topic and not reading.medicine_classes and set(reading.substances) <= {GENERIC_SUPPLEMENTS}:
        candidates = [conversation_reading().answering_topic("foods", last_topic), last_topic]
        in_context = screen.substance_topic_after(candidates)
        if in_context:
            return [in_context]
    return screen.dose_topics(reading)


class ActionSafetyAnswer(Action):
    """Medicines, doses, medical questions outside twitching, diagnosis pressure and fear."""

    def name(self) -> str:
        return "action_safety_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        last_topic = last_topic_answered(tracker)
        if condition_of_the_answers(tracker.latest_message, last_topic):
            from actions.faq import ActionAnswerFaq  # late: the FAQ action reads the safety concerns too

            return await ActionAnswerFaq().run(dispatcher, tracker, domain)
        reading = reading_of(tracker.latest_message, last_topic)
        answered = answer_concerns(dispatcher, tracker.latest_message, reading, last_topic)
        if answered is None:
            dispatcher.utter_message(response="utter_medical_out_of_scope_condition")
            return []
        return answered


def pause_check_in(tracker: Tracker) -> List[EventType]:
    """Events that pause a running check-in, keeping its answers, so that it can be resumed later."""
    active: Optional[Dict[str, Any]] = tracker.active_loop
    if active and active.get("name") == RECHECK_FORM:
        # The re-check is three questions: it ends, and "re-check" starts it again when the person is ready.
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
    if not active or active.get("name") != FORM_NAME:
        return []
    return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet(CHECK_IN_PAUSED_SLOT, True)]


class ActionCrisis(Action):
    """A person in crisis is met warmly, with people to talk to, before anything else. A check-in pauses; the
    person can go on talking about anything, and resume it when ready."""

    def name(self) -> str:
        return "action_crisis"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_crisis")
        events = pause_check_in(tracker)
        if SlotSet(CHECK_IN_PAUSED_SLOT, True) in events:
            dispatcher.utter_message(response="utter_check_in_paused")
        return events
