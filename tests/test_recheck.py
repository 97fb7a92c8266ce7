"""Coming back to the person (issue 19), over the real stack and a loopback Telegram: the offer after a
check-in, consent, a reminder in 14 days stored with its date; two weeks later the reminder arrives with its
buttons, its "Start the re-check" starts the re-check, and a twitch that has now lasted three weeks is
advised a doctor's visit, with the reason. "Stop reminders" in the middle of a check-in; list and cancel."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest

from bot.identity import telegram_id
from bot.reminder_delivery import DeliveryWorker, TelegramSender
from bot.storage.engine import create_engine
from bot.storage.reminders import Reminders
from bot.storage.repository import Store
from tests import clock
from tests.conftest import MODEL, Stack
from tests.fakes import FakeApi, fake_telegram
from tests.test_telegram import BOT, SECRET, TOKEN, WEBHOOK_URL, message_update, post, sent_to

pytestmark = pytest.mark.server
# A check-in that ends in self care: five days of an eyelid twitch now and then, no warning sign.
SELF_CARE_ANSWERS = (
    "none of these",
    "my left eyelid",
    "about 5 days",
    "now and then",
    "none",
    "nope",
    "about 2 cups",
    "8 hours",
    "none",
    "none of these",
)
update_ids = iter(range(50_000, 10**6))


class Chat:
    """One person's private chat: what they send, and what the assistant sent back since."""

    def __init__(self, url: str, api: FakeApi, chat_id: int) -> None:
        self.url, self.api, self.chat_id = url, api, chat_id
        self.read = 0

    def replies(self) -> list[dict]:
        """What the assistant sent since the last look, once it has gone quiet."""
        self.api.settle(quiet=1.5)
        messages = sent_to(self.api, self.chat_id)
        new, self.read = messages[self.read :], len(messages)
        return new

    def say(self, text: str) -> list[dict]:
        update = message_update(self.chat_id, text, next(update_ids))
        assert post(self.url, json.dumps(update).encode()) == 200
        return self.replies()

    def press(self, payload: str) -> list[dict]:
        update = {
            "update_id": next(update_ids),
            "callback_query": {
                "id": f"cbq-{time.monotonic_ns()}",
                "from": {"id": self.chat_id, "is_bot": False, "first_name": "Sam"},
                "chat_instance": "ci",
                "data": payload,
                "message": {
                    "message_id": 7,
                    "date": int(time.time()),
                    "chat": {"id": self.chat_id, "type": "private"},
                },
            },
        }
        assert post(self.url, json.dumps(update).encode()) == 200
        return self.replies()


def text(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def buttons(messages: list[dict]) -> list[tuple[str, str]]:
    keyboards = [m["reply_markup"] for m in messages if m.get("reply_markup")]
    keyboards = [json.loads(k) if isinstance(k, str) else k for k in keyboards]
    return [(b["text"], b["callback_data"]) for k in keyboards for row in k["inline_keyboard"] for b in row]


@pytest.fixture(scope="module")
def telegram(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FakeApi, str]]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    api = fake_telegram(BOT)
    workdir: Path = tmp_path_factory.mktemp("recheck")
    database = f"sqlite:///{workdir / 'twitchcheck.db'}"
    env = {
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_VERIFY": BOT,
        "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
        "TELEGRAM_SECRET_TOKEN": SECRET,
        "TELEGRAM_API_URL": api.url,
    }
    stack = Stack(workdir, database, env)
    try:
        assistant = stack.start()
        api.wait_for("setWebhook", 1)
        yield f"{assistant.url}/webhooks/telegram/webhook", api, database
    finally:
        stack.stop()
        api.close()


@pytest.fixture
def records(telegram) -> Iterator[Store]:
    store = Store(create_engine(telegram[2]))
    yield store
    store.close()


