"""Emergency escalation: the instruction to call emergency services comes first, before anything else."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import LAST_TOPIC_SLOT, MIN_TOPIC_CONFIDENCE, retrieved_topic, send_answer
from actions.check_in import end_active_check_in
from actions.safety import reading_of
from bot import safety
from bot.conversation_reading import conversation_reading
from bot.emergency import EMERGENCY_LEVEL, emergency_instruction
from bot.extract import MAX_TEXT_CHARS
from bot.knowledge import knowledge_base
from bot.triage import red_flag_rules

EMERGENCY_SIGN_ENTITY = "emergency_sign"


def asked_about_a_topic(latest_message: Dict[str, Any]) -> bool:
    """True when, but for the emergency, the message read as a question to the knowledge base, and it asks
    one ("what is lockjaw?"); "...and now I can't breathe" asks nothing, whatever topic its words are near."""
    ranking = [entry.get("name") for entry in latest_message.get("intent_ranking") or []]
    others = [name for name in ranking if name != EMERGENCY_LEVEL]
    text = str(latest_message.get("text") or "")[:MAX_TEXT_CHARS]
    return bool(others) and others[0] == "faq" and bool(conversation_reading().question_parts(text))


class ActionEmergency(Action):
    """Escalates, and ends a running check-in: the person should be calling for help, not answering."""

    def name(self) -> str:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        signs = list(dict.fromkeys(tracker.get_latest_entity_values(EMERGENCY_SIGN_ENTITY)))
        dispatcher.utter_message(
            text=emergency_instruction(signs),
            json_message={
                "type": "emergency",
                "level": EMERGENCY_LEVEL,
                "level_title": red_flag_rules().levels[EMERGENCY_LEVEL].title,
                "signs": signs,
            },
        )
        if safety.CRISIS in reading_of(tracker.latest_message):
            # An overdose taken to end one's life: the call comes first, then people to talk to.
            dispatcher.utter_message(response="utter_crisis")
        # Someone asking "what is lockjaw?" is escalated too; the question still gets its answer.
        topic_id, confidence = retrieved_topic(tracker.latest_message)
        kb = knowledge_base()
        topic = kb.topic(topic_id) if topic_id else None
        if topic and confidence >= MIN_TOPIC_CONFIDENCE and asked_about_a_topic(tracker.latest_message):
            dispatcher.utter_message(response="utter_emergency_then_the_answer")
            send_answer(dispatcher, kb, topic)
            # "how's that different from a normal twitch?" next is about this answer.
            return [*end_active_check_in(tracker), SlotSet(LAST_TOPIC_SLOT, topic.id)]
        return end_active_check_in(tracker)
