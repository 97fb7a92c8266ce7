"""Slack: Rasa's channel, plus a card for the assessment, no duplicate replies to Slack's retries, and a
configurable Web API address.

- Slack retries an event it thinks was not delivered (X-Slack-Retry-Num). Rasa skips only retries whose
  reason is `http_timeout`; here any event or button click already handled is acknowledged and skipped,
  by its id. With REDIS_URL set the ids are shared in Redis, so a retry or a replayed signed request that
  reaches another replica is skipped too; without it, each process keeps its own.
- The assessment payload becomes Slack blocks; Rasa would post it as raw chat.postMessage arguments.
- SLACK_API_URL points the Web API client elsewhere (the tests' loopback Slack); unset, it is Slack's.
- A message in a channel or a group (an @mention) is answered by direct message: no health reply is ever
  posted where others read it.
- A person is filed as `slack:<team>:<user>` (bot/identity.py): a Slack user id is visible to the whole
  workspace, and only a request signed by Slack, from this person in that team, reaches their conversation.
- A message is read as every channel reads it (components/channels/reading.py): malformed payloads and Rasa's
  conversation controls as words, an over-long message from its beginning, an apology instead of silence.
Signatures and timestamps (unsigned, wrongly signed or older than five minutes) are checked by Rasa.
"""

from __future__ import annotations

import json
import logging
import os
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, List, Optional

import redis
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import response
from sanic.request import Request
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards import assessment_card
from bot.identity import address_of, channel_of, slack_id
from components.channels.reading import handle_carefully

logger = logging.getLogger(__name__)
# Slack's direct-message conversations have ids starting with D; channels C, private groups G.
DIRECT_MESSAGE_PREFIX = "D"
SEEN_EVENTS_KEPT = 10_000
# Slack retries for about an hour at most; a delivery is remembered a little longer than that.
DELIVERY_KEPT_SECONDS = 2 * 3600
DELIVERY_KEY_PREFIX = "twitchcheck:slack-delivery:"
# Payloads with nothing to show in Slack: the emergency instruction was already sent as text, and "your data
# is deleted" is for the web widget, which then forgets its copy.
SILENT_PAYLOADS = frozenset({"emergency", "data_deleted"})
# A request with no team (Slack always sends one) is still kept apart from every real team.
NO_TEAM = "-"


def assessment_blocks(payload: Dict[str, Any]) -> List[Dict[str, Any]]:
    card = assessment_card(payload)

    def section(text: str) -> Dict[str, Any]:
        return {"type": "section", "text": {"type": "plain_text", "text": text[:2900]}}

    blocks: List[Dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{card.mark} {card.title}"}},
        section(card.what_to_do),
    ]
    blocks += [section(text) for text in (card.why_section, card.triggers_section) if text]
    if card.if_worse:
        blocks.append(section(card.if_worse_line))
    context = f"{card.sources_line}. " if card.sources else ""
    blocks.append(
        {"type": "context", "elements": [{"type": "plain_text", "text": context + card.not_a_diagnosis}]}
    )
    return blocks


class SlackCards(SlackBot):
    def __init__(
        self,
        token: str,
        slack_channel: Optional[str] = None,
        thread_id: Optional[str] = None,
        proxy: Optional[str] = None,
    ) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        api_url = os.environ.get("SLACK_API_URL")
        if api_url:
            self.client = AsyncWebClient(token, base_url=api_url.rstrip("/") + "/", proxy=proxy)

    async def _post_message(self, channel: str, **kwargs: Any) -> None:
        # Rasa posts to the conversation id when no Slack channel is known: that is the user, not our id.
        if channel_of(channel) is not None:
            channel = address_of(channel)
        await super()._post_message(channel, **kwargs)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        kind = json_message.get("type")
        if kind == "assessment":
            card = assessment_card(json_message)
            await self._post_message(
                channel=self.slack_channel or recipient_id,
                text=f"{card.title}. {card.what_to_do}",
                blocks=assessment_blocks(json_message),
            )
        elif kind in SILENT_PAYLOADS:
            return
        else:
            await super().send_custom_json(recipient_id, json_message, **kwargs)


