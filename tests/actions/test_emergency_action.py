"""The emergency action: numbers to call first, the reason, and the question still answered."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.emergency import ActionEmergency
from bot.knowledge import knowledge_base
from bot.triage import red_flag_rules

NUMBERS = ("911", "999", "112", "000")


def emergency_tracker(text: str, signs: list[str], second_intent: str, topic: str | None = None) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": "emergency", "confidence": 1.0},
        "intent_ranking": [
            {"name": "emergency", "confidence": 1.0},
            {"name": second_intent, "confidence": 0.8},
        ],
        "entities": [{"entity": "emergency_sign", "value": sign} for sign in signs],
        "response_selector": {
            "faq": {
                "response": {"intent_response_key": f"faq/{topic}", "confidence": 0.9} if topic else {},
                "ranking": [],
            }
        },
    }
    return Tracker("someone", {}, latest, [], False, None, {}, "action_listen")


def run(tracker: Tracker) -> list[dict]:
    return run_with_events(tracker)[0]


def run_with_events(tracker: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionEmergency().run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def test_emergency_names_the_numbers_and_the_reason_first() -> None:
    first, *rest = run(emergency_tracker("I can't breathe", ["breathing_difficulty"], "out_of_scope"))
    assert first["text"].startswith("You mentioned trouble breathing.")
    assert all(number in first["text"] for number in NUMBERS)
    assert first["custom"] == {
        "type": "emergency",
        "level": "emergency",
        "level_title": red_flag_rules().levels["emergency"].title,
        "signs": ["breathing_difficulty"],
    }
    assert rest == []


def test_a_general_question_is_escalated_and_still_answered() -> None:
    messages = run(emergency_tracker("what is lockjaw?", ["tetanus_signs"], "faq", topic="tetanus"))
    assert "call" in messages[0]["text"].lower() and "911" in messages[0]["text"]
    assert messages[-1]["text"].startswith(knowledge_base().topics["tetanus"].answer)
    # The answer is remembered: "how's that different from a normal twitch?" next is about tetanus.
    asked = emergency_tracker("what is lockjaw?", ["tetanus_signs"], "faq", topic="tetanus")
    _, events = run_with_events(asked)
    assert {"event": "slot", "name": "last_topic", "value": "tetanus"} in [
        {key: event.get(key) for key in ("event", "name", "value")} for event in events
    ]


def test_classifier_only_emergency_still_gets_the_instruction() -> None:
    [message] = run(emergency_tracker("someone collapsed", [], "greet"))
    assert "911" in message["text"]


def test_an_emergency_that_asks_nothing_gets_no_answer_after_it() -> None:
    """"...and now I can't breathe" is no question, whatever topic its words are near: the call alone."""
    told = emergency_tracker("my calf twitched and now I can't breathe", ["breathing_difficulty"], "faq",
                             topic="lyme_other_infections")
    [message] = run(told)
    assert message["text"].startswith("You mentioned trouble breathing.")
