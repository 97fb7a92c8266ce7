"""The symptom check-in over REST with the real Rasa server and action server."""

from __future__ import annotations

import uuid

import pytest

from bot.check_in import check_in
from bot.knowledge import knowledge_base
from tests.conftest import CHECK_IN_ANSWERS, Assistant

pytestmark = pytest.mark.server
QUESTIONS = {q.id: q.text for q in check_in().questions}


def new_person() -> str:
    return f"checkin-{uuid.uuid4().hex[:8]}"


def asked(assistant: Assistant, replies: list[dict]) -> str | None:
    """Which check-in question the replies end with, if any."""
    text = assistant.text(replies)
    return next((qid for qid, question in QUESTIONS.items() if text.endswith(question)), None)


def assessment(replies: list[dict]) -> dict | None:
    return next((r["custom"] for r in replies if r.get("custom", {}).get("type") == "assessment"), None)


def test_a_whole_check_in_ends_with_the_assessment_and_its_payload(assistant: Assistant) -> None:
    person = new_person()
    replies = assistant.send(person, "check my symptoms")
    assert asked(assistant, replies) == "emergency_screen"
    answers = CHECK_IN_ANSWERS
    questions_asked = 1
    for answer in answers:
        replies = assistant.send(person, answer)
        if asked(assistant, replies):
            questions_asked += 1
    assert questions_asked <= 10
    result = assessment(replies)
    assert result is not None, assistant.text(replies)
    assert result["level"] == "see_doctor"
    assert "long_lasting" in [flag["id"] for flag in result["red_flags"]]
    assert {"caffeine", "short_sleep", "stress"} <= {c["id"] for c in result["contributors"]}
    text = assistant.text(replies)
    assert text.startswith("See a doctor in the next few days. Make an appointment with your doctor")
    assert "not a diagnosis" in text


def test_button_answers_work_like_typed_ones(assistant: Assistant) -> None:
    person = new_person()
    replies = assistant.send(person, "/check_symptoms")
    for _ in range(10):
        buttons = assistant.buttons(replies)
        replies = assistant.send(
            person, buttons[0]["payload"]
        )  # the first button: "None of these" and the like
        if assessment(replies):
            break
    assert assessment(replies) is not None


def test_an_emergency_in_the_screen_stops_the_form_with_the_instruction(assistant: Assistant) -> None:
    person = new_person()
    assistant.send(person, "check my symptoms")
    text = assistant.text(assistant.send(person, "trouble breathing"))
    assert "call your emergency number now" in text.lower() and "911" in text
    assert asked(assistant, assistant.send(person, "hello")) is None


def test_a_plain_yes_to_the_screen_is_treated_as_an_emergency(assistant: Assistant) -> None:
    person = new_person()
    assistant.send(person, "check my symptoms")
    replies = assistant.send(person, "yes")
    assert assessment(replies)["level"] == "emergency"


def test_dont_know_and_skip_move_on_without_inventing_a_no(assistant: Assistant) -> None:
    person = new_person()
    assistant.send(person, "check my symptoms")
    assistant.send(person, "none of these")
    assert asked(assistant, assistant.send(person, "I don't know")) == "duration"
    assert asked(assistant, assistant.send(person, "skip")) == "frequency"


def test_why_explains_and_asks_again(assistant: Assistant) -> None:
    person = new_person()
    assistant.send(person, "check my symptoms")
    replies = assistant.send(person, "why?")
    assert check_in().question("emergency_screen").why in assistant.text(replies)
    assert asked(assistant, replies) == "emergency_screen"


def test_stop_midway_ends_it_politely_and_the_assistant_carries_on(assistant: Assistant) -> None:
    person = new_person()
    assistant.send(person, "check my symptoms")
    assistant.send(person, "none of these")
    assert "stopped the check-in" in assistant.text(assistant.send(person, "stop"))
    caffeine = knowledge_base().topics["caffeine"]
    assert caffeine.answer in assistant.text(assistant.send(person, "can coffee make my muscles twitch?"))


def test_a_faq_question_mid_form_is_answered_and_the_form_resumes(assistant: Assistant) -> None:
    person = new_person()
    assistant.send(person, "check my symptoms")
    assistant.send(person, "none of these")
    replies = assistant.send(person, "can coffee make my muscles twitch?")
    assert knowledge_base().topics["caffeine"].answer in assistant.text(replies)
    assert asked(assistant, replies) == "location"


def test_an_answer_the_form_cannot_read_is_asked_again_clearly(assistant: Assistant) -> None:
    person = new_person()
    assistant.send(person, "check my symptoms")
    assistant.send(person, "none of these")
    assistant.send(person, "calf")
    replies = assistant.send(person, "for ages")
    assert "didn't catch that" in assistant.text(replies)
    assert asked(assistant, replies) == "duration"


def test_describing_a_twitch_starts_the_check_in(assistant: Assistant) -> None:
    replies = assistant.send(new_person(), "my left calf has been twitching for 3 weeks")
    assert asked(assistant, replies) == "emergency_screen"


def test_a_check_in_opened_with_a_full_description_asks_only_what_is_missing(assistant: Assistant) -> None:
    person = new_person()
    replies = assistant.send(
        person, "my left calf has been twitching every day for 3 weeks, no weakness, I drink 5 coffees a day"
    )
    assert "I understood: left calf, about 3 weeks, every day, no muscle weakness, 5 cups" in assistant.text(
        replies
    )
    questions = [asked(assistant, replies)]
    answers = iter(["none of these", "none", "nope", "6 hours", "stress", "none of these", "none", "none"])
    while assessment(replies) is None:
        replies = assistant.send(person, next(answers))
        questions.append(asked(assistant, replies))
    asked_ids = {q for q in questions if q}
    assert not asked_ids & {"location", "duration", "frequency", "caffeine"}
    assert "emergency_screen" in asked_ids
    result = assessment(replies)
    assert result["level"] == "see_doctor"  # three weeks is a reason to see a doctor
    assert "caffeine" in {c["id"] for c in result["contributors"]}


def test_an_answer_that_says_more_adds_to_the_assessment(assistant: Assistant) -> None:
    person = new_person()
    assistant.send(person, "check my symptoms")
    for answer in ("none of these", "eyelid", "a few days", "now and then"):
        assistant.send(person, answer)
    replies = assistant.send(person, "none, but my vision is blurry")
    for answer in ("none", "2 cups", "8 hours", "none", "none"):
        replies = assistant.send(person, answer)
    result = assessment(replies)
    assert "vision_change" in {flag["id"] for flag in result["red_flags"]}
    assert result["level"] in ("urgent", "emergency")
