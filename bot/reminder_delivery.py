"""Sending due reminders: claim, send over the platform's own API, mark sent (or give back to retry).

Telegram reminders go through the Bot API's sendMessage, Slack ones through the Web API's chat.postMessage,
with the tokens and base URLs the channels use (TELEGRAM_TOKEN and TELEGRAM_API_URL, SLACK_TOKEN and
SLACK_API_URL; unset URLs are the platforms' own). A channel whose token is unset is not claimed at all, so
its reminders wait for a worker that can send them. Web reminders are not sent: the widget shows them when
it next opens (bot/storage/reminders.py, `take_due_web`).

The words are data/wording.yml's `reminder_check_back`, sent with two buttons
(`reminder_start_recheck_button`, payload /start_recheck, and `reminder_stop_button`, /stop_reminders): on
Telegram an inline keyboard whose callback_data is the payload, on Slack a block of buttons whose value is the
payload; Rasa's channels turn a press into that message. Only ids and counts are logged, never an address or a
message. `python -m scripts.reminders` runs a worker.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Mapping, Protocol

from bot.identity import SLACK, TELEGRAM
from bot.storage.models import as_utc
from bot.storage.reminders import DEFAULT_LEASE, Reminder, Reminders, retry_delay
from bot.wording import wording

log = logging.getLogger(__name__)
TELEGRAM_API = "https://api.telegram.org"
SLACK_API = "https://slack.com/api/"
SEND_TIMEOUT_SECONDS = 10.0
# Reminders claimed at a time: 10 sends of at most 10 s each end well inside the 5-minute lease.
CLAIM_BATCH = 10


class SendFailed(Exception):
    """The platform did not take the message. `retry_after` is how long it asked us to wait, if it said."""

    def __init__(self, reason: str, retry_after: timedelta | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


# A reminder's buttons: what each says (a data/wording.yml key) and the message a press sends.
START_RECHECK_PAYLOAD = "/start_recheck"
STOP_REMINDERS_PAYLOAD = "/stop_reminders"
REMINDER_BUTTONS = (
    ("reminder_start_recheck_button", START_RECHECK_PAYLOAD),
    ("reminder_stop_button", STOP_REMINDERS_PAYLOAD),
)


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


def reminder_buttons() -> tuple[Button, ...]:
    return tuple(Button(wording(key), payload) for key, payload in REMINDER_BUTTONS)


class Sender(Protocol):
    def send(self, address: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        """Sends `text` with `buttons` to `address`, or raises SendFailed."""


def _post_json(url: str, body: Mapping[str, object], headers: Mapping[str, str]) -> tuple[int, dict, dict]:
    """POSTs JSON; the HTTP status, the JSON answer and the headers, whatever the status."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_SECONDS) as response:
            status, raw, answer_headers = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        status, raw, answer_headers = error.code, error.read(), dict(error.headers or {})
    except (OSError, ValueError) as error:  # refused, timed out, unreachable, bad URL
        # The host only: a Telegram URL's path holds the bot token.
        raise SendFailed(f"could not reach {urllib.parse.urlsplit(url).netloc}: {error}") from error
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = {}
    return status, answer if isinstance(answer, dict) else {}, answer_headers


def _seconds(value: object) -> timedelta | None:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return timedelta(seconds=seconds) if seconds > 0 else None


