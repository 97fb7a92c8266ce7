"""The NLU component that decides what must be met first: its intents, and the safety reading it leaves in
the parse for the actions."""

from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.deterministic_intents import DeterministicIntents


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
