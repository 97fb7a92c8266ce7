"""How an answer from the knowledge base is sent: the topic the retrieval chose, how sure it was, and the
answer with the line naming its source and related topics as buttons. Shared by every action that answers."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.buttons import FAQ_INTENT, topic_buttons
from bot.conversation_reading import MORE, conversation_reading, singular, words_of
from bot.extract import MAX_TEXT_CHARS
from bot.knowledge import KnowledgeBase, Topic, knowledge_base
from bot.text_classifier import RankedLabel, rank_in_context

# Below this retrieval confidence the answer would be a guess: offer the closest topics instead (a wrong
# health answer is worse than a question back). On the held-out questions, 0.15 turned 4 of 126 right
# answers into suggestions and caught 3 of the 9 wrong ones (measured with the model of this commit).
MIN_TOPIC_CONFIDENCE = 0.15
# Where components/nlu/text_classifiers.py leaves each question of a message with its topic.
QUESTIONS = "questions"
# Set by the NLU (components/nlu/deterministic_intents.py): the kind of follow-up a message is.
FOLLOW_UP = "follow_up"
# Set by the NLU (components/nlu/text_classifiers.py): every topic's decision score for the message.
TOPIC_SCORES = "topic_scores"
# Set by the NLU (components/nlu/text_classifiers.py): for "and the sleep one?", the topic about that kind
# after each answer that names it.
KINDS_NAMED = "kinds_named"
# The topic answered last, for a follow-up ("is it dangerous?") or a medicine question about it.
LAST_TOPIC_SLOT = "last_topic"


def topic_id_of(intent_response_key: Optional[str]) -> Optional[str]:
    """`faq/caffeine` -> `caffeine`."""
    if not intent_response_key or "/" not in intent_response_key:
        return None
    return intent_response_key.split("/", 1)[1]


def topic_ranking(latest_message: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The FAQ retrieval's ranking of topics for the latest message, best first."""
    selection = (latest_message.get("response_selector") or {}).get(FAQ_INTENT) or {}
    return list(selection.get("ranking") or [])


def retrieved_topic(latest_message: Dict[str, Any]) -> tuple[Optional[str], float]:
    """The topic the FAQ retrieval chose for the latest message, and how sure it was."""
    selection = (latest_message.get("response_selector") or {}).get(FAQ_INTENT) or {}
    response = selection.get("response") or {}
    return topic_id_of(response.get("intent_response_key")), float(response.get("confidence") or 0.0)


def retrieved_topic_in_context(tracker: Tracker) -> tuple[Optional[str], float]:
    """The retrieval's topic for the latest message, read in the light of the answer just given. For a
    short question right after it, the message before counts too: each topic's score for this message plus
    `context_weight` (data/conversation_reading.yml) times its score for the one before, so "and the sleep
    ones?" after a question about the kinds of myoclonus weighs sleep and myoclonus together, and "which
    conditions cause it?" after spasticity stays on spasticity, while "what about magnesium?" moves to
    magnesium. A question moving away leans towards the topics the answer points to (its related topics,
    shown under it): they get `related_boost`. When the message before left no scores (a button), the topic
    just answered gets `last_topic_boost` instead."""
    topic_id, confidence = retrieved_topic(tracker.latest_message)
    last = tracker.get_slot(LAST_TOPIC_SLOT)
    reading = conversation_reading()
    text = str(tracker.latest_message.get("text") or "")[:MAX_TEXT_CHARS]
    if not last or not reading.is_short(text) or not answered_just_before(tracker):
        return topic_id, confidence
    # "what about meds?" moves away from the answer just given, and so does a question naming a subject the
    # answer never speaks of ("could the gym be why?" after the answer about twitching at rest): that topic
    # then counts only for what this message says. A switch the retrieval cannot place stays on an answer
    # that speaks of its subject ("and a tremor?" after the one telling twitches and tremors apart).
    kind = kind_named(tracker.latest_message, recent_topics(tracker))
    if kind is not None:
        return kind
    set_aside = reading.excluded_subject(text)
    named = [word for word in reading.subjects_named(text) if word != set_aside]
    moving_away = bool(set_aside) or reading.moves_away(text) or bool(
        named and (not _questions_speak_of(last, named) or reading.asks_for_others(text))
    )
    now = _topic_scores(tracker.latest_message)
    before = _topic_scores(message_asking_about(tracker, last))
    if moving_away and last in knowledge_base().topics:
        for related in knowledge_base().topics[last].related:
            if related in now:
                now[related] += reading.related_boost
    if now and before:
        ranked = rank_in_context(now, before, reading.context_weight, [last] if moving_away else [])
        best = _about_its_subject(ranked, text, last) if named else ranked[0]
        if (
            moving_away
            # placed nowhere with the confidence an answer needs ("and a tremor?"), unlike "what about not
            # drinking enough?" after the overview of causes (dehydration)
            and best.confidence < MIN_TOPIC_CONFIDENCE
            and not reading.names_a_kind(text)
            and _answer_speaks_of(last, reading.switched_to(text))
        ):
            return last, 1.0
        return best.label, best.confidence
    scores = {
        topic_id_of(entry.get("intent_response_key")): float(entry.get("confidence") or 0.0)
        for entry in topic_ranking(tracker.latest_message)
    }
    scores.pop(None, None)
    if not moving_away:
        scores[last] = scores.get(last, 0.0) + reading.last_topic_boost
    best_id = max(scores, key=lambda topic: scores[topic])
    return best_id, scores[best_id]


