"""NLU component: the findings a message states (bot/extract.py), added to every parsed message.

They appear in the parse result as `findings` (and `finding_sides`), where the check-in reads them: a
description that opens the check-in fills what it can, and an answer that says more ("yes, and my
vision is blurry") adds to what is known.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.extract import extractor

FINDINGS = "findings"
SIDES = "finding_sides"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class FindingsExtractor(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FindingsExtractor:
        extractor()  # build the spaCy pipeline once, at load time, not on the first message
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            extraction = extractor().extract(message.get(TEXT) or "")
            message.set(FINDINGS, dict(extraction.findings), add_to_output=True)
            message.set(SIDES, dict(extraction.sides), add_to_output=True)
        return messages
