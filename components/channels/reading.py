"""How every channel hands a person's message to Rasa: what the assistant reads of it, and what the person is
told when it could not read all of it or could not answer.

Every channel (REST, the web widget's Socket.IO, Slack, Telegram) passes its UserMessage through
`handle_carefully` instead of straight to Rasa's `on_new_message`. Three kinds of message are read
differently from how Rasa would read them (see `reading_of`):

- A malformed intent payload ("/inform{bad", '/inform{"x": 1} and more') is read as ordinary words. Rasa
  would act on the part it can parse: start the check-in for "/inform{bad", take "/affirm{x" as a yes, and
  an emergency written after a payload would lose to the payload's intent, because Rasa's payload parser
  runs after every NLU component, DeterministicIntents included. As words, it gets the emergency screen and
  the classifiers, usually the "did you mean" topics. Well-formed payloads (our buttons) are unchanged.
- A payload for an intent the assistant does not have ("/start", "/menu") is read as words, as typed.
- Rasa's own conversation controls, "/restart", "/back" and "/session_start", are read as words too. No
  button of ours sends them, and each would change the conversation without a word to the person: "/restart"
  silently forgets a check-in half done, "/back" silently undoes the last answer. Someone who types one
  gets a reply instead, and "stop" ends a check-in in words (bot/commands.py).
- Past MAX_READ_CHARS only the beginning is read, and the reply ends by saying so (at the end, so that an
  emergency instruction still comes first); the whole message is still stored. Reading costs more than in
  proportion to length (the findings extractor alone: 0.5 s at 10,000 characters, 6 s at 40,000; all of NLU
  32 s at 80,000, on the project's 2-core machine), and one Rasa process reads one message at a time, so an
  unbounded message would hold everyone up.

When what should be read differs from the message, the channel gives Rasa the parse of that together with
the message (UserMessage.parse_data), and Rasa stores the message in full with that parse.

If handling a message fails, the person gets an apology (SORRY) instead of Rasa's silence.

Before any of that, a message over the fair-use limits is turned away with a polite note, unread and
unstored, unless it describes an emergency or a crisis (components/channels/fair_use.py).
"""

from __future__ import annotations

import json
import logging
import re
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Collection, Optional

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.constants import USER_INTENT_BACK, USER_INTENT_RESTART, USER_INTENT_SESSION_START
from sanic import Sanic
from sanic.exceptions import SanicException

from bot.emergency import IF_URGENT
from bot.extract import MAX_TEXT_CHARS
from bot.wording import wording
from components.channels.fair_use import turned_away

logger = logging.getLogger(__name__)

# Enough for about 800 words; a longer message is read up to here (see the module docstring for the cost).
# The same limit as the findings extractor's, which the check-in's actions use on the stored text.
MAX_READ_CHARS = MAX_TEXT_CHARS
ONLY_THE_BEGINNING = wording("reading_only_the_beginning", characters=f"{MAX_READ_CHARS:,}")
SORRY = wording("reading_went_wrong", if_urgent=IF_URGENT)
# A payload as our buttons send it: "/intent" or "/intent{json object}", nothing before or after.
WELL_FORMED_PAYLOAD = re.compile(r"/(?P<intent>[A-Za-z0-9_-]+)(?P<entities>\{.*\})?", re.DOTALL)
LEADING_SLASHES = re.compile(r"^[\s/]+")
# Rasa's intents that change the conversation itself and say nothing; read as words (see above).
CONVERSATION_CONTROLS = frozenset({USER_INTENT_RESTART, USER_INTENT_BACK, USER_INTENT_SESSION_START})

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def is_well_formed_payload(text: str) -> bool:
    """True for "/intent" or "/intent{json object}" and nothing else."""
    match = WELL_FORMED_PAYLOAD.fullmatch(text)
    if match is None:
        return False
    if match.group("entities") is None:
        return True
    try:
        return isinstance(json.loads(match.group("entities")), dict)
    except ValueError:
        return False


def is_obeyed_payload(text: str, intents: Optional[Collection[str]] = None) -> bool:
    """True when Rasa should take `text` as an intent payload rather than as words: well formed, not a
    conversation control, and, where the domain's `intents` are given, one of them ("/start", a bot command
    in Telegram and often typed elsewhere, is read as the word "start")."""
    if not is_well_formed_payload(text):
        return False
    intent = WELL_FORMED_PAYLOAD.fullmatch(text)["intent"]  # type: ignore[index]
    return intent not in CONVERSATION_CONTROLS and (intents is None or intent in intents)


def reading_of(text: str, intents: Optional[Collection[str]] = None) -> str:
    """What the assistant reads of a message: its beginning if it is over-long, and the words of a payload it
    should not obey without the leading "/" (so that Rasa's payload parser leaves it alone)."""
    reading = text.strip()[:MAX_READ_CHARS]
    if reading.startswith("/") and not is_obeyed_payload(reading, intents):
        reading = LEADING_SLASHES.sub("", reading)
    return reading


def running_agent() -> Optional[Agent]:
    """The Agent of the running Rasa server, for a channel with no request at hand (Socket.IO). Rasa creates
    one Sanic app per process (`rasa run`, with or without the HTTP API); without one, there is none."""
    try:
        return getattr(Sanic.get_app().ctx, "agent", None)
    except SanicException:
        return None


async def with_reading(agent: Optional[Agent], message: UserMessage) -> UserMessage:
    """`message`, with the parse of what should be read when that is not the message itself."""
    text = message.text or ""
    domain = getattr(agent, "domain", None) if agent is not None else None
    reading = reading_of(text, domain.intents if domain is not None else None)
    if reading != text.strip() and message.parse_data is None and agent is not None and agent.is_ready():
        message.parse_data = {**await agent.parse_message(reading), "text": text.strip()}
    return message


async def handle_carefully(
    message: UserMessage,
    on_new_message: OnNewMessage,
    agent: Optional[Agent],
    client: Optional[str] = None,
    admitted: bool = False,
) -> None:
    """Hands `message` to Rasa (`on_new_message`, a channel's callback) to be read as described above; then
    says so if only its beginning was read, or apologises if it could not be answered. `client` is the
    address it came from, where that is a person's (fair_use.client_of); `admitted`, that the channel has
    already applied the limits itself (REST, whose 429 must come before a streamed response starts)."""
    output, sender = message.output_channel, message.sender_id
    if not admitted and await turned_away(message, client):
        return
    try:
        await on_new_message(await with_reading(agent, message))
    except CancelledError:
        logger.error("handling a %s message was cancelled (a timeout)", message.input_channel)
        await output.send_text_message(sender, SORRY)
    except Exception:
        # Without the message's text: it may be health data.
        logger.exception("handling a %s message failed", message.input_channel)
        await output.send_text_message(sender, SORRY)
    if len((message.text or "").strip()) > MAX_READ_CHARS:
        await output.send_text_message(sender, ONLY_THE_BEGINNING)
