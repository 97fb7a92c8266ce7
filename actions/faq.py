"""FAQ answers: the knowledge-base topic the person asked about, its source, and where to go next."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.buttons import FAQ_INTENT, TOPIC_ENTITY, topic_buttons
from bot.knowledge import KnowledgeBase, Topic, knowledge_base

# Below this retrieval confidence the answer would be a guess: offer the closest topics instead (a wrong
# health answer is worse than a question back). On the held-out questions, 0.15 turned 4 of 126 right
# answers into suggestions and caught 3 of the 9 wrong ones (measured with the model of this commit).
MIN_TOPIC_CONFIDENCE = 0.15
SUGGESTION_COUNT = 3


def _topic_id(intent_response_key: Optional[str]) -> Optional[str]:
    """`faq/caffeine` -> `caffeine`."""
    if not intent_response_key or "/" not in intent_response_key:
        return None
    return intent_response_key.split("/", 1)[1]


def retrieved_topic(latest_message: Dict[str, Any]) -> tuple[Optional[str], float]:
    """The topic the FAQ retrieval chose for the latest message, and how sure it was."""
    selection = (latest_message.get("response_selector") or {}).get(FAQ_INTENT) or {}
    response = selection.get("response") or {}
    return _topic_id(response.get("intent_response_key")), float(response.get("confidence") or 0.0)


def closest_topics(latest_message: Dict[str, Any], kb: KnowledgeBase, count: int) -> List[Topic]:
    """The retrieval's best guesses, most likely first, as topics that exist."""
    selection = (latest_message.get("response_selector") or {}).get(FAQ_INTENT) or {}
    ids = [_topic_id(entry.get("intent_response_key")) for entry in selection.get("ranking") or []]
    return [kb.topics[topic_id] for topic_id in ids if topic_id in kb.topics][:count]


def send_answer(dispatcher: CollectingDispatcher, kb: KnowledgeBase, topic: Topic) -> None:
    """The answer, the line naming its source, and related topics as buttons."""
    dispatcher.utter_message(
        text=f"{topic.answer}\n\n{kb.citation(topic)}",
        buttons=topic_buttons(kb.related_topics(topic)),
    )


def send_suggestions(dispatcher: CollectingDispatcher, suggestions: List[Topic]) -> None:
    if suggestions:
        dispatcher.utter_message(
            text="I'm not sure I understood. Did you mean one of these? You can also rephrase your question.",
            buttons=topic_buttons(suggestions),
        )
    else:
        dispatcher.utter_message(response="utter_help")


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        kb = knowledge_base()
        requested = next(tracker.get_latest_entity_values(TOPIC_ENTITY), None)
        if requested is not None:
            topic = kb.topic(str(requested))
            if topic is None:
                send_suggestions(dispatcher, kb.menu_topics())
            else:
                send_answer(dispatcher, kb, topic)
            return []
        topic_id, confidence = retrieved_topic(tracker.latest_message)
        topic = kb.topic(topic_id) if topic_id else None
        if topic is None or confidence < MIN_TOPIC_CONFIDENCE:
            send_suggestions(dispatcher, closest_topics(tracker.latest_message, kb, SUGGESTION_COUNT))
        else:
            send_answer(dispatcher, kb, topic)
        return []


class ActionListTopics(Action):
    def name(self) -> str:
        return "action_list_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        dispatcher.utter_message(
            text="Ask me in your own words, or pick one of the questions people ask most:",
            buttons=topic_buttons(knowledge_base().menu_topics()),
        )
        return []


class ActionSuggestTopics(Action):
    """The fallback: no dead end, but the closest topics as buttons and what the assistant can do."""

    def name(self) -> str:
        return "action_suggest_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        kb = knowledge_base()
        send_suggestions(
            dispatcher, closest_topics(tracker.latest_message, kb, SUGGESTION_COUNT) or kb.menu_topics()
        )
        return []


class ActionCoreFallback(ActionSuggestTopics):
    """When no rule fits the conversation: offer topics once, then forget the turn, as Rasa's own
    fallback does. Without the revert the policy predicts this action again and again."""

    def name(self) -> str:
        return "action_core_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        await super().run(dispatcher, tracker, domain)
        return [UserUtteranceReverted()]
