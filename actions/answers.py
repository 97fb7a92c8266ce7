"""How an answer from the knowledge base is sent: the topic the retrieval chose, how sure it was, and the
answer with the line naming its source and related topics as buttons. Shared by every action that answers."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk.executor import CollectingDispatcher

from actions.buttons import FAQ_INTENT, topic_buttons
from bot.conversation_reading import conversation_reading
from bot.extract import MAX_TEXT_CHARS
from bot.knowledge import KnowledgeBase, Topic, knowledge_base

# Below this retrieval confidence the answer would be a guess: offer the closest topics instead (a wrong
# health answer is worse than a question back). On the held-out questions, 0.15 turned 4 of 126 right
# answers into suggestions and caught 3 of the 9 wrong ones (measured with the model of this commit).
MIN_TOPIC_CONFIDENCE = 0.15
# Where components/text_classifiers.py leaves each question of a message with its topic.
QUESTIONS = "questions"


def topic_id_of(intent_response_key: Optional[str]) -> Optional[str]:
    """`faq/caffeine` -> `caffeine`."""
    if not intent_response_key or "/" not in intent_response_key:
        return None
    return intent_response_key.split("/", 1)[1]


def retrieved_topic(latest_message: Dict[str, Any]) -> tuple[Optional[str], float]:
    """The topic the FAQ retrieval chose for the latest message, and how sure it was."""
    selection = (latest_message.get("response_selector") or {}).get(FAQ_INTENT) or {}
    response = selection.get("response") or {}
    return topic_id_of(response.get("intent_response_key")), float(response.get("confidence") or 0.0)


def send_answer(dispatcher: CollectingDispatcher, kb: KnowledgeBase, topic: Topic) -> None:
    """The answer, the line naming its source, and related topics as buttons."""
    dispatcher.utter_message(
        text=f"{topic.answer}\n\n{kb.citation(topic)}",
        buttons=topic_buttons(kb.related_topics(topic)),
    )


def send_brief_answer(dispatcher: CollectingDispatcher, kb: KnowledgeBase, topic: Topic) -> None:
    """The answer and its source, without the related topics: said on the way to something else."""
    dispatcher.utter_message(text=f"{topic.answer}\n\n{kb.citation(topic)}")


def asked_questions(latest_message: Dict[str, Any]) -> List[Tuple[str, float]]:
    """The topics of the questions one message asks, in order, with the retrieval's confidence in each
    (components/text_classifiers.py); the whole message's topic when it is one question."""
    questions = latest_message.get(QUESTIONS)
    if isinstance(questions, list) and questions:
        return [
            (topic_id_of(str(q.get("topic") or "")) or "", float(q.get("confidence") or 0.0))
            for q in questions
            if isinstance(q, dict)
        ]
    text = str(latest_message.get("text") or "")[:MAX_TEXT_CHARS]
    if not conversation_reading().question_parts(text):
        return []
    topic_id, confidence = retrieved_topic(latest_message)
    return [(topic_id, confidence)] if topic_id else []


def send_topic(dispatcher: CollectingDispatcher, topic_id: str) -> None:
    """The answer of the topic with this id (nothing if there is none)."""
    kb = knowledge_base()
    topic = kb.topic(topic_id)
    if topic is not None:
        send_answer(dispatcher, kb, topic)
