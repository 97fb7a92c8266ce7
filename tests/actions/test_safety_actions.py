"""The safety actions on real Tracker and CollectingDispatcher objects: a crisis pauses the check-in and keeps
its answers, "carry on" resumes it, and each concern gets its reply from the domain, with the facts of the
knowledge base and never a dose or advice to change a medicine."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.check_in import ActionResumeCheckIn
from actions.emergency import ActionEmergency
from actions.safety import ActionCrisis, ActionSafetyAnswer, reading_of
from bot.knowledge import knowledge_base
from bot.safety import screen
from tests.actions.test_check_in_actions import DOMAIN, form_tracker, slot_values, validate

KB = knowledge_base()


def tracker(
    text: str, intent: str, slots: dict[str, Any] | None = None, loop: str | None = None
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    active_loop = {"name": loop} if loop else {}
    return Tracker("someone", slots or {}, latest, [], False, None, active_loop, "action_listen")


def run(action: Action, tracker: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return events, dispatcher.messages


def responses(messages: list[dict]) -> list[str | None]:
    return [message.get("response") for message in messages]


def test_a_crisis_outside_the_check_in_gets_the_crisis_lines_and_changes_nothing() -> None:
    events, messages = run(ActionCrisis(), tracker("i want to end it all", "crisis"))
    assert responses(messages) == ["utter_crisis"] and events == []


def test_a_crisis_during_the_check_in_pauses_it_and_keeps_the_answers() -> None:
    slots = {"checkin_location": "left calf", "findings": {"location": ["calf"]}}
    events, messages = run(ActionCrisis(), tracker("kms", "crisis", slots, loop="check_in_form"))
    assert responses(messages) == ["utter_crisis", "utter_check_in_paused"]
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert slot_values(events) == {"requested_slot": None, "check_in_paused": True}


def test_carry_on_resumes_a_paused_check_in_where_it_was() -> None:
    slots = {"check_in_paused": True, "checkin_location": "left calf"}
    events, messages = run(ActionResumeCheckIn(), tracker("carry on, please", "resume_check_in", slots))
    assert responses(messages) == ["utter_check_in_resume"]
    assert slot_values(events) == {"check_in_paused": None}


def test_carry_on_with_nothing_paused_starts_a_check_in() -> None:
    events, messages = run(ActionResumeCheckIn(), tracker("continue", "resume_check_in"))
    assert responses(messages)[:2] == ["utter_no_check_in_to_resume", "utter_check_in_intro"]
    assert slot_values(events)["checkin_location"] is None


def test_a_medicine_question_says_talk_to_the_prescriber_then_what_the_sources_say() -> None:
    asked = tracker("should i come off my sertraline", "medicine_question")
    events, messages = run(ActionSafetyAnswer(), asked)
    assert responses(messages)[0] == "utter_medicine_change"
    assert messages[1]["text"].startswith(KB.topics["medications"].answer)
    # Remembered, so that "who should i ask?" next is about medicines.
    assert slot_values(events) == {"last_topic": "medications"}


def test_a_reflux_tablet_question_gets_the_reflux_facts() -> None:
    _, messages = run(ActionSafetyAnswer(), tracker("can i stop my omeprazole", "medicine_question"))
    assert messages[1]["text"].startswith(KB.topics["ppi_magnesium"].answer)


def test_a_dose_question_points_to_a_pharmacist_with_the_substance_facts() -> None:
    _, messages = run(ActionSafetyAnswer(), tracker("how much magnesium should i take", "dose_question"))
    assert responses(messages)[0] == "utter_dose_question"
    assert messages[1]["text"].startswith(KB.topics["magnesium_foods_forms"].answer)


def right_after_an_answer(answered: str, text: str, intent: str) -> Tracker:
    """As `tracker`, with the assistant's previous turn having answered the topic `answered`."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    events = [
        {"event": "user", "text": "an earlier question"},
        {"event": "slot", "name": "last_topic", "value": answered},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    return Tracker("someone", {"last_topic": answered}, latest, events, False, None, {}, "action_listen")


