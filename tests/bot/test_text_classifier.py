"""FAQ retrieval on its own, without Rasa: trained on the knowledge base, it finds the topic asked about."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.faq_retrieval import FaqRetriever
from bot.knowledge import knowledge_base


@pytest.fixture(scope="module")
def retriever() -> FaqRetriever:
    kb = knowledge_base()
    questions = [e for topic in kb.topics.values() for e in topic.examples]
    topics = [topic.id for topic in kb.topics.values() for _ in topic.examples]
    return FaqRetriever.train(questions, topics)


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
    retriever: FaqRetriever, question: str, topic_id: str
) -> None:
    best = retriever.rank(question)[0]
    assert best.topic_id == topic_id


def test_confidences_are_ranked_and_sum_to_at_most_one(retriever: FaqRetriever) -> None:
    ranking = retriever.rank("does stress cause twitching", top=45)
    confidences = [r.confidence for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)


def test_a_saved_retriever_answers_the_same_after_loading(retriever: FaqRetriever, tmp_path: Path) -> None:
    retriever.save(tmp_path / "model.pkl")
    loaded = FaqRetriever.load(tmp_path / "model.pkl")
    assert loaded.rank("lockjaw after a cut")[0] == retriever.rank("lockjaw after a cut")[0]


def test_training_needs_more_than_one_topic() -> None:
    with pytest.raises(ValueError):
        FaqRetriever.train(["a", "b"], ["x", "x"])