# How many of the topics answered last are looked at for the kind a message names ("the noise one" after
# "and the sleep one?" is about the kinds of myoclonus, answered the turn before).
KIND_LOOKBACK = 2


def recent_topics(tracker: Tracker) -> List[str]:
    """The topics answered, most recent first, each once, at most KIND_LOOKBACK."""
    topics: List[str] = []
    for event in reversed(tracker.events):
        if event.get("event") == "slot" and event.get("name") == LAST_TOPIC_SLOT and event.get("value"):
            if event["value"] not in topics:
                topics.append(str(event["value"]))
            if len(topics) >= KIND_LOOKBACK:
                break
    return topics


def kind_named(latest_message: Dict[str, Any], answered: List[str]) -> Optional[Tuple[str, float]]:
    """The kind named after the first of the `answered` topics (most recent first) whose answer named it."""
    named = latest_message.get(KINDS_NAMED)
    if not isinstance(named, dict):
        return None
    last = next((topic for topic in answered if isinstance(named.get(topic), dict)), None)
    return None if last is None else _kind_named_after(latest_message, last, named[last])


def _kind_named_after(
    latest_message: Dict[str, Any], last: str, entry: Dict[str, Any]
) -> Optional[Tuple[str, float]]:
    """For "and the sleep one?" after an answer that named that kind, the topic about it and how sure the
    retrieval was (components/nlu/text_classifiers.py, KINDS_NAMED), or that answer itself when no other
    topic is about it."""
    topic_id = topic_id_of(str(entry.get("topic") or ""))
    confidence = float(entry.get("confidence") or 0.0)
    if topic_id and confidence >= MIN_TOPIC_CONFIDENCE:
        return topic_id, confidence
    # No other topic is about it ("the noise one" after the kinds of myoclonus): the answer that named it is
    # the one to give again, unless the message asks of something more ("what diseases hit the lower ones").
    reading = conversation_reading()
    text = str(latest_message.get("text") or "")[:MAX_TEXT_CHARS]
    kind = set(reading.kind_words(text))
    return None if any(word not in kind for word in reading.subjects_named(text)) else (last, 1.0)


def _about_its_subject(ranked: List[RankedLabel], text: str, last: str) -> RankedLabel:
    """The first of the ranked topics, unless it is the general answer to the kind of question the message
    shows ("how long does it last after a workout?": how long twitching lasts) while the message names a
    subject of its own and the follow-up table does not send that kind there after the answer just given:
    the general answers are for twitching in general, so the first topic after them, as sure as it is among
    the topics left."""
    reading = conversation_reading()
    general = {
        topic
        for topic, aspect in reading.general_topics_shown(text).items()
        if topic != last and reading.answering_topic(aspect, last) != topic
    }
    left = [entry for entry in ranked if entry.label not in general]
    if not left:
        return ranked[0]
    return RankedLabel(left[0].label, left[0].confidence / sum(entry.confidence for entry in left))


