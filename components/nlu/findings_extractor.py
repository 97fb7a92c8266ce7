"""NLU component: the findings a message states (bot/extract.py), added to every parsed message.

They appear in the parse result as `findings` (and `finding_sides`), where the check-in reads them: a
description that opens the check-in fills what it can, and an answer that says more ("yes, and my
vision is blurry") adds to what is known.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.extract import extractor
from components.nlu.stateless import StatelessComponent

# Where in the parse result the findings go (the actions read them there).
FINDINGS_KEY = "findings"
FINDING_SIDES_KEY = "finding_sides"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class FindingsExtractor(StatelessComponent):
    def __init__(self) -> None:
        extractor()  # build the spaCy pipeline once, at load time, not on the first message

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            extraction = extractor().extract(message.get(TEXT) or "")
            message.set(FINDINGS_KEY, dict(extraction.findings), add_to_output=True)
            message.set(FINDING_SIDES_KEY, dict(extraction.sides), add_to_output=True)
        return messages