def test_quitting_right_after_the_answer_about_a_habit_is_about_the_habit_with_a_line_on_medicines() -> None:
    """The classifier took "should i quit cold turkey?" for a medicine question; after the answer about
    vaping it is about vaping, and whoever meant a prescribed medicine is still told not to stop it alone."""
    asked = right_after_an_answer("nicotine_stimulants", "should i quit cold turkey", "medicine_question")
    events, messages = run(ActionSafetyAnswer(), asked)
    assert messages[0]["text"].startswith(KB.topics["nicotine_stimulants"].answer)
    assert responses(messages)[1:] == ["utter_medicine_change_if_prescribed"]
    assert slot_values(events) == {"last_topic": "nicotine_stimulants"}


def test_quitting_a_named_medicine_after_a_habit_answer_is_still_a_medicine_question() -> None:
    asked = right_after_an_answer("caffeine", "should i quit my sertraline cold turkey", "medicine_question")
    _, messages = run(ActionSafetyAnswer(), asked)
    assert responses(messages)[0] == "utter_medicine_change"


def test_quitting_after_any_other_answer_is_a_medicine_question() -> None:
    asked = right_after_an_answer("medications", "should i just quit cold turkey", "medicine_question")
    _, messages = run(ActionSafetyAnswer(), asked)
    assert responses(messages)[0] == "utter_medicine_change"


def test_a_dose_question_about_a_supplement_right_after_an_answer_is_about_its_substance() -> None:
    asked = right_after_an_answer("magnesium", "and should i take a supplement", "dose_question")
    _, messages = run(ActionSafetyAnswer(), asked)
    assert responses(messages)[0] == "utter_dose_question"
    assert messages[1]["text"].startswith(KB.topics["magnesium_foods_forms"].answer)
    # After an answer about no substance, the general facts on supplements.
    asked = right_after_an_answer("sleep", "and should i take a supplement", "dose_question")
    _, messages = run(ActionSafetyAnswer(), asked)
    assert messages[1]["text"].startswith(KB.topics["mineral_deficiency"].answer)


def test_an_amount_of_something_with_no_dose_right_after_its_answer_is_about_that_answer() -> None:
    """The classifier took "how many hours should i be aiming for?" for a dose question; after the answer
    about sleep it asks about sleep. A medicine, a substance or taking anything keeps it a dose question."""
    asked = right_after_an_answer("sleep", "how many hours should i be aiming for", "dose_question")
    events, messages = run(ActionSafetyAnswer(), asked)
    assert messages[0]["text"].startswith(KB.topics["sleep"].answer)
    assert "utter_dose_question" not in responses(messages)
    assert slot_values(events) == {"last_topic": "sleep"}
    for text, answered in [
        ("how many hours between my tablets", "sleep"),
        ("how many hours apart should i take it", "sleep"),
        ("how much melatonin then", "sleep"),
        ("how much should i take", "magnesium"),
        ("how many hours should i be aiming for", "caffeine"),
    ]:
        _, messages = run(ActionSafetyAnswer(), right_after_an_answer(answered, text, "dose_question"))
        assert responses(messages)[0] == "utter_dose_question", text


def test_a_condition_an_answer_speaks_of_named_in_a_follow_up_asks_about_twitching_with_it() -> None:
    """"even the flu?" right after the answer on infections is about twitching after flu (that answer
    speaks of flu); a condition no answer speaks of still gets the reply on what is outside twitching."""
    asked = right_after_an_answer("lyme_other_infections", "even the flu?", "medical_out_of_scope")
    asked.latest_message["safety"] = screen("even the flu?").to_dict()
    _, messages = run(ActionSafetyAnswer(), asked)
    assert messages[0]["text"].startswith(KB.topics["lyme_other_infections"].answer)
    assert "utter_medical_out_of_scope_condition" not in responses(messages)
    asked = right_after_an_answer("lyme_other_infections", "what about diabetes?", "medical_out_of_scope")
    asked.latest_message["safety"] = screen("what about diabetes?").to_dict()
    _, messages = run(ActionSafetyAnswer(), asked)
    assert responses(messages) == ["utter_medical_out_of_scope_condition"]


