"""The REST channel, POST /webhooks/rest/webhook: Rasa's, with a clear 400 for a request it cannot read, and
a guard on what the assistant reads.

Rasa 3.6's RestInput reads the body without checks: JSON that is not an object answers 500, a missing or
non-string "message" gets 200 and no reply, a sender that is not a string becomes its Python repr, a missing
sender puts everyone who leaves it out into one shared conversation ("default"), and a body that is not JSON
gets an HTML error page unless it is labelled as JSON. Here such a request gets 400 (413 when it is too
large) and a JSON object saying what is wrong, and nothing is stored. The body is read as JSON whatever its
Content-Type, as Rasa does, so `curl -d '{"sender": ..., "message": ...}'` (sent as a form) keeps working.

Only an integrator with a token reaches it: `Authorization: Bearer <token>`, each token opening its own
namespace of conversations (bot/identity.py; TWITCHCHECK_REST_TOKENS, TWITCHCHECK_REST_TOKEN). The sender a
caller names is filed as `rest:<namespace>:<sender>`, so no caller reaches a web, Slack or Telegram person,
nor another integrator's. Without a token a request gets 401, except under `make run`
(TWITCHCHECK_REST_OPEN_ON_LOOPBACK=1) from this machine itself, directly and not through a proxy, which is
the default namespace. Replies name the sender as the caller named it.

A request that can be read is handled as before: every message, even an empty one, is stored and answered,
read as every channel reads it (components/channels/reading.py: malformed payloads and Rasa's conversation
controls as words, an over-long message from its beginning, an apology instead of silence when handling
fails).

A request over the fair-use limits gets 429 with Retry-After instead, unstored
(components/channels/fair_use.py).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
from asyncio import Queue
from typing import Any, Awaitable, Callable, Dict, Optional, Union

import rasa.utils.endpoints
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.channels.rest import QueueOutputChannel, RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from bot.identity import DEFAULT_NAMESPACE, MAX_REST_SENDER_CHARS, RestTokens, rest_id
from components.channels.fair_use import refused_request
from components.channels.reading import handle_carefully

logger = logging.getLogger(__name__)

# Room for a 20,000-character message even when every character is escaped in JSON (12 bytes for an emoji),
# and far below Sanic's 100 MB: everything accepted is stored and sent to the action server on every turn.
MAX_BODY_BYTES = 1_000_000
# Sanic's own limit sits just above ours, so that REST's own clear 413 (with its JSON reason) still answers a
# body just over the limit, and anything far larger is refused before it is read.
BODY_HEADROOM_BYTES = 64_000
# Rasa's SQL tracker store keeps the conversation id in a VARCHAR(255), prefix included (bot/identity.py).
MAX_SENDER_CHARS = MAX_REST_SENDER_CHARS
OPEN_ON_LOOPBACK = "TWITCHCHECK_REST_OPEN_ON_LOOPBACK"
# Headers a proxy adds: a request that came through one is not "from this machine", whatever its socket says.
FORWARDED_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
UNAUTHORIZED = (
    "This REST channel needs a token: send 'Authorization: Bearer <token>' with a token from the "
    "operator (README: 'Connecting over REST')."
)

EXAMPLE = '{"sender": "someone", "message": "can coffee make my muscles twitch?"}'


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


def as_sent_to(sender: str, reply: Dict[str, Any]) -> Dict[str, Any]:
    """A reply as the caller sees it: addressed to the sender it named, not to the namespaced id."""
    return {**reply, "recipient_id": sender} if "recipient_id" in reply else reply


def from_this_machine(request: Request) -> bool:
    """Sent from loopback straight to Rasa, not relayed by a proxy on this machine."""
    try:
        loopback = ipaddress.ip_address(request.ip).is_loopback
    except ValueError:
        loopback = False
    return loopback and not any(header in request.headers for header in FORWARDED_HEADERS)


class RestChannel(RestInput):
    """Rasa's REST channel under its own name, "rest", with the checks and the guard described above."""

    def __init__(self, tokens: Optional[RestTokens] = None, open_on_loopback: bool = False) -> None:
        self.tokens = tokens if tokens is not None else RestTokens({})
        self.open_on_loopback = open_on_loopback

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> RestChannel:
        channel = cls(RestTokens.from_environment(os.environ), os.environ.get(OPEN_ON_LOOPBACK) == "1")
        if not channel.tokens and not channel.open_on_loopback:
            logger.warning(
                "The REST channel has no token (TWITCHCHECK_REST_TOKEN or TWITCHCHECK_REST_TOKENS): it "
                "refuses every request."
            )
        return channel

    def namespace(self, request: Request) -> Optional[str]:
        """The caller's namespace: its token's, or the default one for make run's own machine; else None."""
        authorization = request.headers.get("authorization")
        if authorization:
            return self.tokens.namespace(authorization)
        if self.open_on_loopback and from_this_machine(request):
            return DEFAULT_NAMESPACE
        return None

    async def _handle(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        fields: Dict[str, Any],
        output: OutputChannel,
    ) -> None:
        message = UserMessage(
            fields["message"],
            output,
            rest_id(fields["namespace"], fields["sender"]),
            input_channel=fields.get("input_channel") or self.name(),
            metadata=fields.get("metadata"),
        )
        agent = getattr(request.app.ctx, "agent", None)
        await handle_carefully(message, on_new_message, agent, admitted=True)  # limits: see receive()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.listener("before_server_start")
        async def refuse_large_bodies(app: Any, loop: Any) -> None:
            # Sanic buffers up to 100 MB by default before any route sees a body; no channel needs more than
            # this, so every one (REST, Socket.IO's polling, Slack, Telegram) refuses it with a 413 first.
            app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES + BODY_HEADROOM_BYTES

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            namespace = self.namespace(request)
            if namespace is None:
                return response.json(
                    {"error": UNAUTHORIZED}, status=401, headers={"WWW-Authenticate": 'Bearer realm="rest"'}
                )
            try:
                fields = {**read_request(request.body), "namespace": namespace}
            except UnreadableRequest as problem:
                return response.json({"error": str(problem)}, status=problem.status)
            conversation = rest_id(namespace, fields["sender"])
            too_many = await refused_request(request, fields["message"], conversation)
            if too_many is not None:
                return too_many  # 429: over the fair-use limits, not stored (components/channels/fair_use.py)
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(
                    self._streamed(request, on_new_message, fields), content_type="text/event-stream"
                )
            collector = CollectingOutputChannel()
            await self._handle(request, on_new_message, fields, collector)
            return response.json([as_sent_to(fields["sender"], reply) for reply in collector.messages])

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
                await resp.write(json.dumps(as_sent_to(fields["sender"], reply)) + "\n")
            await task

        return stream
