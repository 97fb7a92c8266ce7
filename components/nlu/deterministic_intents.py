"""NLU component: what must be met before anything else decides the intent, whatever a classifier thinks.

In order: an emergency (bot/emergency.py) gets `emergency`; a person in crisis (bot/safety.py) gets `crisis`;
a command ("stop", bot/commands.py) gets that command's intent; a question about changing a medicine or a
dose, a medical question outside what the assistant covers and pressure for a diagnosis get their own
intents (`medicine_question`, ...), whatever topic the question seems to be about. Fear gets
`health_anxiety` unless the classifier read the message as a question to the knowledge base or as part of
the check-in: those actions hear the fear first themselves (actions/faq.py, actions/check_in.py).

It runs after the classifiers, so a deterministic rule, not a probability, decides that "I can't breathe"
is escalated. The classifier's own guess stays in the ranking so the emergency action can still answer a
question the person may have meant.
"""

from __future__ import annotations

import re
from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import RESPONSE_SELECTOR_PREDICTION_KEY, RESPONSE_SELECTOR_PROPERTY_NAME
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.faq import ASKS_ABOUT_A_SUBJECT, ASKS_ABOUT_A_SUBJECT_FIRST
from actions.safety import INTENT_CONCERNS, SAFETY_READING
from bot import safety
from bot.commands import command_in
from bot.conversation_reading import MORE, WH_WORDS, ConversationReading, conversation_reading, words_of
from bot.emergency import screen_message
from bot.extract import MAX_TEXT_CHARS
from bot.negation import negation
from components.nlu.findings_extractor import FINDINGS_KEY
from components.nlu.stateless import StatelessComponent

_WORDS = re.compile(r"[a-z']+")
EMERGENCY_INTENT = "emergency"
FALLBACK_INTENT = "nlu_fallback"
DESCRIBE_INTENT = "describe_symptoms"
DENY_INTENT = "deny"
FOLLOW_UP_INTENT = "medicine_follow_up"
OUT_OF_SCOPE_INTENT = "out_of_scope"
CRISIS_INTENT = "crisis"
EMERGENCY_SIGN_ENTITY = "emergency_sign"
# The intent of each concern of bot/safety.py other than a crisis (which has its own action).
CONCERN_INTENTS = {concern: intent for intent, concern in INTENT_CONCERNS.items() if concern != safety.CRISIS}
FAQ_INTENT = "faq"
# The kind of follow-up a message is (bot/conversation_reading.py), for the FAQ action.
FOLLOW_UP = "follow_up"
# A person's own story (bot/conversation_reading.py): it starts the check-in.
OWN_STORY = "own_story"
# What a classifier may have made of a person's own story, or of a short follow-up: neither is any of
# these. Commands, safety concerns, the diary's requests and the check-in's answers are never replaced.
# Fear is not among them: a frightened person first gets fear heard and what helps (the safety suite's
# health_anxiety cases), then may start the check-in.
STORY_MAY_REPLACE = {"faq", "nlu_fallback", "out_of_scope", "greet", "ask_question", "help", "acknowledge"}
FOLLOW_UP_MAY_REPLACE = {"faq", "nlu_fallback", "out_of_scope", "affirm", "deny", "greet", "thank",
                         "acknowledge", "goodbye", "ask_question", "help", "bot_challenge"}