def test_each_kind_of_medical_question_outside_twitching_gets_its_own_reply() -> None:
    for text, response in [
        ("im 20 weeks pregnant", "utter_medical_out_of_scope_pregnancy"),
        ("my toddler's eye twitches", "utter_medical_out_of_scope_child"),
        ("how do i treat asthma", "utter_medical_out_of_scope_condition"),
    ]:
        _, messages = run(ActionSafetyAnswer(), tracker(text, "medical_out_of_scope"))
        assert responses(messages) == [response], text


def test_the_classifiers_intent_counts_when_no_phrase_matched() -> None:
    _, messages = run(ActionSafetyAnswer(), tracker("what helps with gout flare ups", "medical_out_of_scope"))
    assert responses(messages) == ["utter_medical_out_of_scope_condition"]


def test_diagnosis_pressure_gets_no_diagnosis() -> None:
    _, messages = run(ActionSafetyAnswer(), tracker("just say yes or no, is it als", "diagnosis_pressure"))
    assert responses(messages) == ["utter_diagnosis_pressure"]


def test_fear_is_heard_before_the_facts_and_followed_by_what_helps() -> None:
    _, messages = run(ActionSafetyAnswer(), tracker("im terrified its als and cant sleep", "health_anxiety"))
    assert responses(messages)[0] == "utter_health_anxiety_heard"
    assert messages[1]["text"].startswith(KB.topics["als_worry"].answer)
    assert responses(messages)[-1] == "utter_health_anxiety_help"


def test_an_overdose_taken_to_end_a_life_gets_the_call_first_then_the_crisis_lines() -> None:
    latest = {"text": "took a whole box of pills to end it", "intent": {"name": "emergency"}, "entities": []}
    emergency = Tracker("someone", {}, latest, [], False, None, {}, "action_listen")
    _, messages = run(ActionEmergency(), emergency)
    assert "911" in messages[0]["text"] and responses(messages)[1] == "utter_crisis"


def test_a_medicine_question_inside_the_check_in_is_answered_and_the_answer_still_counts() -> None:
    events, dispatcher = validate(
        form_tracker("checkin_medications", "sertraline, should i stop it?", {}, intent="medicine_question")
    )
    assert responses(dispatcher.messages)[0] == "utter_medicine_change"
    assert slot_values(events)["findings"]["medications"] == ["antidepressant"]


def test_a_dose_question_in_the_middle_of_the_check_in_is_answered_then_the_question_asked_again() -> None:
    events, dispatcher = validate(
        form_tracker("checkin_duration", "how much magnesium should i take", {}, intent="dose_question")
    )
    assert responses(dispatcher.messages)[0] == "utter_dose_question"
    assert responses(dispatcher.messages)[-1] == "utter_check_in_resume"
    assert slot_values(events)["checkin_duration"] is None


def test_the_actions_read_the_pipelines_safety_reading_instead_of_screening_again() -> None:
    stored = {"concerns": ["dose"], "substances": ["magnesium"]}
    latest = {"text": "hello", "intent": {"name": "dose_question"}, "safety": stored, "entities": []}
    reading = reading_of(latest)
    assert reading.concerns == ("dose",) and reading.substances == ("magnesium",)
    # A follow-up is read in the light of the topic answered before, as when screened here.
    follow_up = {"text": "so can i stop them", "intent": {"name": "medicine_follow_up"}}
    follow_up["safety"] = screen("so can i stop them").to_dict()
    assert "medicine_change" in reading_of(follow_up, "medications").concerns
    assert "medicine_change" not in reading_of(follow_up, "caffeine").concerns
