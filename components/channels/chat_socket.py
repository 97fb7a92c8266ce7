"""The web chat's Socket.IO channel: Rasa's, with the fixes the widget needs.

- Sessions are issued by the server (bot/identity.py, WebSessions): a random key with its HMAC under
  TWITCHCHECK_SESSION_SECRET. Rasa would take any session id the client names and join it to that
  conversation, so a second client asking for someone's id would receive their replies. Here a client
  that asks for an id this server did not issue (another person's, a guessed one, one it made up) gets a
  new session; a message goes to the conversation of the session its own socket holds, whatever id the
  message names; and replies reach only the sockets that hold that session. A conversation is filed as
  `web:<key>`; the signature never leaves the browser and the server's memory.

- Custom payloads (the assessment card) arrive as `{"custom": {...}}`. Rasa 3.6's SocketIOOutput passes
  them to `emit()` as keyword arguments, which fails for any payload that is not emit's own arguments.
- Only the chat page's origins may connect (TWITCHCHECK_CHAT_ORIGINS, space separated; by default the page
  `make run` serves on port 8000). Rasa allows every origin, and with --cors sends the CORS header twice.
- A malformed message (no data, not an object, no text, text that is not a string) gets a clear reply
  instead of an exception in the server log and silence in the widget.
- A web reminder (bot/storage/reminders.py) whose day has come is shown when the person next opens the widget:
  right after their session is confirmed, with its buttons, marked so the widget can raise a browser
  notification if the person allowed one. It is taken in one transaction, so two tabs show it once.
- A message is read as every channel reads it (components/channels/reading.py): malformed payloads and Rasa's
  conversation controls as words, an over-long message from its beginning, an apology instead of silence,
  and limited per session and per client address (components/channels/fair_use.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import secrets
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Dict, List, Optional

import sqlalchemy as sa
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from bot.identity import WebSessions
from bot.reminder_delivery import reminder_buttons, reminder_text
from bot.storage.engine import create_engine
from bot.storage.reminders import Reminder, Reminders
from bot.wording import wording
from components.channels.fair_use import client_of_socket
from components.channels.reading import handle_carefully, running_agent

logger = logging.getLogger(__name__)
DEFAULT_ORIGINS = "http://localhost:8000 http://127.0.0.1:8000"
UNREADABLE = wording("socket_unreadable")


SESSION_SECRET = "TWITCHCHECK_SESSION_SECRET"
SESSION_CONFIRM = "session_confirm"
# How the widget knows a message is a reminder (web/chat.js): the custom part of the message.
REMINDER_MARK = {"type": "reminder"}


@functools.lru_cache(maxsize=1)
def _reminders() -> Reminders:
    return Reminders(create_engine())


def reminder_message(reminder: Reminder) -> Dict[str, Any]:
    """A due reminder as the widget receives a reply: its text, its buttons, and the mark of a reminder."""
    buttons = [{"content_type": "text", "title": button.title, "payload": button.payload}
               for button in reminder_buttons()]
    return {"text": reminder_text(reminder), "quick_replies": buttons, "custom": dict(REMINDER_MARK)}


def due_web_reminders(conversation: str) -> List[Reminder]:
    """The person's web reminders whose day has come, taken; none (and logged) if the database fails, so
    they wait for the next visit instead of the session failing."""
    try:
        return _reminders().take_due_web(conversation, datetime.now(timezone.utc))
    except sa.exc.SQLAlchemyError as error:
        logger.error("web reminders could not be read: %s", type(error).__name__)
        return []


def session_secret() -> bytes:
    """TWITCHCHECK_SESSION_SECRET, shared by every Rasa process and replica; without it, one made up for this
    process, so sessions last until it restarts (make run keeps one in .rasa/session_secret)."""
    configured = os.environ.get(SESSION_SECRET, "")
    if configured:
        return configured.encode()
    logger.warning("%s is not set: web chat sessions end when this process restarts", SESSION_SECRET)
    return secrets.token_bytes(32)


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
        sessions = WebSessions(session_secret())
        held: Dict[str, str] = {}  # socket id -> the conversation of the session it holds

        async def open_session(sid: str, asked: Any) -> str:
            """Joins the socket to the session it asked for if this server issued it, else to a new one."""
            conversation = sessions.conversation_of(asked)
            session_id = asked if conversation else sessions.issue()
            conversation = conversation or sessions.conversation_of(session_id)
            previous = held.get(sid)
            if previous and previous != conversation:
                sio.leave_room(sid, previous, namespace=self.namespace)
            held[sid] = conversation
            sio.enter_room(sid, conversation, namespace=self.namespace)
            await sio.emit(SESSION_CONFIRM, session_id, room=sid)
            return conversation

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            conversation = await open_session(sid, data.get("session_id") if isinstance(data, dict) else None)
            for reminder in await asyncio.to_thread(due_web_reminders, conversation):
                await sio.emit(self.bot_message_evt, reminder_message(reminder), room=sid)

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str) -> None:
            held.pop(sid, None)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None) -> None:  # None: emitted without data
            output = ChatSocketOutput(sio, self.bot_message_evt)
            fields = data if isinstance(data, dict) else {}
            text = fields.get("message")
            if not isinstance(text, str):
                await sio.emit(self.bot_message_evt, {"text": UNREADABLE}, room=sid)
                return
            # The session this socket holds, never the one the message names; a socket that sends before
            # asking for a session is given one, so its message is not lost.
            session = held.get(sid) or await open_session(sid, fields.get("session_id"))
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