def _questions_speak_of(topic_id: str, subject: List[str]) -> bool:
    """The topic's own questions (its title and examples) use every word of the subject: "gym" is no
    subject of the answer about twitching at rest, which mentions exercise only in passing."""
    topic = knowledge_base().topic(topic_id)
    if topic is None:
        return False
    asked = {singular(word) for question in (topic.title, *topic.examples) for word in words_of(question)}
    return all(singular(word) in asked for word in subject)


def _answer_speaks_of(topic_id: str, subject: List[str], every: bool = True) -> bool:
    """The topic's title or answer names every word of the subject (with `every` False, one of them); a
    plural counts as its singular too."""
    topic = knowledge_base().topic(topic_id)
    if topic is None or not subject:
        return False
    said = set(words_of(f"{topic.title} {topic.answer}"))
    found = [word in said or word.removesuffix("s") in said for word in subject]
    return all(found) if every else any(found)


def _topic_scores(parse_data: Dict[str, Any]) -> Dict[str, float]:
    """Every topic's decision score for a message, by topic id (components/nlu/text_classifiers.py)."""
    scores = parse_data.get(TOPIC_SCORES)
    if not isinstance(scores, dict):
        return {}
    by_topic = {topic_id_of(str(label)): value for label, value in scores.items()}
    return {
        topic: float(value)
        for topic, value in by_topic.items()
        if topic and isinstance(value, int | float) and math.isfinite(value)
    }


def previous_user_message(tracker: Tracker) -> Dict[str, Any]:
    """What the NLU made of the person's message before the latest one; empty when there is none."""
    seen_latest = False
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if seen_latest:
            return event.get("parse_data") or {}
        seen_latest = True
    return {}


# How many of the person's messages back the one that asked about the topic just answered is looked for
# (the action server is sent the last three turns: components/rasa_layer/action_server.py, TURNS_SENT).
ASKED_ABOUT_LOOKBACK = 2


def message_asking_about(tracker: Tracker, topic_id: str) -> Dict[str, Any]:
    """What the NLU made of the person's latest message before this one whose own best topic is `topic_id`
    (within ASKED_ABOUT_LOOKBACK messages), else of the message just before: after "why do people twitch
    after hard training?" and "where on the body?", the first says what the conversation is about."""
    seen_latest, looked = False, 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if not seen_latest:
            seen_latest = True
            continue
        parse = event.get("parse_data") or {}
        scores = _topic_scores(parse)
        if scores and max(scores, key=lambda topic: scores[topic]) == topic_id:
            return parse
        looked += 1
        if looked >= ASKED_ABOUT_LOOKBACK:
            break
    return previous_user_message(tracker)


def unclear_follow_up_topic(
    tracker: Tracker, kb: KnowledgeBase, questions_too: bool = False
) -> Optional[Topic]:
    """For a message the classifier could not place, or placed outside twitching ("so which one hurts?"):
    the topic it asks about when it is a short follow-up to the answer just given. It must refer back
    ("it", "that", "one", "what about...") and the retrieval must already rank the topic just answered, or
    one of its related topics, among its closest three; then the retrieval in context answers it. "what's
    the weather like?" after an answer stays outside twitching. With `questions_too` (a message the
    classifier could not place at all), a short question that does not refer back ("how do i recover
    faster?") counts too when the retrieval's own first choice, confident enough to answer, is the topic
    just answered or a related one."""
    last = tracker.get_slot(LAST_TOPIC_SLOT)
    if not last or last not in kb.topics or not answered_just_before(tracker):
        return None
    reading = conversation_reading()
    text = str(tracker.latest_message.get("text") or "")[:MAX_TEXT_CHARS]
    ranking = topic_ranking(tracker.latest_message)
    near = {last, *kb.topics[last].related}
    if reading.refers_back_to_the_answer(text):
        closest = {topic_id_of(entry.get("intent_response_key")) for entry in ranking[:3]}
    elif questions_too and reading.is_short(text) and reading.asks(text) and ranking:
        # The retrieval must place it, alone and read with the message before ("how many hours do i
        # need?" after the answer about sleep).
        placed = float(ranking[0].get("confidence") or 0.0) >= MIN_TOPIC_CONFIDENCE
        first, confidence = retrieved_topic_in_context(tracker)
        closest = {first} if placed and confidence >= MIN_TOPIC_CONFIDENCE else set()
    else:
        return None
    if not closest & near:
        return None
    topic_id, confidence = retrieved_topic_in_context(tracker)
    return kb.topics.get(topic_id or "") if confidence >= MIN_TOPIC_CONFIDENCE else None