# A question showing no kind of follow-up ("what's that called?") may replace fewer: not "outside
# twitching" ("what's the weather like?" looks the same), nor the fallback, whose action reads it in context.
MORE_MAY_REPLACE = FOLLOW_UP_MAY_REPLACE - {"out_of_scope", "nlu_fallback"}
# A short question naming a subject the retrieval places with this confidence ("what other infections do
# this?", "will it stop if i quit?") is about that subject, whatever these say: after an answer it is a
# follow-up; with none before it, the FAQ action does what the classifier's intent would have done.
MIN_SUBJECT_TOPIC_CONFIDENCE = 0.5
# Where a follow-up's intent was replaced, what the classifier said: without an answer just before to
# follow up, the FAQ action does what that intent would have done ("what is this app for?" is help).
CLASSIFIED_AS = "classified_as"
MEDICAL_OUT_OF_SCOPE_INTENT = CONCERN_INTENTS[safety.MEDICAL_OUT_OF_SCOPE]
# A follow-up the classifier took for a description ("does it damage the muscles?", "and the eyelid one?").
CHECK_IN_STARTS = {"describe_symptoms", "check_symptoms"}
# An intent's name then "{": a payload the channels could not read, passed on as words (components/channels/).
BROKEN_PAYLOAD = re.compile(r"\s*/?[A-Za-z0-9_-]+\{")
INFORM_INTENT = "inform"
HELP_INTENT = "help"
# What the classifier reads as the person telling something: a follow-up that tells nothing of them ("what
# about family history?") is a question.
READ_AS_TELLING = CHECK_IN_STARTS | {INFORM_INTENT}
DIARY_HOW_LONG = "diary_how_long"
STOP_INTENT = "stop"
# Intents whose actions hear fear themselves before they answer: the classifier's reading stands.
LOCATION = "location"
HEARS_FEAR = {"faq", "describe_symptoms", "check_symptoms", "inform", "log_twitch", "twitch_lasted",
              "show_diary", "diary_how_long", "doctor_summary"}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class DeterministicIntents(StatelessComponent):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = (message.get(TEXT) or "")[:MAX_TEXT_CHARS]
            # Screened once here; the actions read the result from the parse (actions/safety.py).
            reading = safety.screen(text)
            message.set(SAFETY_READING, reading.to_dict(), add_to_output=True)
            signs = screen_message(text)
            if signs:
                _set_emergency(message, text, signs, self.__class__.__name__)
                continue
            if _intent(message) == EMERGENCY_INTENT and _denies_something(text):
                # The classifier's own "emergency", for a message the screen found no sign in and that denies
                # something ("never had a fit or a stroke, just a twitch"): a denied sign is not escalated.
                _override_intent(message, _next_intent(message))
            if safety.CRISIS in reading:
                _override_intent(message, CRISIS_INTENT)
                continue
            command = command_in(text)
            if command:
                _override_intent(message, command)
                continue
            if BROKEN_PAYLOAD.match(text) and not reading.concerns:
                # What is left of a button payload that could not be read ("inform{bad"): nobody asked
                # anything, so whatever topic its words happen to be near is no answer.
                _override_intent(message, FALLBACK_INTENT)
                continue
            current = _intent(message)
            if reading.concerns:
                concern = reading.concerns[0]
                if concern != safety.HEALTH_ANXIETY or current not in HEARS_FEAR:
                    _override_intent(message, CONCERN_INTENTS[concern])
            elif reading.refers_back_to_a_medicine:
                # "so should I stop mine then?": the FAQ action knows what was answered before.
                _override_intent(message, FOLLOW_UP_INTENT)
            elif (
                current == OUT_OF_SCOPE_INTENT
                and _plainly_medical(text)
                and not _leans_on_an_answer(message, text)
            ):
                # "my knee hurts when I run": outside twitching, but a health question: who can help, not a
                # polite no.
                _override_intent(message, CONCERN_INTENTS[safety.MEDICAL_OUT_OF_SCOPE])
            elif current == FALLBACK_INTENT and _describes_a_twitch(message):
                # "i can breathe fine, its my bicep that keeps jumping": a description, not a puzzle.
                _override_intent(message, DESCRIBE_INTENT)
            elif current == FALLBACK_INTENT and _only_denies_findings(message, text):
                # "I'm not short of breath", "no weakness": a plain no, as the classifier nearly read it.
                _override_intent(message, DENY_INTENT)
            elif current == MEDICAL_OUT_OF_SCOPE_INTENT and _leans_on_an_answer(message, text):
                # The classifier's own guess, with nothing the screen found: "how do I get rid of it?" after
                # an answer is about that answer.
                message.set(CLASSIFIED_AS, current, add_to_output=True)
                _override_intent(message, FAQ_INTENT)
            _read_in_conversation(message, text)
        return messages


