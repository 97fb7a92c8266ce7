"""The text classifier on its own, without Rasa: FAQ topics from the knowledge base, and intents."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.svm import LinearSVC

from bot.knowledge import knowledge_base
from bot.text_classifier import (
    LABELS_FILE,
    RANDOM_SEED,
    WEIGHTS_FILE,
    ModelDataError,
    TextClassifier,
    TextFeatures,
    rank_in_context,
    read_classifiers,
    write_classifiers,
)


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
    write_classifiers(tmp_path, {"topics": retriever, "none": None})
    loaded = read_classifiers(tmp_path)
    assert loaded["none"] is None
    for message in ("lockjaw after a cut", "is this ALS?", "asdfgh"):
        assert loaded["topics"].rank(message, top=45) == retriever.rank(message, top=45)  # type: ignore[union-attr]


def test_two_classifiers_saved_together_still_share_their_features(tmp_path: Path) -> None:
    texts = ["hello", "hi there", "is this als", "why does my eyelid twitch"]
    features = TextFeatures.fit(texts)
    intents = TextClassifier.train(texts, ["greet", "greet", "faq", "faq"], 1.0, features)
    topics = TextClassifier.train(texts[2:], ["als", "eyelid"], 0.3, features)
    write_classifiers(tmp_path, {"intents": intents, "topics": topics})
    loaded = read_classifiers(tmp_path)
    assert loaded["intents"].features is loaded["topics"].features  # type: ignore[union-attr]
    assert loaded["topics"].rank("my eyelid twitches")[0].label == "eyelid"  # type: ignore[union-attr]


class RunsCode:
    def __reduce__(self) -> tuple:
        return (Path.touch, (Path("/tmp/twitchcheck-pickle-ran"),))


def test_a_model_file_that_would_run_code_is_refused_and_runs_nothing(
    retriever: TextClassifier, tmp_path: Path
) -> None:
    write_classifiers(tmp_path, {"topics": retriever})
    marker = Path("/tmp/twitchcheck-pickle-ran")
    marker.unlink(missing_ok=True)
    with np.load(tmp_path / WEIGHTS_FILE) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["topics_coef"] = np.array([RunsCode()], dtype=object)  # an object array is stored as a pickle
    np.savez(tmp_path / WEIGHTS_FILE, **arrays)
    with pytest.raises(ModelDataError):
        read_classifiers(tmp_path)
    assert not marker.exists()
    (tmp_path / WEIGHTS_FILE).write_bytes(pickle.dumps(RunsCode()))  # a bare pickle in place of the arrays
    with pytest.raises(ModelDataError):
        read_classifiers(tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "spoil",
    [
        lambda meta, arrays: meta.update(format="something else"),
        lambda meta, arrays: meta["classifiers"]["topics"].update(labels=["only one"]),
        lambda meta, arrays: arrays.update(topics_coef=arrays["topics_coef"][:, :-1]),
        lambda meta, arrays: arrays.update(idf_0=-arrays["idf_0"]),
        lambda meta, arrays: arrays.pop("topics_intercept"),
        lambda meta, arrays: meta["features"]["terms"][0].append(meta["features"]["terms"][0][0]),
    ],
    ids=["format", "labels", "shape", "idf", "missing", "repeated-term"],
)
def test_a_stored_classifier_that_does_not_fit_is_refused(
    retriever: TextClassifier, tmp_path: Path, spoil
) -> None:
    write_classifiers(tmp_path, {"topics": retriever})
    meta = json.loads((tmp_path / LABELS_FILE).read_text())
    with np.load(tmp_path / WEIGHTS_FILE) as stored:
        arrays = {name: stored[name] for name in stored.files}
    spoil(meta, arrays)
    (tmp_path / LABELS_FILE).write_text(json.dumps(meta))
    np.savez(tmp_path / WEIGHTS_FILE, **arrays)
    with pytest.raises(ModelDataError):
        read_classifiers(tmp_path)


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
def test_the_ranking_is_what_scikit_learn_decides(message: str) -> None:
    kb = knowledge_base()
    questions = [e for topic in kb.topics.values() for e in topic.examples]
    topics = [topic.id for topic in kb.topics.values() for _ in topic.examples]
    features = TextFeatures.fit(questions)
    svm = LinearSVC(C=0.3, random_state=RANDOM_SEED).fit(features.of_all(questions), topics)
    ours = TextClassifier.train(questions, topics, 0.3, features)
    scores = svm.decision_function(features.of_all([message]))[0]
    assert ours.decision_scores(features.of(message)) == pytest.approx(scores, abs=1e-9)
    assert ours.rank(message, top=1)[0].label == svm.classes_[scores.argmax()]


def test_label_scores_rank_as_rank_does_and_say_nothing_without_a_known_word(
    retriever: TextClassifier,
) -> None:
    scores = retriever.label_scores("can coffee make my muscles twitch?")
    assert set(scores) == set(retriever.labels)
    assert max(scores, key=scores.get) == retriever.rank("can coffee make my muscles twitch?")[0].label
    assert retriever.label_scores("zzqx vvkj") == {}


def test_a_follow_up_is_ranked_with_the_message_before_it() -> None:
    """"and the sleep ones?" on its own is about sleep; after a question about the kinds of myoclonus, the
    two together are about the jerks of falling asleep."""
    now = {"sleep": 1.0, "hypnic_jerks": 0.8, "myoclonus_types": -0.5}
    before = {"sleep": -0.6, "hypnic_jerks": 0.1, "myoclonus_types": 1.0}
    assert rank_in_context(now, {}, 0.5)[0].label == "sleep"
    ranked = rank_in_context(now, before, 0.5)
    assert ranked[0].label == "hypnic_jerks"
    assert sum(r.confidence for r in ranked) == pytest.approx(1.0)
    assert rank_in_context({}, {}, 0.5) == []