def send_answer(dispatcher: CollectingDispatcher, kb: KnowledgeBase, topic: Topic) -> None:
    """The answer, the line naming its source, and related topics as buttons."""
    buttons = topic_buttons(kb.related_topics(topic))
    dispatcher.utter_message(text=kb.answer_with_sources(topic), buttons=buttons)


def answer_topic(dispatcher: CollectingDispatcher, kb: KnowledgeBase, topic: Topic) -> List[Dict[str, Any]]:
    """Sends the topic's answer; the event that remembers it for a follow-up."""
    send_answer(dispatcher, kb, topic)
    return [SlotSet(LAST_TOPIC_SLOT, topic.id)]


def send_brief_answer(dispatcher: CollectingDispatcher, kb: KnowledgeBase, topic: Topic) -> None:
    """The answer and its source, without the related topics: said on the way to something else."""
    dispatcher.utter_message(text=kb.answer_with_sources(topic))


def asked_questions(latest_message: Dict[str, Any]) -> List[Tuple[str, float]]:
    """The topics of the questions one message asks, in order, with the retrieval's confidence in each
    (components/nlu/text_classifiers.py); the whole message's topic when it is one question."""
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


def send_topic(dispatcher: CollectingDispatcher, topic_id: str) -> Optional[str]:
    """The answer of the topic with this id (nothing if there is none); the id when it was sent."""
    kb = knowledge_base()
    topic = kb.topic(topic_id)
    if topic is None:
        return None
    send_answer(dispatcher, kb, topic)
    return topic.id


def carried_over(tracker: Tracker, kb: KnowledgeBase, topic: Topic) -> Topic:
    """For a switch right after an answer ("and for myoclonus?" after the answer about doctors' tests), the
    same kind of question about the topic switched to: myoclonus's tests are in the topic on diagnosing and
    treating it (data/conversation_reading.yml). Anything else, and a switch the table sends nowhere of its
    own, keeps `topic`."""
    reading = conversation_reading()
    text = str(tracker.latest_message.get("text") or "")[:MAX_TEXT_CHARS]
    last = last_topic_answered(tracker)
    if not last or topic.id == last or not reading.switches_subject(text):
        return topic
    asked_before = str(previous_user_message(tracker).get("text") or "")[:MAX_TEXT_CHARS]
    aspect = reading.kind_carried(last, asked_before, text)
    carried = reading.carried_topic(aspect, topic.id) if aspect else None
    return kb.topics.get(carried or "", topic)


def _topic_named(kb: KnowledgeBase, subject: List[str]) -> Optional[Topic]:
    """The one topic whose id the subject spells, or begins ("myoclonus", "magnesium foods": the topic
    about magnesium's foods and forms); None when none or several."""
    key = "_".join(subject)
    starting = [topic for topic in kb.topics.values() if topic.id.startswith(f"{key}_")]
    named = [kb.topics[key]] if key in kb.topics else starting
    return named[0] if len(named) == 1 else None


# The replies saying the assistant did not follow (actions/faq.py, send_unsure): a turn that got only these
# leaves the conversation where it was.
UNSURE_RESPONSES = frozenset({"utter_closest_topics", "utter_did_you_mean"})


