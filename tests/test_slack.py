"""Slack over loopback: signed Events API bodies posted to /webhooks/slack/webhook of the real stack, and
a fake Slack Web API that records what the assistant sends (chat.postMessage)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from bot.cards import assessment_card
from bot.identity import slack_id
from bot.reminder_delivery import DeliveryWorker, SlackSender
from bot.storage.migrations import migrate
from bot.storage.reminders import Reminders
from bot.storage.repository import connect
from bot.triage import assess
from components.channels.reading import ONLY_THE_BEGINNING
from components.channels.slack import DELIVERY_KEY_PREFIX, DeliveriesSeen, SlackCards
from tests.conftest import MODEL, REDIS_URL, Stack, redis_or_skip
from tests.fakes import FakeApi, fake_slack
from tests.test_bad_input import CHECK_IN_OPENING, NOT_SURE
from tests.test_safety_suite import CRISIS, EMERGENCY_FIRST, IN_CRISIS, SOMEONE_ELSES_EMERGENCY, problems

pytestmark = pytest.mark.server
SECRET = "test-signing-secret"


@pytest.fixture(scope="module")
def slack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FakeApi]]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    api = fake_slack()
    workdir: Path = tmp_path_factory.mktemp("slack")
    env = {
        "SLACK_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api.url + "/api",
    }
    stack = Stack(workdir, f"sqlite:///{workdir / 'twitchcheck.db'}", env)
    try:
        assistant = stack.start()
        yield f"{assistant.url}/webhooks/slack/webhook", api
    finally:
        stack.stop()
        api.close()


def signed(body: bytes, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


def post(url: str, body: bytes, headers: dict[str, str], content_type: str = "application/json") -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type, **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def message_event(text: str, user: str, event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10]}",
            "event_time": int(time.time()),
            "authorizations": [{"user_id": "UBOT"}],
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": f"D{user}",
                "user": user,
                "text": text,
                "ts": f"{time.time():.6f}",
            },
        }
    ).encode()


def posted_to(api: FakeApi, channel: str) -> list[dict]:
    return [call.fields for call in api.calls_to("chat.postMessage") if call.fields.get("channel") == channel]


def test_a_question_gets_its_answer_with_related_topics_as_buttons(slack) -> None:
    url, api = slack
    body = message_event("why does my eyelid keep jumping?", "U100")
    before = len(api.calls_to("chat.postMessage"))
    assert post(url, body, signed(body)) == 200
    # Slack is answered at once and replied to later: the stack's first reply can take longer than the
    # quiet that settle() waits for on a busy machine, so wait for it first.
    api.wait_for("chat.postMessage", before + 1)
    api.settle()
    messages = posted_to(api, "DU100")
    assert any("Source" in m.get("text", "") for m in messages), messages
    buttons = [
        element
        for m in messages
        for block in m.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert buttons and all(b["type"] == "button" and b["value"].startswith("/faq") for b in buttons)
    assert all(call.headers.get("Authorization") == "Bearer xoxb-test-token" for call in api.calls)


def test_a_button_click_is_answered(slack) -> None:
    url, api = slack
    payload = {
        "type": "block_actions",
        "user": {"id": "U200"},
        "channel": {"id": "DU200"},
        "trigger_id": uuid.uuid4().hex,
        "message": {"ts": f"{time.time():.6f}"},
        "actions": [
            {"type": "button", "value": '/faq{"topic": "caffeine"}', "action_ts": f"{time.time():.6f}"}
        ],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    assert post(url, body, signed(body), "application/x-www-form-urlencoded") == 200
    api.settle()
    assert any("caffeine" in m.get("text", "").lower() for m in posted_to(api, "DU200"))


def press(url: str, user: str, value: str) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "channel": {"id": f"D{user}"},
        "trigger_id": uuid.uuid4().hex,
        "message": {"ts": f"{time.time():.6f}"},
        "actions": [{"type": "button", "value": value, "action_ts": f"{time.time():.6f}"}],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    assert post(url, body, signed(body), "application/x-www-form-urlencoded") == 200


def test_a_reminders_start_the_re_check_button_starts_it_in_slack(slack, tmp_path: Path) -> None:
    """The worker's Slack reminder (from its own database here) carries the buttons; pressing the first one in
    Slack sends its value to the assistant, which asks the re-check's first question."""
    url, api = slack
    database = f"sqlite:///{tmp_path / 'reminders.db'}"
    migrate(database)
    records = connect(database)
    kim = slack_id("T1", "U300")
    records.give_consent(kim)
    reminders = Reminders(records.engine)
    due = reminders.schedule(kim, "slack", "DU300", 7, datetime(2026, 12, 3, tzinfo=timezone.utc)).due_at
    worker = DeliveryWorker(reminders, {"slack": SlackSender("xoxb-test-token", api.url + "/api")}, name="t")
    assert len(worker.deliver_due(due).sent) == 1
    records.close()
    [reminder] = posted_to(api, "DU300")
    values = [e["value"] for b in reminder["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert values == ["/start_recheck", "/stop_reminders"]
    press(url, "U300", values[0])
    api.settle()
    replies = " ".join(m.get("text", "") for m in posted_to(api, "DU300")[1:])
    assert "Three short questions" in replies and "Is the twitching still going on?" in replies


def test_retries_of_a_delivered_event_get_no_second_reply(slack) -> None:
    url, api = slack
    body = message_event("what has magnesium in it?", "U300", event_id="EvRETRY1")
    assert post(url, body, signed(body)) == 200
    api.settle()
    replies = len(posted_to(api, "DU300"))
    assert replies > 0
    for number, reason in ((1, "http_timeout"), (2, "http_error"), (3, "unknown_error")):
        retry = {**signed(body), "X-Slack-Retry-Num": str(number), "X-Slack-Retry-Reason": reason}
        assert post(url, body, retry) == 200
    api.settle(quiet=3)
    assert len(posted_to(api, "DU300")) == replies


@pytest.mark.parametrize(
    "forgery", ["unsigned", "signature-of-another-body", "wrong-secret", "ten-minutes-old"]
)
def test_unsigned_wrongly_signed_or_stale_requests_are_rejected(slack, forgery: str) -> None:
    url, api = slack
    body = message_event("is this ALS?", f"U4{uuid.uuid4().hex[:4]}")
    headers = {
        "unsigned": {},
        "signature-of-another-body": signed(b"something else"),
        "wrong-secret": signed(body, secret="wrong-secret"),
        "ten-minutes-old": signed(body, at=time.time() - 600),
    }[forgery]
    assert post(url, body, headers) == 400
    api.settle(quiet=1)
    assert posted_to(api, json.loads(body)["event"]["channel"]) == []


def test_the_assessment_is_a_card_of_blocks(slack, monkeypatch: pytest.MonkeyPatch) -> None:
    _, api = slack
    monkeypatch.setenv("SLACK_API_URL", api.url + "/api")
    findings = {"location": ["calf"], "duration_days": 30, "weakness": True, "caffeine_cups_per_day": 5}
    payload = {"type": "assessment", **assess(findings).to_dict()}
    asyncio.run(SlackCards("xoxb-test-token", "DCARD").send_custom_json("DCARD", payload))
    [message] = posted_to(api, "DCARD")
    blocks = message["blocks"]
    card = assessment_card(payload)
    assert blocks[0]["type"] == "header" and card.title in blocks[0]["text"]["text"]
    text = json.dumps(blocks, ensure_ascii=False)
    assert "Why:" in text and "What may be feeding" in text and "Sources: " in text
    assert "not a diagnosis" in text and card.what_to_do in text


# Read as every channel reads a message (components/channels/reading.py).
ODD_MESSAGES = {
    "emergency-after-a-payload": '/inform{"a": 1} I can\'t breathe',
    "broken-payload": "/inform{bad",
    "long": ("my calf twitches " * 400)[:6_000],
}


def test_odd_messages_are_read_as_every_channel_reads_them(slack) -> None:
    url, api = slack
    users = {kind: f"U6{uuid.uuid4().hex[:6].upper()}" for kind in ODD_MESSAGES}
    for kind, text in ODD_MESSAGES.items():
        body = message_event(text, users[kind])
        assert post(url, body, signed(body)) == 200
    api.settle()
    said = {kind: [m.get("text", "") for m in posted_to(api, f"D{user}")] for kind, user in users.items()}

    emergency = said["emergency-after-a-payload"]
    assert "call your emergency number" in emergency[0] and CHECK_IN_OPENING not in " ".join(emergency)
    broken = posted_to(api, f"D{users['broken-payload']}")
    assert NOT_SURE in broken[0]["text"] and broken[0].get("blocks")
    assert CHECK_IN_OPENING not in " ".join(said["broken-payload"])
    assert len(said["long"]) > 1 and said["long"][-1] == ONLY_THE_BEGINNING




def said_in_a_direct_message(slack, text: str, user: str) -> list[dict]:
    """What the person reads after writing `text` to the bot in a direct message."""
    url, api = slack
    body = message_event(text, user)
    assert post(url, body, signed(body)) == 200
    api.settle()
    return posted_to(api, f"D{user}")


def test_a_person_in_crisis_on_slack_gets_the_crisis_lines(slack) -> None:
    messages = said_in_a_direct_message(slack, IN_CRISIS, "U700")
    said = "\n".join(m.get("text", "") for m in messages)
    assert not problems(CRISIS, said), (problems(CRISIS, said), messages)


def test_an_emergency_not_about_twitching_on_slack_first_says_to_call_the_emergency_number(slack) -> None:
    messages = said_in_a_direct_message(slack, SOMEONE_ELSES_EMERGENCY, "U701")
    assert messages, "nothing was posted to the person"
    first = messages[0].get("text", "")
    assert not problems(EMERGENCY_FIRST, first), (problems(EMERGENCY_FIRST, first), messages)


def test_a_mention_in_a_channel_is_answered_by_direct_message_only(slack) -> None:
    url, api = slack
    event = json.loads(message_event("can coffee make my muscles twitch?", "U702"))
    event["event"].update(type="app_mention", channel="C0HEALTH", channel_type="channel")
    body = json.dumps(event).encode()
    assert post(url, body, signed(body)) == 200
    api.settle()
    assert posted_to(api, "C0HEALTH") == [], "nothing about health is posted where others read it"
    assert any("caffeine" in m.get("text", "").lower() for m in posted_to(api, "U702"))


def test_a_delivery_handled_by_one_replica_is_skipped_by_another_when_redis_is_shared() -> None:
    client = redis_or_skip()
    url = REDIS_URL
    delivery = f"EvShared{uuid.uuid4().hex[:8]}"
    one, other = DeliveriesSeen(url), DeliveriesSeen(url)  # two replicas, one Redis
    try:
        assert one.first_time(delivery)
        assert not other.first_time(delivery) and not one.first_time(delivery)
    finally:
        client.delete(f"{DELIVERY_KEY_PREFIX}{delivery}")


def test_without_redis_a_process_still_skips_its_own_repeats() -> None:
    seen = DeliveriesSeen("redis://127.0.0.1:1/0")  # nothing listens there: this process decides
    assert seen.first_time("EvLocal1") and not seen.first_time("EvLocal1")
