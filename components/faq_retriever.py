"""NLU component: FAQ retrieval with bot.text_classifier, in place of Rasa's ResponseSelector.

It trains on the `faq/<topic>` examples and writes its result where the ResponseSelector would
(`response_selector.faq`), so the actions and `rasa test nlu` read it the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import INTENT_RESPONSE_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.text_classifier import TextClassifier

MODEL_FILE = "faq_retriever.pkl"
RANKING_LENGTH = 10


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class FaqRetrieval(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # regularisation: the SVM's C; 0.3 scored best on held-out questions with ~30 examples per topic.
        return {"retrieval_intent": "faq", "regularisation": 0.3}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        retriever: Optional[TextClassifier] = None,
    ) -> None:
        self._intent = config["retrieval_intent"]
        self._regularisation = float(config["regularisation"])
        self._model_storage = model_storage
        self._resource = resource
        self._retriever = retriever

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FaqRetrieval:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> FaqRetrieval:
        try:
            with model_storage.read_from(resource) as directory:
                retriever = TextClassifier.load(Path(directory) / MODEL_FILE)
        except ValueError:  # nothing was trained (no FAQ examples)
            retriever = None
        return cls(config, model_storage, resource, retriever)

    def train(self, training_data: TrainingData) -> Resource:
        prefix = f"{self._intent}/"
        examples = [
            (example.get(TEXT), example.get(INTENT_RESPONSE_KEY))
            for example in training_data.intent_examples
            if (example.get(INTENT_RESPONSE_KEY) or "").startswith(prefix)
        ]
        if examples:
            questions, keys = zip(*examples, strict=False)
            self._retriever = TextClassifier.train(questions, keys, self._regularisation)
            with self._model_storage.write_to(self._resource) as directory:
                self._retriever.save(Path(directory) / MODEL_FILE)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        if self._retriever is None:
            return messages
        for message in messages:
            ranking = self._retriever.rank(message.get(TEXT) or "", top=RANKING_LENGTH)
            best = ranking[0]
            selection = message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}
            selection[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = [self._intent]
            selection[self._intent] = {
                RESPONSE_SELECTOR_PREDICTION_KEY: {
                    RESPONSE_SELECTOR_RESPONSES_KEY: [],
                    PREDICTED_CONFIDENCE_KEY: best.confidence,
                    INTENT_RESPONSE_KEY: best.label,
                    RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{best.label}",
                },
                RESPONSE_SELECTOR_RANKING_KEY: [
                    {PREDICTED_CONFIDENCE_KEY: ranked.confidence, INTENT_RESPONSE_KEY: ranked.label}
                    for ranked in ranking
                ],
            }
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selection, add_to_output=True)
        return messages