def answered_just_before(tracker: Tracker) -> bool:
    """Whether the assistant's last turn, before this message, answered a topic: it set `last_topic`
    (an FAQ answer, the brief answer before a check-in, an answer given in the middle of one). A turn in
    between that the assistant did not follow ("7 in 10?? srsly": "I'm not sure I understood") is looked
    through: "when to worry though?" after it is still about the answer before."""
    seen_this_message = False
    unsure: Optional[bool] = None  # whether every reply of the turn looked at said it did not follow
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_this_message and not unsure:
                return False
            seen_this_message, unsure = True, None
        elif seen_this_message and kind == "bot":
            said = (event.get("metadata") or {}).get("utter_action")
            unsure = unsure is not False and said in UNSURE_RESPONSES
        elif seen_this_message and kind == "slot" and event.get("name") == LAST_TOPIC_SLOT:
            return event.get("value") is not None
    return False


def last_topic_answered(tracker: Tracker) -> Optional[str]:
    """The topic answered by the assistant's turn just before this message, if it answered one."""
    last = tracker.get_slot(LAST_TOPIC_SLOT)
    return str(last) if last and answered_just_before(tracker) else None


# The kind of follow-up asking what helps (data/conversation_reading.yml).
TREATMENT = "treatment"
# A message of at most this many words naming a topic by its name is about that topic ("magnesium then?").
BARE_WORDS = 2


def follow_up_topic(tracker: Tracker, kb: KnowledgeBase, after: Optional[str] = None) -> Optional[Topic]:
    """For a short follow-up to the answer just given ("what foods have it?"), the topic that answers it
    (data/conversation_reading.yml); for a switch to a subject that is a topic of its own ("what about
    calcium?", "and myoclonus, how is that different?"), that topic; None for anything else. With `after`,
    a follow-up to that topic instead (what a story that started the check-in told of)."""
    if after is None and not answered_just_before(tracker):
        return None
    reading = conversation_reading()
    text = str(tracker.latest_message.get("text") or "")
    # "anything besides magnesium?" names magnesium only to set it aside.
    if not reading.names_a_kind(text) and not reading.excluded_subject(text):
        # "and myoclonus, how is that different?": the subject is what comes before the comma.
        for part in (text, text.split(",")[0]):
            subject = reading.switched_to(part)
            named = _topic_named(kb, subject) if subject else None
            if named is not None:
                return carried_over(tracker, kb, named)
        # "tell me more about magnesium", "magnesium?": a topic named by its own name, and nothing else
        # ("what has magnesium in it?" asks about its foods).
        subject = reading.content_words(text)
        bare = len(words_of(text)) <= BARE_WORDS or reading.subject_leads.match(" ".join(words_of(text)))
        named = kb.topics.get("_".join(subject)) if subject and bare else None
        if named is not None:
            return named
    last = after or tracker.get_slot(LAST_TOPIC_SLOT)
    led_to = reading.led_to(text)
    if last in kb.topics and led_to and _answer_speaks_of(last, led_to):
        # "can it turn into als?" after the answer about BFS, which says whether it does.
        return kb.topics[last]
    aspect = tracker.latest_message.get(FOLLOW_UP)
    if not aspect or not last or last not in kb.topics:
        return None
    if after is not None:
        return kb.topic(reading.answering_topic(str(aspect), str(last)))
    if aspect == MORE and reading.names_nothing(text):
        # Nothing but words any question has ("how much is too much?", "why though?"): the retrieval has
        # nothing to go on but those words, which another topic may happen to share.
        return kb.topics[last]
    if aspect == MORE:
        # Of no particular kind ("and for sudden jerks?"): the retrieval, reading it with the message
        # before, says which topic; the topic just answered when it cannot.
        topic_id, confidence = retrieved_topic_in_context(tracker)
        chosen = kb.topic(topic_id) if topic_id and confidence >= MIN_TOPIC_CONFIDENCE else None
        return chosen or kb.topics[last]
    answering = reading.answering_topic(str(aspect), str(last))
    general = reading.general_topics.get(TREATMENT) if aspect == TREATMENT else None
    if answering == last and general and general != last and reading.asks_for_others(text):
        # "what else can i do to calm them?" after the answer on sleep: what helps besides what it said.
        return kb.topic(general)
    return kb.topic(answering)
