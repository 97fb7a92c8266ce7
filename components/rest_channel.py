"""The REST channel, POST /webhooks/rest/webhook: Rasa's, with a clear 400 for a request it cannot read, and
a guard on what the assistant reads.

Rasa 3.6's RestInput reads the body without checks: JSON that is not an object answers 500, a missing or
non-string "message" gets 200 and no reply, a sender that is not a string becomes its Python repr, a missing
sender puts everyone who leaves it out into one shared conversation ("default"), and a body that is not JSON
gets an HTML error page unless it is labelled as JSON. Here such a request gets 400 (413 when it is too
large) and a JSON object saying what is wrong, and nothing is stored. The body is read as JSON whatever its
Content-Type, as Rasa does, so `curl -d '{"sender": ..., "message": ...}'` (sent as a form) keeps working.

A request that can be read is handled as before: every message, even an empty one, is stored and answered.
Two kinds of message are read differently from how Rasa would read them (see `reading_of`):

- A malformed intent payload ("/inform{bad", '/inform{"x": 1} and more') is read as ordinary words. Rasa
  would act on the part it can parse: start the check-in for "/inform{bad", take "/affirm{x" as a yes, and
  an emergency written after a payload would lose to the payload's intent, because Rasa's payload parser
  runs after every NLU component, DeterministicIntents included. As words, it gets the emergency screen and
  the classifiers, usually the "did you mean" topics. Well-formed payloads (our buttons) are unchanged.
- Past MAX_READ_CHARS only the beginning is read, and the reply ends by saying so (at the end, so that an
  emergency instruction still comes first); the whole message is still stored. Reading costs more than in
  proportion to length (the findings extractor alone: 0.5 s at 10,000 characters, 6 s at 40,000; all of NLU
  32 s at 80,000, on the project's 2-core machine), and one Rasa process reads one message at a time, so an
  unbounded message would hold everyone up.

If handling a message fails, the reply ends with an apology instead of Rasa's silent empty list.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from asyncio import CancelledError, Queue
from typing import Any, Awaitable, Callable, Dict, Optional, Union

import rasa.utils.endpoints
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.channels.rest import QueueOutputChannel, RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

logger = logging.getLogger(__name__)

# Enough for about 800 words; a longer message is read up to here (see the module docstring for the cost).
MAX_READ_CHARS = 5_000
# Room for a 20,000-character message even when every character is escaped in JSON (12 bytes for an emoji),
# and far below Sanic's 100 MB: everything accepted is stored and sent to the action server on every turn.
MAX_BODY_BYTES = 1_000_000
# Rasa's SQL tracker store keeps the sender in a VARCHAR(255); PostgreSQL refuses a longer one.
MAX_SENDER_CHARS = 255

EXAMPLE = '{"sender": "someone", "message": "can coffee make my muscles twitch?"}'
ONLY_THE_BEGINNING = (
    f"Your message is longer than I can read at once, so I have read only the beginning (about the first "
    f"{MAX_READ_CHARS:,} characters). If there is more you want me to know, please send it in shorter "
    f"messages."
)
SORRY = (
    "Sorry, something went wrong on my side and I couldn't finish answering that. Please send it again. "
    "If this is urgent, such as trouble breathing, sudden weakness or drooping on one side, or a seizure, "
    "call your emergency number now (911, 999, 112 or 000)."
)
# A payload as our buttons send it: "/intent" or "/intent{json object}", nothing before or after.
WELL_FORMED_PAYLOAD = re.compile(r"/[A-Za-z0-9_-]+(?P<entities>\{.*\})?", re.DOTALL)
LEADING_SLASHES = re.compile(r"^[\s/]+")


class UnreadableRequest(ValueError):
    """The request is not a message Rasa can handle; `str()` says why, for the caller."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


