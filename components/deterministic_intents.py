"""NLU component: a message that describes an emergency gets the `emergency` intent, whatever else;
a message that is a command ("stop", bot/commands.py) gets that command's intent.

It runs after the classifiers, so a deterministic rule, not a probability, decides that "I can't
breathe" is escalated. The classifier's own guess stays in the ranking so the emergency action can
still answer a question the person may have meant.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.commands import command_in
from bot.emergency import screen_message
from components.stateless import StatelessComponent

EMERGENCY_INTENT = "emergency"
EMERGENCY_SIGN_ENTITY = "emergency_sign"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class DeterministicIntents(StatelessComponent):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            signs = screen_message(text)
            if not signs:
                command = command_in(text)
                if command:
                    _override_intent(message, command)
                continue
            emergency = {"name": EMERGENCY_INTENT, "confidence": 1.0}
            previous_ranking = [
                entry
                for entry in message.get(INTENT_RANKING_KEY) or []
                if entry.get("name") != EMERGENCY_INTENT
            ]
            message.set(INTENT, emergency, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [emergency, *previous_ranking], add_to_output=True)
            entities = list(message.get(ENTITIES) or [])
            for sign in signs:
                start = text.lower().find(sign.matched_text)
                entities.append(
                    {
                        "entity": EMERGENCY_SIGN_ENTITY,
                        "value": sign.id,
                        "start": max(start, 0),
                        "end": max(start, 0) + len(sign.matched_text),
                        "confidence_entity": 1.0,
                        "extractor": self.__class__.__name__,
                    }
                )
            message.set(ENTITIES, entities, add_to_output=True)
        return messages


def _override_intent(message: Message, intent: str) -> None:
    """Sets `intent` with full confidence, keeping the classifier's ranking behind it."""
    chosen = {"name": intent, "confidence": 1.0}
    ranking = [entry for entry in message.get(INTENT_RANKING_KEY) or [] if entry.get("name") != intent]
    message.set(INTENT, chosen, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
