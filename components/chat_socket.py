"""The web chat's Socket.IO channel: Rasa's, with three fixes the widget needs.

- Custom payloads (the assessment card) arrive as `{"custom": {...}}`. Rasa 3.6's SocketIOOutput passes
  them to `emit()` as keyword arguments, which fails for any payload that is not emit's own arguments.
- Only the chat page's origins may connect (TWITCHCHECK_CHAT_ORIGINS, space separated; by default the page
  `make run` serves on port 8000). Rasa allows every origin, and with --cors sends the CORS header twice.
- A malformed message (no data, not an object, no text, text that is not a string) gets a clear reply
  instead of an exception in the server log and silence in the widget.
- A message is read as every channel reads it (components/reading.py): malformed payloads and Rasa's
  conversation controls as words, an over-long message from its beginning, an apology instead of silence,
  and limited per session and per client address (components/fair_use.py).
"""

from __future__ import annotations

import logging
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from components.fair_use import client_of_socket
from components.reading import handle_carefully, running_agent

logger = logging.getLogger(__name__)
DEFAULT_ORIGINS = "http://localhost:8000 http://127.0.0.1:8000"
UNREADABLE = "Sorry, I couldn't read that message. Please type your question again."


def chat_origins() -> List[str]:
    return os.environ.get("TWITCHCHECK_CHAT_ORIGINS", DEFAULT_ORIGINS).split()


class ChatSocketOutput(SocketIOOutput):
    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class ChatSocket(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        channel = super().from_credentials(credentials)
        channel.origins = chat_origins()
        return channel

    def get_output_channel(self) -> Optional[ChatSocketOutput]:
        return None if self.sio is None else ChatSocketOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socket_blueprint = super().blueprint(on_new_message)
        sio = self.sio
        # Engine.IO refuses a connection from any other origin, WebSocket included (browsers apply no CORS
        # to WebSockets). It must not add CORS headers itself: Rasa's --cors (scripts/run.sh passes the
        # same origins) already adds them to every route, and a browser refuses a response with two.
        sio.eio.cors_allowed_origins = getattr(self, "origins", chat_origins())
        sio.eio._cors_headers = lambda environ: []

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None) -> None:  # None: emitted without data
            output = ChatSocketOutput(sio, self.bot_message_evt)
            fields = data if isinstance(data, dict) else {}
            session = fields.get("session_id") if self.session_persistence else sid
            text = fields.get("message")
            if not isinstance(session, str) or not session or not isinstance(text, str):
                await sio.emit(self.bot_message_evt, {"text": UNREADABLE}, room=sid)
                return
            metadata = fields.get(self.metadata_key)
            message = UserMessage(
                text,
                output,
                session,
                input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else None,
            )
            client = client_of_socket(sio, sid, self.namespace)
            await handle_carefully(message, on_new_message, running_agent(), client=client)

        return socket_blueprint
