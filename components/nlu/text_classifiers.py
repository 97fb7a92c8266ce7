"""NLU component: the intent of a message and, for a question, its FAQ topic, with bot.text_classifier.

One set of TF-IDF features per message feeds two linear SVMs, one for the intent and one for the FAQ topic.
They replace Rasa's DIET classifier with its featurizers and Rasa's ResponseSelector: more accurate on the
held-out questions, trained in seconds, and without TensorFlow per message (DIET took a third of Rasa's time
per message under `make bench`). Results go where DIET and the ResponseSelector put theirs (`intent`,
`intent_ranking`, `response_selector.faq`), so the FallbackClassifier, the deterministic intents after it,
the actions and `rasa test nlu` read them the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.conversation_reading import conversation_reading, passage_naming
from bot.extract import MAX_TEXT_CHARS
from bot.knowledge import knowledge_base
from bot.text_classifier import (
    LABELS_FILE,
    ModelDataError,
    RankedLabel,
    TextClassifier,
    TextFeatures,
    rank_in_context,
    read_classifiers,
    write_classifiers,
)

RANKING_LENGTH = 10
# The questions of one message (bot/conversation_reading.py), each with its best topic; at most this many
# are answered, so no more are ranked.
QUESTIONS = "questions"
MAX_QUESTIONS = 2
# Every topic's decision score for the message, kept in the conversation so that the next message, when it
# is a short follow-up, can be read together with this one (actions/answers.py).
TOPIC_SCORES = "topic_scores"
# For a message naming one kind of thing an answer spoke of ("and the sleep one?"): for each topic whose
# answer names it, the topic that answers about that kind ("Sleep myoclonus happens as you drift off...",
# in the answer about the kinds of myoclonus: the one about hypnic jerks). The action picks the entry of
# the topic just answered (actions/answers.py).
KINDS_NAMED = "kinds_named"
# How sure the retrieval is of the topic defining a term a message asks the meaning of.
DEFINED_CONFIDENCE = 1.0
# How sure the retrieval must be of the word a question sets aside ("besides ALS") to leave its topic out.
SET_ASIDE_CONFIDENCE = 0.5


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class IntentAndTopicClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # The SVMs' C, each best on the held-out questions: 1.0 for intents, 0.3 for ~30 questions a topic.
        return {"intent_regularisation": 1.0, "retrieval_intent": "faq", "topic_regularisation": 0.3}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        intents: Optional[TextClassifier] = None,
        topics: Optional[TextClassifier] = None,
    ) -> None:
        self._config = config
        self._retrieval_intent = config["retrieval_intent"]
        self._model_storage = model_storage
        self._resource = resource
        self._intents = intents
        self._topics = topics

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> IntentAndTopicClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> IntentAndTopicClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                stored = Path(directory)
                # Plain arrays and JSON, checked: a model archive from anyone can hold no code that runs.
                trained = read_classifiers(stored) if (stored / LABELS_FILE).exists() else None
        except ModelDataError:
            raise  # refuse to start on a model this code did not write
        except ValueError:  # Rasa's "no such resource": nothing was trained (fewer than two intents)
            trained = None
        if trained is None:
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, trained["intents"], trained["topics"])

    def train(self, training_data: TrainingData) -> Resource:
        examples = [
            (m.get(TEXT), m.get(INTENT), m.get(INTENT_RESPONSE_KEY)) for m in training_data.intent_examples
        ]
        if len({intent for _, intent, _ in examples}) < 2:
            return self._resource
        texts, intents, _ = zip(*examples, strict=True)
        features = TextFeatures.fit(texts)
        self._intents = TextClassifier.train(texts, intents, self._config["intent_regularisation"], features)
        prefix = f"{self._retrieval_intent}/"
        questions = [(text, key) for text, _, key in examples if (key or "").startswith(prefix)]
        if len({key for _, key in questions}) >= 2:
            texts, keys = zip(*questions, strict=True)
            self._topics = TextClassifier.train(texts, keys, self._config["topic_regularisation"], features)
        with self._model_storage.write_to(self._resource) as directory:
            # Written together, so that both classifiers share one set of features after loading.
            write_classifiers(Path(directory), {"intents": self._intents, "topics": self._topics})
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        if self._intents is None:
            return messages
        for message in messages:
            features = self._intents.features.of(message.get(TEXT) or "")
            ranking = [
                {INTENT_NAME_KEY: ranked.label, PREDICTED_CONFIDENCE_KEY: ranked.confidence}
                for ranked in self._intents.rank(features, top=RANKING_LENGTH)
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            if self._topics is not None:
                # "what about magnesium specifically?": the topic is found by the subject alone.
                subject = conversation_reading().subject_text((message.get(TEXT) or "")[:MAX_TEXT_CHARS])
                topic_features = self._intents.features.of(subject) if subject else features
                text = (message.get(TEXT) or "")[:MAX_TEXT_CHARS]
                ranking = self._topics.rank(topic_features, top=RANKING_LENGTH)
                scores = self._topics.label_scores(topic_features)
                set_aside = self._set_aside(text)
                if scores and set_aside & set(scores) and not set(scores) <= set_aside:
                    # "what other diseases besides ALS cause twitching?": not the topic about ALS. Its score
                    # goes below every other (kept: read with the next message, a missing one counts 0).
                    lowest = min(scores.values()) - 1.0
                    scores = {label: lowest if label in set_aside else s for label, s in scores.items()}
                    ranking = rank_in_context(scores, {}, 0.0)[:RANKING_LENGTH]
                defined = self._defined_label(text)
                self._set_topic(message, _defined_first(defined, ranking))
                if scores and defined in scores:
                    # Read with the next message, the term asked about counts as much as the best match.
                    scores[defined] = max(scores.values())
                message.set(TOPIC_SCORES, scores, add_to_output=True)
                self._set_questions(message)
                self._set_kinds_named(message)
        return messages

    def _set_aside(self, text: str) -> set[str]:
        """The topics of the subject a question sets aside ("besides ALS", "other than magnesium"): those
        whose id has its word, and the one its word alone is placed in with at least SET_ASIDE_CONFIDENCE."""
        subject = conversation_reading().excluded_subject(text)
        if not subject:
            return set()
        prefix = f"{self._retrieval_intent}/"
        named = {
            f"{prefix}{topic_id}" for topic_id in knowledge_base().topics if subject in topic_id.split("_")
        }
        best = self._topics.rank(self._intents.features.of(subject), top=1)
        if best and best[0].confidence >= SET_ASIDE_CONFIDENCE:
            named.add(best[0].label)
        return named

    def _defined_label(self, text: str) -> Optional[str]:
        defined = conversation_reading().defined_topic(text)
        return f"{self._retrieval_intent}/{defined}" if defined else None

    def _set_kinds_named(self, message: Message) -> None:
        """`kinds_named` (see KINDS_NAMED): the passage of each answer naming the kind, read with the kind's
        own words; the topic of that answer itself is left out, as it was just answered."""
        reading = conversation_reading()
        kind = reading.kind_words((message.get(TEXT) or "")[:MAX_TEXT_CHARS])
        if not kind:
            return
        own = self._topics.label_scores(self._intents.features.of(" ".join(kind)))
        named = {}
        for topic in knowledge_base().topics.values():
            passage = passage_naming(topic.answer, kind)
            if passage is None:
                continue
            scores = self._topics.label_scores(self._intents.features.of(passage))
            label = f"{self._retrieval_intent}/{topic.id}"
            ranked = rank_in_context(scores, own, reading.kind_words_weight, ())
            best = next((entry for entry in ranked if entry.label != label), None)
            if best is not None:
                named[topic.id] = {"topic": best.label, PREDICTED_CONFIDENCE_KEY: best.confidence}
        if named:
            message.set(KINDS_NAMED, named, add_to_output=True)

    def _set_questions(self, message: Message) -> None:
        """Each question a message asks and its best topic, when the message is more than one question
        (a story ending in a question, two questions at once): `questions`, read by the actions."""
        text = message.get(TEXT) or ""
        parts = conversation_reading().question_parts(text[:MAX_TEXT_CHARS])
        if not parts or (len(parts) == 1 and parts[0].strip() == text.strip()):
            return
        questions = []
        for part in parts[:MAX_QUESTIONS]:
            ranked = self._topics.rank(self._intents.features.of(part), top=1)
            best = _defined_first(self._defined_label(part), ranked)[0]
            questions.append({TEXT: part, "topic": best.label, PREDICTED_CONFIDENCE_KEY: best.confidence})
        message.set(QUESTIONS, questions, add_to_output=True)

    def _set_topic(self, message: Message, ranking: List[RankedLabel]) -> None:
        """The FAQ topic, where Rasa's ResponseSelector would put it."""
        best = ranking[0]
        selection = message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}
        selection[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = [self._retrieval_intent]
        selection[self._retrieval_intent] = {
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


def _defined_first(label: Optional[str], ranking: List[RankedLabel]) -> List[RankedLabel]:
    """The ranking, with `label`, the topic defining the one term a message asks the meaning of ("what does
    the word myoclonus mean?": myoclonus, not the kinds of it), first and certain; as it was without one."""
    if label is None:
        return ranking
    rest = [ranked for ranked in ranking if ranked.label != label]
    return [RankedLabel(label, DEFINED_CONFIDENCE), *rest]

