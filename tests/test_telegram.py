"""Telegram over loopback: a fake Bot API server (getMe, setWebhook, sendMessage, answerCallbackQuery)
and updates posted to /webhooks/telegram/webhook of the real stack."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from bot.cards import assessment_card
from bot.triage import assess
from components.channels.reading import ONLY_THE_BEGINNING
from components.channels.telegram import SECRET_HEADER, TelegramCards
from tests.conftest import MODEL, Stack
from tests.fakes import FakeApi, fake_telegram
from tests.test_bad_input import CHECK_IN_OPENING, NOT_SURE
from tests.test_safety_suite import CRISIS, EMERGENCY_FIRST, IN_CRISIS, SOMEONE_ELSES_EMERGENCY, problems

pytestmark = pytest.mark.server
TOKEN = "123456789:AAEtestTokenForLoopbackOnly_abcdefgh"
BOT = "twitchcheck_test_bot"
SECRET = "loopback-secret-token"
WEBHOOK_URL = "https://twitchcheck.example.org/webhooks/telegram/webhook"


@pytest.fixture(scope="module")
def telegram(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FakeApi]]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    api = fake_telegram(BOT)
    workdir: Path = tmp_path_factory.mktemp("telegram")
    env = {
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_VERIFY": BOT,
        "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
        "TELEGRAM_SECRET_TOKEN": SECRET,
        "TELEGRAM_API_URL": api.url,
    }
    stack = Stack(workdir, f"sqlite:///{workdir / 'twitchcheck.db'}", env)
    try:
        assistant = stack.start()
        api.wait_for("setWebhook", 1)
        yield f"{assistant.url}/webhooks/telegram/webhook", api
    finally:
        stack.stop()
        api.close()


update_ids = iter(range(1000, 10**6))


def message_update(chat_id: int, text: str, update_id: int | None = None) -> dict:
    return {
        "update_id": next(update_ids) if update_id is None else update_id,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Sam"},
            "text": text,
        },
    }


def post(url: str, body: bytes, secret: str | None = SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def sent_to(api: FakeApi, chat_id: int) -> list[dict]:
    return [
        call.fields for call in api.calls_to("sendMessage") if str(call.fields.get("chat_id")) == str(chat_id)
    ]


def test_the_webhook_is_registered_with_a_secret_after_checking_the_bot(telegram) -> None:
    _, api = telegram
    assert api.calls_to("getMe")
    [registration] = api.calls_to("setWebhook")
    assert registration.fields["url"] == WEBHOOK_URL and registration.fields["secret_token"] == SECRET
    assert registration.path == f"/bot{TOKEN}/setWebhook"


def test_a_question_is_answered_with_related_topics_as_a_keyboard(telegram) -> None:
    url, api = telegram
    assert post(url, json.dumps(message_update(501, "why does my eyelid keep jumping?")).encode()) == 200
    api.settle()
    messages = sent_to(api, 501)
    assert any("Source" in m["text"] for m in messages), messages
    keyboards = [json.loads(m["reply_markup"]) for m in messages if m.get("reply_markup")]
    buttons = [b for k in keyboards for row in k["inline_keyboard"] for b in row]
    assert buttons and all(b["callback_data"].startswith("/faq") for b in buttons)


def test_a_pressed_button_is_acknowledged_and_answered(telegram) -> None:
    url, api = telegram
    update = {
        "update_id": next(update_ids),
        "callback_query": {
            "id": "cbq-1",
            "from": {"id": 502, "is_bot": False, "first_name": "Sam"},
            "chat_instance": "ci",
            "data": '/faq{"topic": "caffeine"}',
            "message": {"message_id": 7, "date": int(time.time()), "chat": {"id": 502, "type": "private"}},
        },
    }
    assert post(url, json.dumps(update).encode()) == 200
    api.settle()
    assert [c.fields["callback_query_id"] for c in api.calls_to("answerCallbackQuery")] == ["cbq-1"]
    assert any("caffeine" in m["text"].lower() for m in sent_to(api, 502))


def test_start_greets_and_a_repeated_update_is_answered_once(telegram) -> None:
    url, api = telegram
    body = json.dumps(message_update(503, "/start", update_id=424242)).encode()
    assert post(url, body) == 200
    api.settle()
    first = len(sent_to(api, 503))
    assert first and "TwitchCheck" in sent_to(api, 503)[0]["text"]
    assert post(url, body) == 200
    api.settle(quiet=2)
    assert len(sent_to(api, 503)) == first


@pytest.mark.parametrize("secret", [None, "wrong-secret"], ids=["no-secret", "wrong-secret"])
def test_updates_without_the_secret_are_refused(telegram, secret) -> None:
    url, api = telegram
    assert post(url, json.dumps(message_update(504, "is this ALS?")).encode(), secret=secret) == 403
    api.settle(quiet=1)
    assert sent_to(api, 504) == []


def test_a_malformed_update_gets_a_clear_refusal(telegram) -> None:
    url, api = telegram
    assert post(url, b"{not json") == 400
    assert post(url, json.dumps({"update_id": "x", "message": 5}).encode()) == 400
    assert post(url, json.dumps(message_update(505, "hello")).encode()) == 200  # and it still works


def test_the_assessment_card_names_the_level_and_sources(telegram, monkeypatch: pytest.MonkeyPatch) -> None:
    _, api = telegram
    monkeypatch.setenv("TELEGRAM_API_URL", api.url)
    payload = {"type": "assessment", **assess({"location": ["calf"], "duration_days": 30}).to_dict()}

    async def send() -> None:
        bot = TelegramCards(TOKEN)
        try:
            await bot.send_custom_json("506", payload)
        finally:
            await bot.session.close()

    asyncio.run(send())
    [card] = sent_to(api, 506)
    expected = assessment_card(payload)
    assert card["text"].startswith(f"{expected.mark} {expected.title}")
    assert "Sources: " in card["text"] and "not a diagnosis" in card["text"]


# Read as every channel reads a message (components/channels/reading.py); one chat each.
ODD_MESSAGES = {
    601: '/inform{"a": 1} I can\'t breathe',
    602: "/inform{bad",
    603: ("my calf twitches " * 400)[:6_000],
}


def test_odd_messages_are_read_as_every_channel_reads_them(telegram) -> None:
    url, api = telegram
    for chat_id, text in ODD_MESSAGES.items():
        assert post(url, json.dumps(message_update(chat_id, text)).encode()) == 200
    api.settle()

    emergency = [m["text"] for m in sent_to(api, 601)]
    assert "call your emergency number" in emergency[0] and CHECK_IN_OPENING not in " ".join(emergency)
    broken = sent_to(api, 602)
    assert NOT_SURE in broken[0]["text"] and broken[0].get("reply_markup")
    assert CHECK_IN_OPENING not in " ".join(m["text"] for m in broken)
    long = [m["text"] for m in sent_to(api, 603)]
    assert len(long) > 1 and long[-1] == ONLY_THE_BEGINNING




def test_a_person_in_crisis_on_telegram_gets_the_crisis_lines(telegram) -> None:
    url, api = telegram
    assert post(url, json.dumps(message_update(700, IN_CRISIS)).encode()) == 200
    api.settle()
    messages = sent_to(api, 700)
    said = "\n".join(m["text"] for m in messages)
    assert not problems(CRISIS, said), (problems(CRISIS, said), messages)


def test_an_emergency_not_about_twitching_on_telegram_first_says_to_call_the_emergency_number(
    telegram,
) -> None:
    url, api = telegram
    assert post(url, json.dumps(message_update(701, SOMEONE_ELSES_EMERGENCY)).encode()) == 200
    api.settle()
    messages = sent_to(api, 701)
    assert messages, "nothing was sent to the person"
    first = messages[0]["text"]
    assert not problems(EMERGENCY_FIRST, first), (problems(EMERGENCY_FIRST, first), messages)


def test_a_button_pressed_on_a_message_telegram_no_longer_has_is_acknowledged_not_a_500(telegram) -> None:
    url, api = telegram
    update = {
        "update_id": next(update_ids),
        "callback_query": {
            "id": "cbq-gone",
            "from": {"id": 702, "is_bot": False, "first_name": "Sam"},
            "chat_instance": "ci",
            "data": '/faq{"topic": "caffeine"}',
        },
    }
    assert post(url, json.dumps(update).encode()) == 200
    api.settle()
    assert "cbq-gone" in [c.fields["callback_query_id"] for c in api.calls_to("answerCallbackQuery")]
    assert sent_to(api, 702) == []


def edited(chat_id: int, text: str) -> dict:
    update = message_update(chat_id, text)
    update["edited_message"] = {**update.pop("message"), "edit_date": int(time.time())}
    return update


def test_an_edited_message_is_not_answered_twice_unless_it_now_describes_an_emergency(telegram) -> None:
    url, api = telegram
    assert post(url, json.dumps(message_update(703, "can coffee make me twitch?")).encode()) == 200
    api.settle()
    answered = len(sent_to(api, 703))
    assert answered >= 1
    assert post(url, json.dumps(edited(703, "can tea make me twitch?")).encode()) == 200
    api.settle()
    assert len(sent_to(api, 703)) == answered, "an edit is not a new question"
    assert post(url, json.dumps(edited(703, "my chest is crushing and i cant breathe")).encode()) == 200
    api.settle()
    after = sent_to(api, 703)[answered:]
    assert after and "call your emergency number now" in after[0]["text"].lower()


def test_a_body_over_a_megabyte_is_refused_before_it_is_read(telegram) -> None:
    url, _ = telegram
    assert post(url, b'{"update_id": 1, "x": "' + b"x" * 3_000_000 + b'"}') == 413


def test_a_group_gets_a_note_to_talk_in_private_and_no_health_reply(telegram) -> None:
    url, api = telegram
    update = message_update(-704, "i have twitched for 3 weeks, summary for my doctor please")
    update["message"]["chat"] = {"id": -704, "type": "group", "title": "Family"}
    assert post(url, json.dumps(update).encode()) == 200
    api.settle()
    [note] = sent_to(api, -704)
    assert "private chat" in note["text"] and "Summary" not in note["text"]
    assert not note.get("reply_markup"), "no buttons that would start a check-in in the group"
