"""FAQ answers: the knowledge-base topic the person asked about, its source, and where to go next."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import (
    FOLLOW_UP,
    LAST_TOPIC_SLOT,
    MIN_TOPIC_CONFIDENCE,
    answer_topic,
    answered_just_before,
    asked_questions,
    carried_over,
    follow_up_topic,
    last_topic_answered,
    retrieved_topic_in_context,
    send_answer,
    send_brief_answer,
    topic_id_of,
    topic_ranking,
    unclear_follow_up_topic,
)
from actions.buttons import TOPIC_ENTITY, topic_buttons
from actions.safety import answer_concerns, out_of_scope_reply_just_before, reading_of
from bot import safety
from bot.conversation_reading import conversation_reading
from bot.extract import MAX_TEXT_CHARS
from bot.knowledge import KnowledgeBase, Topic, knowledge_base

SUGGESTION_COUNT = 3
# Intents that the NLU replaces for a short question naming a subject the retrieval places (components/nlu/
# deterministic_intents.py): after an answer it asks about that subject; with none before it, they stand.
ASKS_ABOUT_A_SUBJECT = frozenset({"help", "ask_question", "acknowledge", "greet", "thank", "nlu_fallback"})
# A yes or a no stands, unless the message opens with the subject it asks about ("yoga ok?"): "yes, is
# it private?" answers a question first.
ASKS_ABOUT_A_SUBJECT_FIRST = frozenset({"affirm", "deny"})
# "will it stop if i quit?", which the classifier took for the request to stop (components/nlu/
# deterministic_intents.py): after an answer, asked of it.
ASKS_ABOUT_STOPPING = frozenset({"stop"})
# What the NLU replaced for a question that, after an answer, is asked of that answer.
ASKED_OF_THE_ANSWER = ASKS_ABOUT_A_SUBJECT | ASKS_ABOUT_A_SUBJECT_FIRST | ASKS_ABOUT_STOPPING
RULES = Path(__file__).resolve().parent.parent / "data" / "rules"
# Set by the NLU (components/nlu/deterministic_intents.py) where a follow-up replaced the classifier's intent.
CLASSIFIED_AS = "classified_as"
OWN_STORY = "own_story"
START_CHECK_IN = "action_start_check_in"
# Below this, the retrieval's best guess is no better than letter fragments: the closest topics would be
# arbitrary, so the menu is offered instead. A message with no word the classifier knows gives every topic
# 1/45 (0.022, bot/text_classifier.py); unrelated words ("pizza", "thanks lol please") give 0.04-0.09 to
# topics that have nothing to do with them. Half the answering floor keeps the closest topics for every
# held-out question but one (0.066, whose right topic was not among its three closest either).
NO_GROUNDS_BELOW = MIN_TOPIC_CONFIDENCE / 2


def closest_topics(latest_message: Dict[str, Any], kb: KnowledgeBase, count: int) -> List[Topic]:
    """The retrieval's best guesses, most likely first, as topics that exist."""
    ids = [topic_id_of(entry.get("intent_response_key")) for entry in topic_ranking(latest_message)]
    return [kb.topics[topic_id] for topic_id in ids if topic_id in kb.topics][:count]


def ranking_prefers_some_topics(latest_message: Dict[str, Any]) -> bool:
    """False when the retrieval gives no grounds to prefer any topic: no ranking, every topic as likely as
    the next, or a best guess far below the answering floor (NO_GROUNDS_BELOW)."""
    confidences = [float(entry.get("confidence") or 0.0) for entry in topic_ranking(latest_message)]
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


def send_suggestions(dispatcher: CollectingDispatcher, suggestions: List[Topic]) -> None:
    if suggestions:
        dispatcher.utter_message(response="utter_did_you_mean", buttons=topic_buttons(suggestions))
    else:
        dispatcher.utter_message(response="utter_help")


