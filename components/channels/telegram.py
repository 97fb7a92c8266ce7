"""Telegram: Rasa's channel made safe to expose and testable on loopback.

- The webhook is registered when the server has started (setWebhook, after getMe confirms the token
  belongs to the bot named by TELEGRAM_VERIFY), with a secret token. Telegram sends it back in the header
  X-Telegram-Bot-Api-Secret-Token on every update; anything without it is refused. (Rasa calls getMe on
  every update instead, which checks nothing about the caller.)
- Button presses are acknowledged (answerCallbackQuery), a repeated update_id is answered once, "/start"
  greets, and a malformed update gets a 400 instead of a stack trace. A press with no message (Telegram
  no longer has it) is acknowledged and nothing more. An edited message is not answered again, unless it
  now describes an emergency or a crisis.
- Health conversations happen in private chats only: a group (where every member would read the replies, and
  all would share one diary) gets a short note to message the bot directly.
- A chat is filed as `telegram:<chat id>` (bot/identity.py), so no other channel can name it; replies go
  to the chat id itself.
- The assessment card is a short message with the level in words, mark and sources.
- A message is read as every channel reads it (components/channels/reading.py): malformed payloads and Rasa's
  conversation controls as words, an over-long message from its beginning, an apology instead of silence.
- TELEGRAM_API_URL points the client elsewhere, e.g. http://127.0.0.1:8081 (the tests'
  fake Bot API, or a self-hosted Bot API server); unset, it is Telegram's.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

import yaml
from aiogram import Bot
from aiogram.bot.api import TELEGRAM_PRODUCTION, TelegramAPIServer
from aiogram.types import Update
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.cards import assessment_card
from bot.identity import address_of, telegram_id
from bot.safety import must_be_met_at_once
from components.channels.reading import handle_carefully

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PRIVATE_CHAT = "private"
PRIVATE_CHATS_ONLY = "utter_private_chats_only"
DOMAIN_FILE = Path(__file__).resolve().parents[2] / "domain.yml"
UPDATES_KEPT = 10_000
# Payloads with nothing to show here: the emergency instruction was already sent as text, and "your data
# is deleted" is for the web widget, which then forgets its copy.
SILENT_PAYLOADS = frozenset({"emergency", "data_deleted"})


@functools.lru_cache(maxsize=1)
def private_chats_only() -> str:
    """The note a group gets: the domain's `utter_private_chats_only`, read once."""
    domain = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))
    return str(domain["responses"][PRIVATE_CHATS_ONLY][0]["text"])


def api_server() -> TelegramAPIServer:
    url = os.environ.get("TELEGRAM_API_URL")
    return TelegramAPIServer.from_base(url) if url else TELEGRAM_PRODUCTION


def webhook_secret(token: str) -> str:
    """TELEGRAM_SECRET_TOKEN, else one derived from the bot token (Telegram allows A-Z, a-z, 0-9, _ and -)."""
    configured = os.environ.get("TELEGRAM_SECRET_TOKEN")
    if configured:
        return configured
    return hmac.new(token.encode(), b"twitchcheck-telegram-webhook", hashlib.sha256).hexdigest()


class TelegramCards(TelegramOutput):
    """Replies to a conversation (`telegram:<chat>`) go to its chat; the assessment card is one message."""

    def __init__(self, access_token: Optional[str]) -> None:
        Bot.__init__(self, access_token, server=api_server())

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await super().send_text_message(address_of(recipient_id), text, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await super().send_image_url(address_of(recipient_id), image, **kwargs)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await super().send_text_with_buttons(address_of(recipient_id), text, buttons, **kwargs)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        recipient_id = address_of(recipient_id)
        kind = json_message.get("type")
        if kind == "assessment":
            card = assessment_card(json_message)
            lines = [f"{card.mark} {card.title}", card.what_to_do]
            if card.sources:
                lines.append(card.sources_line)
            lines.append(card.not_a_diagnosis)
            await self.send_message(recipient_id, "\n".join(lines))
        elif kind in SILENT_PAYLOADS:
            return
        else:
            await super().send_custom_json(recipient_id, json_message, **kwargs)


class Telegram(TelegramInput):
    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(credentials.get("access_token"), credentials.get("verify"), credentials.get("webhook_url"))

    def get_output_channel(self) -> TelegramCards:
        return TelegramCards(self.access_token)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("telegram_webhook", __name__)
        secret = webhook_secret(self.access_token)
        seen: OrderedDict[int, bool] = OrderedDict()
        bot: Dict[str, TelegramCards] = {}

        @webhook.listener("after_server_start")
        async def register_webhook(app: Any, loop: Any) -> None:
            out = self.get_output_channel()
            me = await out.get_me()
            if me.username != self.verify:
                logger.error(
                    "TELEGRAM_TOKEN belongs to @%s, not @%s: webhook not set", me.username, self.verify
                )
                return
            await out.request("setWebhook", {"url": self.webhook_url, "secret_token": secret})
            bot["out"] = out
            logger.info("Telegram webhook registered for @%s", me.username)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if bot else "not registered"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
                return response.text("forbidden", status=403)
            out = bot.get("out")
            if out is None:
                return response.text("not ready", status=503)
            try:
                raw = request.json
                update = Update(**raw)
                update_id = int(raw["update_id"])
            except Exception:  # noqa: BLE001 (any malformed body: JSON, fields or types)
                return response.text("malformed update", status=400)
            if update_id in seen:
                return response.text("success")
            seen[update_id] = True
            while len(seen) > UPDATES_KEPT:
                seen.popitem(last=False)

            if update.callback_query:
                await out.answer_callback_query(update.callback_query.id)
                pressed = update.callback_query.message
                if pressed is None or not update.callback_query.data:
                    # A button of a message Telegram no longer has, or of an inline result: no chat to
                    # answer in, and nothing was asked.
                    return response.text("success")
                chat, text = pressed.chat, update.callback_query.data
            elif update.edited_message:
                # An edit is not a new message (answering it again would log a twitch twice), unless it now
                # says something that must be met at once: an emergency or a crisis.
                edited = update.edited_message
                if not edited.text or not must_be_met_at_once(edited.text):
                    return response.text("success")
                chat, text = edited.chat, edited.text
            else:
                message = update.message
                if message is None or not message.text:
                    return response.text("success")  # stickers, joins and the like: nothing to answer
                chat, text = message.chat, message.text
            if chat.type != PRIVATE_CHAT:
                # A group's members would all read the replies, and share one conversation: health talk only
                # happens in a private chat with the bot.
                await out.send_message(chat.id, private_chats_only())
                return response.text("success")
            if text.strip() == "/start":
                text = "/greet"
            await handle_carefully(
                UserMessage(text, out, telegram_id(chat.id), input_channel=self.name(), metadata=None),
                on_new_message,
                getattr(request.app.ctx, "agent", None),
            )
            return response.text("success")

        return webhook
