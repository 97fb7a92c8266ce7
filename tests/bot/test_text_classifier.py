"""The text classifier on its own, without Rasa: FAQ topics from the knowledge base, and intents."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from bot.knowledge import knowledge_base
from bot.text_classifier import TextClassifier, TextFeatures


@pytest.fixture(scope="module")
def retriever() -> TextClassifier:
    kb = knowledge_base()
    questions = [e for topic in kb.topics.values() for e in topic.examples]
    topics = [topic.id for topic in kb.topics.values() for _ in topic.examples]
    return TextClassifier.train(questions, topics, regularisation=0.3)


@pytest.mark.parametrize(
    ("question", "topic_id"),
    [
        ("can coffee make my muscles twitch?", "caffeine"),
        ("why does my eyelid keep jumping?", "eyelid_twitching"),
        ("is this ALS?", "als_worry"),
        ("what has magnesium in it?", "magnesium_foods_forms"),
    ],
)
def test_the_questions_people_ask_most_find_their_topic(
    retriever: TextClassifier, question: str, topic_id: str
) -> None:
    assert retriever.rank(question)[0].label == topic_id


def test_confidences_are_ranked_and_sum_to_one(retriever: TextClassifier) -> None:
    ranking = retriever.rank("does stress cause twitching", top=45)
    confidences = [r.confidence for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)


@pytest.mark.parametrize("message", ["asdfgh qwerty", "😣💪⚡", "我的眼皮一直在跳", "", "   "])
def test_a_message_without_one_known_word_prefers_no_label(retriever: TextClassifier, message: str) -> None:
    ranking = retriever.rank(message, top=45)
    assert all(r.confidence == pytest.approx(1 / len(retriever.labels)) for r in ranking)


def test_a_saved_classifier_answers_the_same_after_loading(retriever: TextClassifier, tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(retriever))
    loaded = pickle.loads((tmp_path / "model.pkl").read_bytes())
    assert loaded.rank("lockjaw after a cut")[0] == retriever.rank("lockjaw after a cut")[0]


def test_two_classifiers_can_share_one_set_of_features() -> None:
    texts = ["hello", "hi there", "is this als", "why does my eyelid twitch"]
    features = TextFeatures.fit(texts)
    intents = TextClassifier.train(texts, ["greet", "greet", "faq", "faq"], 1.0, features)
    topics = TextClassifier.train(texts[2:], ["als", "eyelid"], 0.3, features)
    message = features.of("my eyelid twitches")
    assert intents.rank(message)[0].label == "faq" and topics.rank(message)[0].label == "eyelid"


def test_intents_are_told_apart() -> None:
    texts = ["hello", "hi there", "good morning", "bye", "see you later", "goodbye for now"]
    intents = ["greet"] * 3 + ["goodbye"] * 3
    classifier = TextClassifier.train(texts, intents, regularisation=1.0)
    assert classifier.rank("hi, good morning")[0].label == "greet"
    assert classifier.rank("ok bye, see you")[0].label == "goodbye"


def test_training_needs_more_than_one_label() -> None:
    with pytest.raises(ValueError):
        TextClassifier.train(["a", "b"], ["x", "x"], regularisation=1.0)


@pytest.mark.parametrize(
    "message",
    [
        "is this ALS??",
        "why does my eyelid keep jumping",
        "twitch twitch twitch",
        "asdfgh",
        "",
        "😣💪⚡",
        "x" * 3000,
    ],
)
def test_features_are_what_scikit_learn_computes(retriever: TextClassifier, message: str) -> None:
    ours = retriever.features.of(message).matrix.toarray()
    theirs = retriever.features._union.transform([message]).toarray()
    assert ours == pytest.approx(theirs, abs=1e-12)


@pytest.mark.parametrize(
    "message", ["is this ALS??", "why does my eyelid keep jumping", "what has magnesium in it"]
)
def test_the_ranking_is_what_scikit_learn_decides(retriever: TextClassifier, message: str) -> None:
    scores = retriever._svm.decision_function(retriever.features._union.transform([message]))[0]
    best = retriever._svm.classes_[scores.argmax()]
    assert retriever.rank(message, top=1)[0].label == best