def read_request(body: bytes) -> Dict[str, Any]:
    """The request's fields, checked: a string "message", a sender naming the conversation, and optional
    "metadata" (an object) and "input_channel" (a string)."""
    if len(body) > MAX_BODY_BYTES:
        raise UnreadableRequest(f"The request is too large: at most {MAX_BODY_BYTES:,} bytes.", status=413)
    try:
        fields = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise UnreadableRequest(f"The body must be JSON in UTF-8, for example {EXAMPLE}.") from None
    if not isinstance(fields, dict):
        raise UnreadableRequest(f"The body must be a JSON object, for example {EXAMPLE}.")
    if "message" not in fields:
        raise UnreadableRequest(f'"message" is missing, as in {EXAMPLE}.')
    if not isinstance(fields["message"], str):
        raise UnreadableRequest('"message" must be a string (it may be empty).')
    sender = fields.get("sender")
    if not isinstance(sender, str) or not sender or len(sender) > MAX_SENDER_CHARS:
        # Rasa would put every request without a sender into one conversation, "default": one person
        # would see another's check-in.
        raise UnreadableRequest(
            f'"sender" must be a non-empty string of at most {MAX_SENDER_CHARS} characters: it names the '
            f"conversation."
        )
    if fields.get("metadata") is not None and not isinstance(fields["metadata"], dict):
        raise UnreadableRequest('"metadata" must be a JSON object.')
    if fields.get("input_channel") is not None and not isinstance(fields["input_channel"], str):
        raise UnreadableRequest('"input_channel" must be a string.')
    return fields


def is_well_formed_payload(text: str) -> bool:
    match = WELL_FORMED_PAYLOAD.fullmatch(text)
    if match is None:
        return False
    if match.group("entities") is None:
        return True
    try:
        return isinstance(json.loads(match.group("entities")), dict)
    except ValueError:
        return False


def reading_of(text: str) -> str:
    """What the assistant reads of a message: its beginning if it is over-long, and a malformed payload's
    words without the leading "/" (so that Rasa's payload parser leaves it alone)."""
    reading = text.strip()[:MAX_READ_CHARS]
    if reading.startswith("/") and not is_well_formed_payload(reading):
        reading = LEADING_SLASHES.sub("", reading)
    return reading


async def user_message(
    agent: Optional[Agent],
    text: str,
    output: OutputChannel,
    sender: str,
    input_channel: str,
    metadata: Optional[Dict[str, Any]],
) -> UserMessage:
    """The message for Rasa. When the assistant should read something other than `text`, the parse of that
    is given with it, and Rasa stores `text` in full with that parse."""
    parse_data = None
    reading = reading_of(text)
    if reading != text.strip() and agent is not None and agent.is_ready():
        parse_data = {**await agent.parse_message(reading), "text": text.strip()}
    return UserMessage(
        text, output, sender, parse_data=parse_data, input_channel=input_channel, metadata=metadata
    )


class RestChannel(RestInput):
    """Rasa's REST channel under its own name, "rest", with the checks and the guard described above."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _handle(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        fields: Dict[str, Any],
        output: OutputChannel,
    ) -> None:
        text, sender = fields["message"], fields["sender"]
        try:
            message = await user_message(
                getattr(request.app.ctx, "agent", None),
                text,
                output,
                sender,
                fields.get("input_channel") or self.name(),
                fields.get("metadata"),
            )
            await on_new_message(message)
        except CancelledError:
            logger.error("handling a REST message was cancelled (a timeout)")
            await output.send_text_message(sender, SORRY)
        except Exception:
            logger.exception("handling a REST message failed")  # without its text: it may be health data
            await output.send_text_message(sender, SORRY)
        if len(text.strip()) > MAX_READ_CHARS:
            await output.send_text_message(sender, ONLY_THE_BEGINNING)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            try:
                fields = read_request(request.body)
            except UnreadableRequest as problem:
                return response.json({"error": str(problem)}, status=problem.status)
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(
                    self._streamed(request, on_new_message, fields), content_type="text/event-stream"
                )
            collector = CollectingOutputChannel()
            await self._handle(request, on_new_message, fields, collector)
            return response.json(collector.messages)

        return webhook

    def _streamed(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        fields: Dict[str, Any],
    ) -> Callable[[Any], Awaitable[None]]:
        """As Rasa's `?stream=true`: each reply as one JSON line as soon as it is ready."""

        async def stream(resp: Any) -> None:
            queue: Queue = Queue()
            done = object()

            async def handle() -> None:
                try:
                    await self._handle(request, on_new_message, fields, QueueOutputChannel(queue))
                finally:
                    await queue.put(done)

            task = asyncio.ensure_future(handle())
            while (reply := await queue.get()) is not done:
                await resp.write(json.dumps(reply) + "\n")
            await task

        return stream