def test_offer_consent_14_days_then_two_weeks_later_the_re_check_advises_a_doctor(
    telegram, records
) -> None:
    url, api, _ = telegram
    chat = Chat(url, api, 8801)
    sam = telegram_id(8801)
    chat.say("check my symptoms")
    for answer in SELF_CARE_ANSWERS:
        replies = chat.say(answer)
    assert "Look after it at home" in text(replies), text(replies)
    assert "May I keep it?" in text(replies), "no consent yet: asked first, no reminder offered"
    assert ("In 14 days", '/set_reminder{"reminder_days": 14}') not in buttons(replies)

    replies = chat.say("yes")
    assert "Thank you, I'll keep it." in text(replies)
    assert buttons(replies) == [
        ("In 7 days", '/set_reminder{"reminder_days": 7}'),
        ("In 14 days", '/set_reminder{"reminder_days": 14}'),
        ("No thanks", "/deny"),
    ]
    asked_at = datetime.now(timezone.utc)
    replies = chat.press('/set_reminder{"reminder_days": 14}')
    assert "I'll check back with you in 14 days, on " in text(replies)
    [reminder] = Reminders(records.engine).list_for(sam)
    assert (reminder.channel, reminder.address, reminder.days) == ("telegram", "8801", 14)
    in_14_days = asked_at + timedelta(days=14)
    assert in_14_days - timedelta(minutes=1) <= reminder.due_at <= in_14_days + timedelta(minutes=1)

    clock.days_pass(records.engine, 14, person=sam)
    [due] = Reminders(records.engine).list_for(sam)
    senders = {"telegram": TelegramSender(TOKEN, api.url)}
    worker = DeliveryWorker(Reminders(records.engine), senders, name="test")
    assert worker.deliver_due(due.due_at).sent == [due.id]
    [sent] = chat.replies()
    assert sent["text"].startswith("Hello again. 14 days ago you asked me to check back with you")
    assert buttons([sent]) == [
        ("Start the re-check", "/start_recheck"),
        ("Stop reminders", "/stop_reminders"),
    ]

    replies = chat.press("/start_recheck")
    assert "Is the twitching still going on?" in text(replies)
    assert "Has it spread" in text(chat.say("yes"))
    assert "new weakness" in text(chat.say("no"))
    replies = chat.say("no")
    said = text(replies)
    assert (
        'my advice has gone up from "Look after it at home" to "See a doctor in the next few days", because '
        "it has now gone on for about 3 weeks, which is worth a doctor's visit" in said
    ), said
    assert "I've noted this re-check in your twitch diary" in said
    [entry] = records.diary(sam)
    assert entry.notes == "Re-check: still twitching; spread: no; new weakness: no."
    latest = records.latest_assessment(sam)
    assert (latest.level, latest.findings["duration_days"]) == ("see_doctor", 19)
    assert ("In 14 days", '/set_reminder{"reminder_days": 14}') in buttons(replies), "offered once more"


def test_stop_reminders_in_the_middle_of_a_check_in_cancels_them_and_the_check_in_carries_on(
    telegram, records
) -> None:
    url, api, _ = telegram
    kim = telegram_id(8802)
    records.give_consent(kim)
    table = Reminders(records.engine)
    for days in (7, 14):
        table.schedule(kim, "telegram", "8802", days, datetime.now(timezone.utc))
    chat = Chat(url, api, 8802)
    chat.say("check my symptoms")
    asked = text(chat.say("none of these"))
    assert "Where do you feel the twitching?" in asked
    replies = chat.say("stop reminders")
    said = text(replies)
    assert "I've cancelled all 2 of your reminders" in said
    assert said.rstrip().endswith(asked.strip().splitlines()[-1]), "the same question again"
    assert table.list_for(kim) == []
    assert "How long has it been going on" in text(chat.say("my left calf"))
    said = text(chat.say("stop reminders"))
    assert "You had no reminders set, so there was nothing to stop." in said


def test_the_reminders_are_listed_with_their_dates_and_one_is_cancelled_by_its_button(
    telegram, records
) -> None:
    url, api, _ = telegram
    lee = telegram_id(8803)
    records.give_consent(lee)
    table = Reminders(records.engine)
    set_at = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
    week, fortnight = (table.schedule(lee, "telegram", "8803", days, set_at) for days in (7, 14))
    chat = Chat(url, api, 8803)
    said = text(chat.say("what reminders do I have?"))
    assert "You have 2 reminders set:" in said
    assert "Thu 10 Dec 2026, 09:00 UTC" in said and "Thu 17 Dec 2026, 09:00 UTC" in said
    replies = chat.say("cancel my reminder")
    assert buttons(replies) == [
        ("Thu 10 Dec 2026, 09:00 UTC", f'/cancel_reminder{{"reminder_id": {week.id}}}'),
        ("Thu 17 Dec 2026, 09:00 UTC", f'/cancel_reminder{{"reminder_id": {fortnight.id}}}'),
        ("Cancel all of them", "/stop_reminders"),
    ]
    said = text(chat.press(f'/cancel_reminder{{"reminder_id": {week.id}}}'))
    assert "I've cancelled the reminder for Thu 10 Dec 2026, 09:00 UTC." in said
    assert [r.id for r in table.list_for(lee)] == [fortnight.id]


def test_a_bare_two_weeks_that_answers_no_offer_starts_the_check_in_as_before(telegram, records) -> None:
    """Read as the intent `inform` was: it starts the check-in, whose questions then follow."""
    url, api, _ = telegram
    chat = Chat(url, api, 8804)
    said = text(chat.say("two weeks"))
    assert "Let's go through it together" in said and "First, the urgent part." in said, said
    assert "Where do you feel the twitching?" in text(chat.say("none of these"))
    assert Reminders(records.engine).list_for(telegram_id(8804)) == []