def _read_in_conversation(message: Message, text: str) -> None:
    """A person's own story starts the check-in, whatever question it also asks (the check-in answers
    that first); a short follow-up ("is it dangerous?") goes to the FAQ action, which knows the topic
    just answered (bot/conversation_reading.py)."""
    reading = conversation_reading()
    current = _intent(message)
    aspect = reading.follow_up_aspect(text, (message.get(FINDINGS_KEY) or {}).get(LOCATION) or ())
    if aspect:
        message.set(FOLLOW_UP, aspect, add_to_output=True)
    if current in STORY_MAY_REPLACE and reading.tells_own_story(text, message.get(FINDINGS_KEY) or {}):
        # A question to the knowledge base stays one, so that the answer is the one asked for; the FAQ
        # action answers it briefly and starts the check-in (actions/faq.py). Anything else is a story.
        message.set(OWN_STORY, True, add_to_output=True)
        if current != FAQ_INTENT:
            _override_intent(message, DESCRIBE_INTENT)
    elif (aspect or reading.switches_subject(text)) and (
        current in (MORE_MAY_REPLACE if aspect == MORE else FOLLOW_UP_MAY_REPLACE)
        or (current in READ_AS_TELLING and (not _tells_anything(message) or _asks_about_it(reading, text)))
        # "how long till it settles?" is about the answer; "how long have I had this?" about the diary.
        or (current == DIARY_HOW_LONG and not reading.speaks_of_themselves(text))
        # "how 2 stop em" asks about the twitching; "stop" and "can you stop?" are the request to stop.
        or (current == STOP_INTENT and _asks_about_stopping(reading, text))
    ):
        if current != FAQ_INTENT:
            message.set(CLASSIFIED_AS, current, add_to_output=True)
        _override_intent(message, FAQ_INTENT)
    elif current == INFORM_INTENT and _asks_about_it(reading, text):
        # "does family history matter?": a question about what the check-in asks of, not an answer to it
        # (a request to be checked, "could you check me over?", is still one).
        message.set(CLASSIFIED_AS, current, add_to_output=True)
        _override_intent(message, FAQ_INTENT)
    elif current == STOP_INTENT and _asks_about_stopping(reading, text) and reading.subjects_named(text):
        # "will it stop if i quit?": about the twitching and what the person might give up.
        message.set(CLASSIFIED_AS, current, add_to_output=True)
        _override_intent(message, FAQ_INTENT)
    elif current == HELP_INTENT and _asks_of_a_subject_not_of_us(reading, text):
        # "what other meds can do this?", "what habits help?": the classifier's help is for requests about the
        # assistant; right after an answer this asks about that answer's subject (actions/faq.py), and with
        # none before it the FAQ action still gives the help the classifier read.
        message.set(CLASSIFIED_AS, current, add_to_output=True)
        _override_intent(message, FAQ_INTENT)
    elif (
        (
            current in ASKS_ABOUT_A_SUBJECT
            or (current in ASKS_ABOUT_A_SUBJECT_FIRST and _opens_with_a_subject(text))
        )
        and reading.asks(text)
        and reading.subjects_named(text)
        and _topic_confidence(message) >= MIN_SUBJECT_TOPIC_CONFIDENCE
    ):
        message.set(CLASSIFIED_AS, current, add_to_output=True)
        _override_intent(message, FAQ_INTENT)


def _asks_of_a_subject_not_of_us(reading: ConversationReading, text: str) -> bool:
    """A short question, or a message pointing back ("other meds that do this"), that names a subject and
    says nothing to or of the assistant ("what can you tell me about magnesium?" is to it)."""
    words = set(words_of(text))
    if not reading.subjects_named(text) or words & reading.addressed_to_us:
        return False
    return reading.asks(text) or bool(words & reading.refers_back)


def _opens_with_a_subject(text: str) -> bool:
    """"yoga ok?" opens with what it asks about; "yes, is it private?" with a yes."""
    words = words_of(text)
    return bool(words) and words[0] in conversation_reading().subject_words


def _topic_confidence(message: Message) -> float:
    """How sure the FAQ retrieval is of its topic for the message (components/nlu/text_classifiers.py)."""
    selection = (message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}).get(FAQ_INTENT) or {}
    return float((selection.get(RESPONSE_SELECTOR_PREDICTION_KEY) or {}).get(PREDICTED_CONFIDENCE_KEY) or 0.0)