def send_unsure(dispatcher: CollectingDispatcher, latest_message: Dict[str, Any], kb: KnowledgeBase) -> None:
    """When no answer fits: a medicine or supplement named, what the sources say of it; about twitching, the
    closest topics; plainly medical but not about twitching, who can help; words about no topic, what the
    assistant covers; anything else, the closest topics or the menu. Never a shrug at a health question."""
    text = str(latest_message.get("text") or "")[:MAX_TEXT_CHARS]
    screen = safety.safety_screen()
    named = reading_of(latest_message)
    set_aside = conversation_reading().excluded_subject(text)  # "anything besides magnesium?"
    if (named.substances or named.medicine_classes) and not set_aside:
        # "i only take one multivitamin a day": what the sources say about what was named.
        topic = kb.topic(screen.dose_topics(named)[0])
        if topic is not None:
            send_answer(dispatcher, kb, topic)
            return
    if screen.about_twitching(text):
        buttons = topic_buttons(suggested_topics(latest_message, kb))
        dispatcher.utter_message(response="utter_closest_topics", buttons=buttons)
    elif screen.sounds_medical(text):
        dispatcher.utter_message(response="utter_medical_out_of_scope_condition")
    elif words_about_nothing_here(latest_message):
        # "what's the capital of peru?": words the assistant knows, none about twitching, the body or any
        # topic. Saying what it covers is truer than "I'm not sure I understood".
        dispatcher.utter_message(response="utter_out_of_scope")
    else:
        send_suggestions(dispatcher, suggested_topics(latest_message, kb))


def general_answer(latest_message: Dict[str, Any], kb: KnowledgeBase) -> Optional[Topic]:
    """For a question about twitching the retrieval could not place, the general answer to its kind of
    question ("why does my thumb twitch?": the common causes), from data/conversation_reading.yml."""
    text = str(latest_message.get("text") or "")[:MAX_TEXT_CHARS]
    places = (latest_message.get("findings") or {}).get("location")
    about = safety.safety_screen().about_twitching(text) or places
    if not about or not conversation_reading().question_parts(text):
        return None
    general = conversation_reading().general_topic(text)
    return kb.topic(general) if general else None


def words_about_nothing_here(latest_message: Dict[str, Any]) -> bool:
    """Known words (the retrieval does not rank every topic alike), yet no grounds for any topic, and no
    place of the body named."""
    confidences = [float(entry.get("confidence") or 0.0) for entry in topic_ranking(latest_message)]
    if len(confidences) < 2 or max(confidences) - min(confidences) < 1e-9:
        return False  # no word it knows: keyboard mashing, emoji, another script
    if (latest_message.get("findings") or {}).get("location"):
        return False  # "my leg keeps doing a thing" is about the body
    return max(confidences) < NO_GROUNDS_BELOW


def rule_action_for(intent: str) -> Optional[str]:
    """What a rule of data/rules/ does for `intent` anywhere in a conversation (a rule with no condition,
    the intent its first step), where this action can do it instead: a response, or starting the check-in
    (its form takes over after). None for anything else."""
    action = _rule_actions().get(intent)
    return action if action and (action.startswith("utter_") or action == START_CHECK_IN) else None


