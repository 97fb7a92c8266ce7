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
# Below this, the retrieval's best guess is no better than letter fragments: the closest topics would be
# arbitrary, so the menu is offered instead. A message with no word the classifier knows gives every topic
# 1/45 (0.022, bot/text_classifier.py); unrelated words ("pizza", "thanks lol please") give 0.04-0.09 to
# topics that have nothing to do with them. Half the answering floor keeps the closest topics for every
# held-out question but one (0.066, whose right topic was not among its three closest either).
NO_GROUNDS_BELOW = MIN_TOPIC_CONFIDENCE / 2


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
    ids = [_topic_id(entry.get("intent_response_key")) for entry in _topic_ranking(latest_message)]
    return [kb.topics[topic_id] for topic_id in ids if topic_id in kb.topics][:count]


def _topic_ranking(latest_message: Dict[str, Any]) -> List[Dict[str, Any]]:
    selection = (latest_message.get("response_selector") or {}).get(FAQ_INTENT) or {}
    return list(selection.get("ranking") or [])


def ranking_prefers_some_topics(latest_message: Dict[str, Any]) -> bool:
    """False when the retrieval gives no grounds to prefer any topic: no ranking, every topic as likely as
    the next, or a best guess far below the answering floor (NO_GROUNDS_BELOW)."""
    confidences = [float(entry.get("confidence") or 0.0) for entry in _topic_ranking(latest_message)]
    if not confidences or max(confidences) < NO_GROUNDS_BELOW:
        return False
    all_alike = len(confidences) > 1 and max(confidences) - min(confidences) < 1e-9
    return not all_alike


def suggested_topics(latest_message: Dict[str, Any], kb: KnowledgeBase) -> List[Topic]:
    """What to offer when the assistant is not sure what was meant: the closest topics when the retrieval
    prefers some, else the menu (the questions people ask most), never an arbitrary three."""
    if ranking_prefers_some_topics(latest_message):
        return closest_topics(latest_message, kb, SUGGESTION_COUNT) or kb.menu_topics()
    return kb.menu_topics()


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
            send_suggestions(dispatcher, suggested_topics(tracker.latest_message, kb))
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
        send_suggestions(dispatcher, suggested_topics(tracker.latest_message, knowledge_base()))
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
