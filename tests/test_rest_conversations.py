"""Conversations over the REST channel with the real Rasa server and action server, as a person has them."""

from __future__ import annotations

import json
import uuid

import pytest

from bot.knowledge import knowledge_base
from tests.conftest import Assistant

pytestmark = pytest.mark.server
KB = knowledge_base()
EMERGENCY_NUMBERS = ("911", "999", "112", "000")


def new_person() -> str:
    return f"person-{uuid.uuid4().hex[:8]}"


def test_coffee_question_gets_the_caffeine_answer_with_source_and_related_buttons(
    assistant: Assistant,
) -> None:
    replies = assistant.send(new_person(), "can coffee make my muscles twitch?")
    caffeine = KB.topics["caffeine"]
    text = assistant.text(replies)
    assert caffeine.answer in text
    assert "Source: " in text and all(source.title in text for source in caffeine.sources)
    assert [b["title"] for b in assistant.buttons(replies)] == [t.title for t in KB.related_topics(caffeine)]


def test_a_related_topic_button_leads_to_that_answer(assistant: Assistant) -> None:
    person = new_person()
    button = assistant.buttons(assistant.send(person, "is this ALS?"))[0]
    topic_id = json.loads(button["payload"].removeprefix("/faq"))["topic"]
    assert KB.topics[topic_id].answer in assistant.text(assistant.send(person, button["payload"]))


@pytest.mark.parametrize(
    ("question", "topic_id"),
    [
        ("why does my eyelid keep jumping?", "eyelid_twitching"),
        ("is this ALS?", "als_worry"),
        ("what has magnesium in it?", "magnesium_foods_forms"),
        ("what are hypnic jerks", "hypnic_jerks"),
    ],
)
def test_questions_in_peoples_own_words_are_answered(
    assistant: Assistant, question: str, topic_id: str
) -> None:
    assert KB.topics[topic_id].answer in assistant.text(assistant.send(new_person(), question))


def test_greeting_says_what_it_is_and_that_it_does_not_diagnose(assistant: Assistant) -> None:
    replies = assistant.send(new_person(), "hello")
    text = assistant.text(replies).lower()
    assert "twitchcheck" in text and "not a diagnosis" in text
    assert [b["title"] for b in assistant.buttons(replies)] == ["Ask a question", "Check my symptoms"]


def test_ask_a_question_button_shows_topics(assistant: Assistant) -> None:
    replies = assistant.send(new_person(), "/ask_question")
    assert [b["title"] for b in assistant.buttons(replies)] == [t.title for t in KB.menu_topics()]


@pytest.mark.parametrize(
    "message",
    [
        "I can't breathe",
        "my face is drooping on one side",
        "he's having a seizure",
        "stood on a nail and now my jaw is locked",
    ],
)
def test_emergencies_get_the_call_now_instruction(assistant: Assistant, message: str) -> None:
    text = assistant.text(assistant.send(new_person(), message))
    assert "call your emergency number now" in text.lower()
    assert all(number in text for number in EMERGENCY_NUMBERS)


def test_an_emergency_mid_conversation_is_escalated_at_once(assistant: Assistant) -> None:
    person = new_person()
    assistant.send(person, "hi")
    assistant.send(person, "does stress cause twitching?")
    first = assistant.send(person, "and now I'm struggling to breathe")[0]
    assert first["text"].startswith("You mentioned trouble breathing.")
    assert "911" in first["text"]


def test_out_of_scope_is_declined_politely_with_options(assistant: Assistant) -> None:
    replies = assistant.send(new_person(), "what's the weather tomorrow?")
    assert "outside what I can help with" in assistant.text(replies)
    assert assistant.buttons(replies)


@pytest.mark.parametrize("message", ["my knee hurts when i run", "my back aches"])
def test_a_health_question_beyond_twitching_says_who_can_help(assistant: Assistant, message: str) -> None:
    said = assistant.text(assistant.send(new_person(), message))
    assert "outside what I cover" in said and "pharmacist" in said and "NHS 111" in said
    assert "not sure I understood" not in said


def test_nonsense_gets_options_not_a_dead_end(assistant: Assistant) -> None:
    replies = assistant.send(new_person(), "blarg fnord zzzt")
    assert assistant.text(replies) and assistant.buttons(replies)


def test_bot_question_is_answered_truthfully(assistant: Assistant) -> None:
    assert "not a person" in assistant.text(assistant.send(new_person(), "am i talking to a bot?"))


def test_what_people_write_never_reaches_the_logs(assistant: Assistant) -> None:
    """Health data stays out of logs at INFO level: neither Rasa nor the action server writes message text
    (a sender id may appear in a warning; it identifies a conversation, not what was said)."""
    private = "my left calf has twitched for 3 weeks and I take sertraline"
    person = new_person()
    assistant.send(person, private)
    assistant.send(person, "none of these")
    logs = "".join(path.read_text(errors="replace") for path in assistant.workdir.glob("*.log"))
    assert logs, "the stack wrote no logs to check"
    for secret in ("sertraline", "left calf", "none of these"):
        assert secret not in logs
    # Every conversation of this test session so far went through these logs: none may have looped.
    assert "Circuit breaker tripped" not in logs


def test_a_description_that_reads_like_an_answer_starts_the_check_in_once(assistant: Assistant) -> None:
    replies = assistant.send(new_person(), "my left calf has twitched for 3 weeks and I take sertraline")
    text = assistant.text(replies)
    assert "I understood: left calf, about 3 weeks, taking antidepressant" in text
    assert len(replies) <= 3, "one reply per step, never a repeated fallback"
