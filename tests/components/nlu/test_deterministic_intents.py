"""The NLU component that decides what must be met first: its intents, and the safety reading it leaves in
the parse for the actions."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.nlu.deterministic_intents import DeterministicIntents


def parsed(text: str, intent: str = "faq") -> Message:
    message = Message({TEXT: text, INTENT: {"name": intent, "confidence": 0.9}})
    DeterministicIntents.create({}, None, None, None).process([message])  # type: ignore[arg-type]
    return message


def test_each_message_carries_its_safety_reading_and_the_intent_it_decides() -> None:
    crisis = parsed("i dont want to be here anymore")
    assert crisis.get(INTENT)["name"] == "crisis" and crisis.get("safety")["concerns"] == ["crisis"]
    overdose = parsed("took a whole box of pills to end it")
    assert overdose.get(INTENT)["name"] == "emergency" and "crisis" in overdose.get("safety")["concerns"]
    plain = parsed("can coffee cause twitching")
    assert plain.get(INTENT)["name"] == "faq" and plain.get("safety")["concerns"] == []


def test_a_follow_up_the_classifier_put_outside_twitching_goes_to_the_faq_action() -> None:
    """"how do I get rid of it?" names nothing of its own: the FAQ action reads it with the answer just
    given, keeping what the classifier said for when nothing was answered before."""
    follow_up = parsed("how do i get rid of it", intent="medical_out_of_scope")
    assert follow_up.get(INTENT)["name"] == "faq"
    assert follow_up.get("classified_as") == "medical_out_of_scope"
    assert follow_up.get("follow_up") == "treatment"
    # A complaint of its own stays outside what the assistant covers.
    knee = parsed("my knee hurts, how do i get rid of it", intent="medical_out_of_scope")
    assert knee.get(INTENT)["name"] == "medical_out_of_scope"
    # So does what the screen itself found ("a child").
    child = parsed("how do i get rid of it for my son", intent="medical_out_of_scope")
    assert child.get(INTENT)["name"] == "medical_out_of_scope"


def with_topic(message: Message, confidence: float) -> Message:
    """The message as the retrieval leaves it (components/nlu/text_classifiers.py), with that confidence."""
    response = {"confidence": confidence, "intent_response_key": "faq/lyme_other_infections"}
    message.set("response_selector", {"faq": {"response": response, "ranking": []}})
    return message


def parsed_with_topic(text: str, intent: str, confidence: float) -> Message:
    message = with_topic(Message({TEXT: text, INTENT: {"name": intent, "confidence": 0.7}}), confidence)
    DeterministicIntents.create({}, None, None, None).process([message])  # type: ignore[arg-type]
    return message


def test_a_question_naming_a_subject_the_retrieval_places_is_a_question_about_it() -> None:
    """"what other infections do this?" looks like a request for help; with a subject the retrieval places,
    it goes to the FAQ action, which does what help does when no answer came just before."""
    question = parsed_with_topic("what other infections do this", "help", 0.82)
    assert question.get(INTENT)["name"] == "faq" and question.get("classified_as") == "help"
    # No subject at all: help stays help.
    assert parsed_with_topic("what can you do?", "help", 0.9).get(INTENT)["name"] == "help"


@pytest.mark.parametrize(
    "text", ["what other meds can do this", "other meds that do this", "what habits help"]
)
def test_a_question_about_a_subject_is_no_request_for_help_however_unsure_the_retrieval(text: str) -> None:
    """The classifier's help is for requests about the assistant. A question naming a subject, saying
    nothing to it, goes to the FAQ action (which gives help only when no answer came just before)."""
    question = parsed_with_topic(text, "help", 0.2)
    assert question.get(INTENT)["name"] == "faq" and question.get("classified_as") == "help"


@pytest.mark.parametrize(
    "text", ["what can you tell me about magnesium", "help", "how do i use this bot", "what can i ask you"]
)
def test_a_request_about_the_assistant_stays_a_request_for_help(text: str) -> None:
    assert parsed_with_topic(text, "help", 0.2).get(INTENT)["name"] == "help"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("stop reminders", "stop_reminders"),
        ("Please stop sending me reminders!", "stop_reminders"),
        ("cancel all my reminders", "stop_reminders"),
        ("what reminders do I have?", "list_reminders"),
        ("cancel my reminder", "cancel_reminder"),
        ("remind me in a week to check again", "set_reminder"),
        ("two weeks", "set_reminder"),  # the action reads it as a duration unless it answers the offer
        ("re-check", "start_recheck"),
        ("let's do the follow up", "start_recheck"),
        ("no thanks", "deny"),
    ],
)
def test_reminder_commands_are_met_whatever_the_classifier_says(text: str, intent: str) -> None:
    assert parsed(text, intent="faq").get(INTENT)["name"] == intent


@pytest.mark.parametrize(
    "text", ["remind me when it started", "about 3 weeks", "can you remind me what causes twitching?"]
)
def test_words_that_only_look_like_a_reminder_are_left_to_the_classifier(text: str) -> None:
    assert parsed(text, intent="faq").get(INTENT)["name"] == "faq"


def test_an_emergency_still_comes_before_stop_reminders() -> None:
    assert parsed("stop reminders, i can't breathe").get(INTENT)["name"] == "emergency"


def test_a_yes_or_no_stands_unless_the_message_opens_with_its_subject() -> None:
    assert parsed_with_topic("yoga ok?", "affirm", 0.78).get(INTENT)["name"] == "faq"
    assert parsed_with_topic("yes, is magnesium safe?", "affirm", 0.8).get(INTENT)["name"] == "affirm"


@pytest.mark.parametrize(
    ("text", "intent"),
    [("how 2 stop em", "faq"), ("will it stop if i quit", "faq"), ("can you stop?", "stop"),
     ("can we stop now", "stop")],
)
def test_a_question_about_stopping_the_twitching_is_no_request_to_stop(text: str, intent: str) -> None:
    assert parsed(text, intent="stop").get(INTENT)["name"] == intent


def test_a_message_only_denying_findings_is_a_no_when_the_classifier_could_not_place_it() -> None:
    """"I'm not short of breath": the classifier fell just short of "no"; every finding is denied."""
    message = Message({TEXT: "I'm not short of breath", INTENT: {"name": "nlu_fallback", "confidence": 0.45},
                       "findings": {"breathing_difficulty": False}})
    DeterministicIntents.create({}, None, None, None).process([message])  # type: ignore[arg-type]
    assert message.get(INTENT)["name"] == "deny"
    asked = Message({TEXT: "no weakness, is that good?", INTENT: {"name": "nlu_fallback", "confidence": 0.45},
                     "findings": {"weakness": False}})
    DeterministicIntents.create({}, None, None, None).process([asked])  # type: ignore[arg-type]
    assert asked.get(INTENT)["name"] != "deny"



@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # A question about what the check-in asks of, of nobody in particular: the FAQ action's.
        ("does family history matter", "faq"),
        ("is family history important?", "faq"),
        # An answer to the check-in, even with a question in it, stays an answer.
        ("does it matter that my dad had als", "inform"),
        ("i think my mum had something like that, does it matter?", "inform"),
        ("both legs?", "inform"),
    ],
)
def test_a_question_the_classifier_read_as_an_answer_is_a_question(text: str, intent: str) -> None:
    assert parsed(text, intent="inform").get(INTENT)["name"] == intent


def test_what_is_left_of_a_payload_that_could_not_be_read_is_no_question() -> None:
    assert parsed("inform{bad", intent="faq").get(INTENT)["name"] == "nlu_fallback"
    assert parsed('faq{"topic": 3', intent="faq").get(INTENT)["name"] == "nlu_fallback"
    # What the screen finds still comes first.
    assert parsed("inform{bad i want to end my life", intent="faq").get(INTENT)["name"] == "crisis"