class DeliveriesSeen:
    """Which Slack deliveries were handled already: in Redis when REDIS_URL is set, so that a retry (or a
    replayed signed request) that reaches another replica is not handled twice; else in this process.
    If Redis cannot be reached, this process's memory decides: a message is never dropped for it."""

    def __init__(self, redis_url: Optional[str] = None, kept: int = SEEN_EVENTS_KEPT) -> None:
        self._local: OrderedDict[str, bool] = OrderedDict()
        self._kept = kept
        self._redis = redis.Redis.from_url(redis_url, socket_timeout=1) if redis_url else None

    def first_time(self, delivery: str) -> bool:
        if self._redis is not None:
            try:
                key = f"{DELIVERY_KEY_PREFIX}{delivery}"
                return bool(self._redis.set(key, 1, nx=True, ex=DELIVERY_KEPT_SECONDS))
            except redis.RedisError as error:
                logger.warning("Redis unreachable for Slack deliveries, deciding in this process: %s", error)
        if delivery in self._local:
            return False
        self._local[delivery] = True
        while len(self._local) > self._kept:
            self._local.popitem(last=False)
        return True


def _person(request: Request) -> Optional[str]:
    """The Slack user who wrote or pressed a button, from an event or an interaction payload."""
    try:
        if request.headers.get("content-type") == "application/json":
            return (request.json.get("event") or {}).get("user")
        payload = json.loads(request.form["payload"][0])
        return (payload.get("user") or {}).get("id")
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None


def _team(request: Request) -> str:
    """The Slack workspace the request comes from, from an event or an interaction payload."""
    try:
        if request.headers.get("content-type") == "application/json":
            team = (request.json or {}).get("team_id")
        else:
            payload = json.loads(request.form["payload"][0])
            team = (payload.get("team") or {}).get("id") or (payload.get("user") or {}).get("team_id")
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        team = None
    return team if isinstance(team, str) and team else NO_TEAM


def _delivery_id(request: Request) -> Optional[str]:
    """Slack's id for this event, or for this button click; the same in every retry of it."""
    try:
        if request.headers.get("content-type") == "application/json":
            return (request.json or {}).get("event_id")
        payload = json.loads(request.form["payload"][0])
        action = (payload.get("actions") or [{}])[0]
        return f"{payload.get('user', {}).get('id')}:{action.get('action_ts')}:{payload.get('trigger_id')}"
    except (KeyError, IndexError, TypeError, ValueError):
        return None


class Slack(SlackInput):
    @classmethod
    def name(cls) -> str:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        channel = super().from_credentials(credentials)
        channel.seen = DeliveriesSeen(os.environ.get("REDIS_URL") or None)
        return channel

    def get_metadata(self, request: Request) -> Dict[str, Any]:
        """As Rasa's, but a message in a channel or group (an @mention) is answered in a direct message to the
        person: every member of a channel would read a health reply posted there."""
        metadata = super().get_metadata(request)
        channel, person = metadata.get("out_channel"), _person(request)
        if channel and person and not str(channel).startswith(DIRECT_MESSAGE_PREFIX):
            return {**metadata, "out_channel": person, "thread_id": None}
        return metadata

    def get_output_channel(
        self, channel: Optional[str] = None, thread_id: Optional[str] = None
    ) -> OutputChannel:
        return SlackCards(self.slack_token, channel or self.slack_channel, thread_id, self.proxy)

    async def process_message(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        sender_id: Optional[str],
        metadata: Optional[Dict],
    ) -> Any:
        delivery = _delivery_id(request)
        if delivery is not None and not self.seen.first_time(delivery):
            logger.info(
                "skipped a repeated Slack delivery (retry %s)", request.headers.get("x-slack-retry-num")
            )
            return response.text("", headers={"X-Slack-No-Retry": "1"})
        agent = getattr(request.app.ctx, "agent", None)

        async def read_carefully(message: UserMessage) -> None:
            # Rasa builds the UserMessage (and answers Slack at once, handling it in the background).
            await handle_carefully(message, on_new_message, agent)

        person = slack_id(_team(request), sender_id) if sender_id else sender_id
        return await super().process_message(request, read_carefully, text, person, metadata)