@dataclass(frozen=True)
class TelegramSender:
    """The Bot API's sendMessage, to a chat id."""

    token: str
    api_url: str = TELEGRAM_API

    def send(self, address: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        url = f"{self.api_url.rstrip('/')}/bot{self.token}/sendMessage"
        body: dict[str, object] = {"chat_id": address, "text": text}
        if buttons:
            # One button a row, as Rasa's Telegram channel lays out an inline keyboard.
            keyboard = [[{"text": b.title, "callback_data": b.payload}] for b in buttons]
            body["reply_markup"] = {"inline_keyboard": keyboard}
        status, answer, _ = _post_json(url, body, {})
        if status == 200 and answer.get("ok") is True:
            return
        retry_after = _seconds((answer.get("parameters") or {}).get("retry_after"))
        # Telegram's description names the kind of failure ("Forbidden: bot was blocked by the user").
        raise SendFailed(f"Telegram answered {status}: {answer.get('description')}", retry_after)


@dataclass(frozen=True)
class SlackSender:
    """The Web API's chat.postMessage, to a user id (the app's direct message with them) or a channel id."""

    token: str
    api_url: str = SLACK_API

    def send(self, address: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        url = f"{self.api_url.rstrip('/')}/chat.postMessage"
        headers = {"Authorization": f"Bearer {self.token}"}
        body: dict[str, object] = {"channel": address, "text": text}  # the text also shows in notifications
        if buttons:
            # As Rasa's Slack channel sends buttons, so that its block_actions reading gets the payload back.
            elements = [
                {"type": "button", "text": {"type": "plain_text", "text": b.title}, "value": b.payload}
                for b in buttons
            ]
            body["blocks"] = [
                {"type": "section", "text": {"type": "plain_text", "text": text}},
                {"type": "actions", "elements": elements},
            ]
        status, answer, answer_headers = _post_json(url, body, headers)
        if status == 200 and answer.get("ok") is True:
            return
        retry_after = _seconds({k.lower(): v for k, v in answer_headers.items()}.get("retry-after"))
        raise SendFailed(f"Slack answered {status}: {answer.get('error')}", retry_after)


def senders_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Sender]:
    """A sender for each channel whose token is set, at the API address the channel itself uses."""
    environ = os.environ if environ is None else environ
    senders: dict[str, Sender] = {}
    if environ.get("TELEGRAM_TOKEN"):
        senders[TELEGRAM] = TelegramSender(
            environ["TELEGRAM_TOKEN"], environ.get("TELEGRAM_API_URL") or TELEGRAM_API
        )
    if environ.get("SLACK_TOKEN"):
        senders[SLACK] = SlackSender(environ["SLACK_TOKEN"], environ.get("SLACK_API_URL") or SLACK_API)
    return senders


def reminder_text(reminder: Reminder) -> str:
    return wording("reminder_check_back", days=reminder.days)


def worker_name() -> str:
    """This worker's name in its claims: the host, the process and a random part (a restarted process with
    the same id is still another worker)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Delivered:
    """What one round did: the ids sent, and those given back to try again."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class DeliveryWorker:
    """Claims due reminders and sends them, a few at a time, until none is left to claim.

    The time comes from `clock` (scripts/reminders.py gives the system's; a test its own), read again for
    every claim and every mark: a claim records when it was made, so a claim dated at the start of a long
    round would expire early and let another worker send the same reminder. A batch is small enough that
    sending all of it, each send taking its longest, ends well inside the claim's lease."""

    def __init__(
        self,
        reminders: Reminders,
        senders: Mapping[str, Sender],
        clock: Callable[[], datetime] | None = None,
        name: str | None = None,
        batch: int = CLAIM_BATCH,
    ) -> None:
        if batch * SEND_TIMEOUT_SECONDS >= DEFAULT_LEASE.total_seconds() / 2:
            raise ValueError(f"a batch of {batch} could outlast its claim: send fewer at a time")
        self.reminders = reminders
        self.senders = dict(senders)
        self.clock = clock
        self.name = name or worker_name()
        self.batch = batch

    def deliver_due(self, now: datetime | None = None) -> Delivered:
        """One round: everything due by the clock (or by `now`, held still for this round)."""
        if now is None and self.clock is None:
            raise ValueError("a worker needs a clock, or the time of the round")
        clock: Callable[[], datetime] = self.clock if now is None else (lambda: now)  # type: ignore[assignment]
        done = Delivered()
        if not self.senders:
            return done
        while True:
            claimed = self.reminders.claim(clock(), self.name, limit=self.batch, channels=tuple(self.senders))
            if not claimed:
                return done
            for reminder in claimed:
                self._send(reminder, clock, done)

    def _send(self, reminder: Reminder, clock: Callable[[], datetime], done: Delivered) -> None:
        try:
            self.senders[reminder.channel].send(
                reminder.address or "", reminder_text(reminder), reminder_buttons()
            )
        except SendFailed as error:
            failed_at = as_utc(clock())
            wait = max(retry_delay(reminder.attempts), error.retry_after or timedelta(0))
            self.reminders.release(reminder.id, self.name, failed_at, retry_at=failed_at + wait)
            done.failed.append(reminder.id)
            log.warning("reminder %d not sent (%s), trying again in %s", reminder.id, error, wait)
            return
        if self.reminders.mark_sent(reminder.id, self.name, clock()):
            done.sent.append(reminder.id)
        else:
            log.warning("reminder %d was sent after it was cancelled or its claim passed on", reminder.id)