def _asks_about_stopping(reading: ConversationReading, text: str) -> bool:
    words = words_of(text)
    if not words or set(words) & (reading.addressed_to_us | {"we", "us", "lets", "let's"}):
        return False
    points_back = bool(set(words) & reading.refers_back)
    return words[0] in WH_WORDS or (words[0] in reading.question_words and points_back)


def _asks_about_it(reading: ConversationReading, text: str) -> bool:
    """"what about family history?", "does family history matter?": a question moving to a subject, or one
    sentence opening as a question, of nobody in particular; what it names is what it asks about, not
    something it tells of the writer ("and my calf has twitched for weeks", "how long? about 3 weeks") or
    of someone else ("does it matter that my dad had als?")."""
    if not reading.asks(text) or reading.speaks_of_themselves(text):
        return False
    if reading.switches_subject(text):
        return True
    words = words_of(text)
    one_sentence = not re.search(r"[?.!]+(?=\s*\S)", text) and len(reading.question_parts(text)) == 1
    return one_sentence and words[0] in reading.question_words and not set(words) & reading.someone_else


def _tells_anything(message: Message) -> bool:
    """The extractor found something the message says about the person beyond where (a duration, a
    habit, a symptom): then it is an answer or a description, not a follow-up."""
    return any(name not in ("location", "side") for name in message.get(FINDINGS_KEY) or {})


def _only_denies_findings(message: Message, text: str) -> bool:
    """Every finding the extractor found is denied ("I'm not short of breath"), and nothing is asked."""
    findings = message.get(FINDINGS_KEY) or {}
    denied = findings and all(value is False for value in findings.values())
    return bool(denied) and not conversation_reading().question_parts(text)


def _intent(message: Message) -> str | None:
    return (message.get(INTENT) or {}).get("name")


def _denies_something(text: str) -> bool:
    words = _WORDS.findall(text.lower().replace("\u2019", "'"))
    cues = negation().cues
    return any(word in cues or word.endswith("n't") for word in words)


def _next_intent(message: Message) -> str:
    """The classifier's best guess after `emergency`; a description of a twitch when that is what it is."""
    if _describes_a_twitch(message):
        return DESCRIBE_INTENT
    ranking = [entry.get("name") for entry in message.get(INTENT_RANKING_KEY) or []]
    return next((name for name in ranking if name and name != EMERGENCY_INTENT), FALLBACK_INTENT)


def _leans_on_an_answer(message: Message, text: str) -> bool:
    """"how do I get rid of it?": a follow-up to the answer just given, in words the knowledge base knows,
    not a question about another condition ("my knee hurts, how do I get rid of it?")."""
    reading = conversation_reading()
    places = (message.get(FINDINGS_KEY) or {}).get(LOCATION) or ()
    return reading.follow_up_aspect(text, places) is not None and reading.names_nothing(text)


def _plainly_medical(text: str) -> bool:
    screen = safety.safety_screen()
    return screen.sounds_medical(text) and not screen.about_twitching(text)


def _describes_a_twitch(message: Message) -> bool:
    """The extractor found where the twitching is (components/nlu/findings_extractor.py)."""
    return bool((message.get(FINDINGS_KEY) or {}).get(LOCATION))


def _set_emergency(message: Message, text: str, signs: list, extractor: str) -> None:
    _override_intent(message, EMERGENCY_INTENT)
    entities = list(message.get(ENTITIES) or [])
    lowered = text.lower()
    for sign in signs:
        start = max(lowered.find(sign.matched_text), 0)
        entities.append(
            {
                "entity": EMERGENCY_SIGN_ENTITY,
                "value": sign.id,
                "start": start,
                "end": start + len(sign.matched_text),
                "confidence_entity": 1.0,
                "extractor": extractor,
            }
        )
    message.set(ENTITIES, entities, add_to_output=True)


def _override_intent(message: Message, intent: str) -> None:
    """Sets `intent` with full confidence, keeping the classifier's ranking behind it."""
    chosen = {"name": intent, "confidence": 1.0}
    ranking = [entry for entry in message.get(INTENT_RANKING_KEY) or [] if entry.get("name") != intent]
    message.set(INTENT, chosen, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