@functools.lru_cache(maxsize=1)
def _rule_actions() -> Dict[str, str]:
    actions: Dict[str, str] = {}
    for path in sorted(RULES.glob("*.yml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules") or []:
            steps = rule.get("steps") or []
            unconditional = not rule.get("condition") and len(steps) >= 2
            if not unconditional or "intent" not in steps[0] or "action" not in steps[1]:
                continue
            actions.setdefault(str(steps[0]["intent"]), str(steps[1]["action"]))
    return actions


def out_of_scope_follow_up(tracker: Tracker) -> Optional[str]:
    """For a short follow-up ("when should I worry?", "what tests would they do?") right after the reply
    that a child's or a pregnancy's symptoms, or another condition, are outside what the assistant covers:
    that reply again, as the follow-up is still about them."""
    kept = out_of_scope_reply_just_before(tracker)
    if not kept or tracker.latest_message.get(OWN_STORY):
        return None
    text = str(tracker.latest_message.get("text") or "")[:MAX_TEXT_CHARS]
    reading = conversation_reading()
    follows = bool(tracker.latest_message.get(FOLLOW_UP)) or reading.refers_back_to_the_answer(text)
    return kept if follows and not reading.switches_subject(text) else None


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
                return []
            return answer_topic(dispatcher, kb, topic)
        reading = reading_of(tracker.latest_message, tracker.get_slot(LAST_TOPIC_SLOT))
        kept = out_of_scope_follow_up(tracker)
        if kept:
            dispatcher.utter_message(response=kept)
            return []
        if (
            tracker.latest_message.get(OWN_STORY)
            and not tracker.active_loop.get("name")
            and safety.HEALTH_ANXIETY not in reading  # fear is heard, with what helps, first
        ):
            # The person's own story with a question in it: the check-in answers the question first and
            # keeps what the story said (actions/check_in.py).
            return [FollowupAction(START_CHECK_IN)]
        followed = follow_up_topic(tracker, kb)
        if followed is not None and set(reading.concerns) <= {safety.HEALTH_ANXIETY}:
            # "is it something to worry about?" after an answer: that topic says how serious it is.
            return answer_topic(dispatcher, kb, followed)
        classified_as = str(tracker.latest_message.get(CLASSIFIED_AS) or "")
        instead = rule_action_for(classified_as)
        if classified_as in ASKED_OF_THE_ANSWER and answered_just_before(tracker):
            instead = None  # "what other infections do this?" right after an answer asks about its subject
        if followed is None and instead:
            # Read as a follow-up, but there is no answer just before to follow up: what the classifier
            # said stands ("what is this app for?" is a request for help).
            if instead.startswith("utter_"):
                dispatcher.utter_message(response=instead)
                return []
            return [FollowupAction(instead)]
        # A medicine or dose question, or fear, is met first ("I'm terrified it's ALS": acknowledgement,
        # then the answer, then what helps; "should I stop mine?" after an answer about antidepressants).
        concerned = answer_concerns(dispatcher, tracker.latest_message, reading, last_topic_answered(tracker))
        if concerned is not None:
            return concerned
        asked = [
            kb.topics[topic_id]
            for topic_id, confidence in asked_questions(tracker.latest_message)
            if topic_id in kb.topics and confidence >= MIN_TOPIC_CONFIDENCE
        ]
        if len(asked) > 1 and asked[0].id != asked[1].id:
            # Two questions at once: both answered, in the order asked.
            send_brief_answer(dispatcher, kb, asked[0])
            send_answer(dispatcher, kb, asked[1])
            return [SlotSet(LAST_TOPIC_SLOT, asked[1].id)]
        topic_id, confidence = retrieved_topic_in_context(tracker)
        topic = kb.topic(topic_id) if topic_id else None
        if topic is None or confidence < MIN_TOPIC_CONFIDENCE:
            general = general_answer(tracker.latest_message, kb)
            if general is not None:
                return answer_topic(dispatcher, kb, general)
            send_unsure(dispatcher, tracker.latest_message, kb)
            return []
        return answer_topic(dispatcher, kb, carried_over(tracker, kb, topic))


class ActionListTopics(Action):
    def name(self) -> str:
        return "action_list_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        buttons = topic_buttons(knowledge_base().menu_topics())
        dispatcher.utter_message(response="utter_topic_menu", buttons=buttons)
        return []


class ActionSuggestTopics(Action):
    """The fallback: no dead end, but the closest topics as buttons and what the assistant can do."""

    def name(self) -> str:
        return "action_suggest_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        reading = reading_of(tracker.latest_message, tracker.get_slot(LAST_TOPIC_SLOT))
        concerned = answer_concerns(dispatcher, tracker.latest_message, reading, last_topic_answered(tracker))
        if concerned is not None:
            return concerned
        kept = out_of_scope_follow_up(tracker)
        if kept:
            dispatcher.utter_message(response=kept)
            return []
        kb = knowledge_base()
        # "where in the body?" right after an answer about calcium is about calcium.
        followed = follow_up_topic(tracker, kb) or unclear_follow_up_topic(tracker, kb, questions_too=True)
        if followed is not None:
            return answer_topic(dispatcher, kb, followed)
        send_unsure(dispatcher, tracker.latest_message, kb)
        return []


class ActionOutOfScope(Action):
    """Outside twitching, said politely with what the assistant can do; but a short follow-up to the answer
    just given that the classifier took for something else ("so which one hurts?") is answered."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        kb = knowledge_base()
        # "tell me more" after an answer is a follow-up, of no kind: more of that answer.
        follows = tracker.latest_message.get(FOLLOW_UP) is not None
        followed = (follow_up_topic(tracker, kb) if follows else None) or unclear_follow_up_topic(tracker, kb)
        if followed is not None:
            return answer_topic(dispatcher, kb, followed)
        dispatcher.utter_message(response="utter_out_of_scope")
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
