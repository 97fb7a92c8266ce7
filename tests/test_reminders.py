"""Reminders delivered over loopback fakes of Telegram's Bot API and Slack's Web API, on SQLite and
PostgreSQL: at the right time and not before, once even with workers racing, again after a failed send, and
after a restart (worker processes of `python -m scripts.reminders` reading the same database)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest

from bot.identity import slack_id, telegram_id
from bot.reminder_delivery import DeliveryWorker, SlackSender, TelegramSender, senders_from_environment
from bot.storage.engine import create_engine
from bot.storage.reminders import Reminders, retry_delay
from bot.storage.repository import Store
from bot.wording import wording
from scripts.reminders import main
from tests.bot.storage.databases import database_url, store  # noqa: F401 (fixtures)
from tests.conftest import ROOT
from tests.fakes import Failure, FakeApi, fake_slack, fake_telegram

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
TELEGRAM_TOKEN = "123456789:AAEtestTokenForLoopbackOnly_abcdefgh"
SLACK_TOKEN = "xoxb-loopback-only"
SAM, SAMS_CHAT = telegram_id(5501), "5501"
KIM, KIMS_USER = slack_id("T1", "U77"), "U77"
# What a Telegram reminder carries: a press sends its callback_data to the assistant as a message.
TELEGRAM_BUTTONS = {
    "inline_keyboard": [
        [{"text": "Start the re-check", "callback_data": "/start_recheck"}],
        [{"text": "Stop reminders", "callback_data": "/stop_reminders"}],
    ]
}


@pytest.fixture
def telegram_api() -> Iterator[FakeApi]:
    api = fake_telegram()
    yield api
    api.close()


@pytest.fixture
def slack_api() -> Iterator[FakeApi]:
    api = fake_slack()
    yield api
    api.close()


@pytest.fixture
def reminders(store: Store) -> Reminders:  # noqa: F811 (the fixture imported above)
    for person in (SAM, KIM):
        store.give_consent(person)
    return Reminders(store.engine)


def senders(telegram_api: FakeApi, slack_api: FakeApi) -> dict:
    return {
        "telegram": TelegramSender(TELEGRAM_TOKEN, telegram_api.url),
        "slack": SlackSender(SLACK_TOKEN, slack_api.url + "/api"),
    }


def test_reminders_arrive_at_their_time_and_not_before(
    reminders: Reminders, telegram_api: FakeApi, slack_api: FakeApi
) -> None:
    sams = reminders.schedule(SAM, "telegram", SAMS_CHAT, 7, now=NOW)
    kims = reminders.schedule(KIM, "slack", KIMS_USER, 14, now=NOW)
    worker = DeliveryWorker(reminders, senders(telegram_api, slack_api), name="worker-a")

    assert worker.deliver_due(sams.due_at - timedelta(seconds=1)).sent == []
    assert worker.deliver_due(sams.due_at).sent == [sams.id]
    assert worker.deliver_due(kims.due_at - timedelta(seconds=1)).sent == []
    assert worker.deliver_due(kims.due_at).sent == [kims.id]
    assert worker.deliver_due(kims.due_at + timedelta(days=30)).sent == []

    [telegram] = telegram_api.calls_to("sendMessage")
    assert telegram.path == f"/bot{TELEGRAM_TOKEN}/sendMessage"
    assert telegram.fields == {
        "chat_id": SAMS_CHAT,
        "text": wording("reminder_check_back", days=7),
        "reply_markup": TELEGRAM_BUTTONS,
    }
    [slack] = slack_api.calls_to("chat.postMessage")
    assert slack.headers["Authorization"] == f"Bearer {SLACK_TOKEN}"
    assert slack.fields["channel"] == KIMS_USER
    assert slack.fields["text"] == wording("reminder_check_back", days=14)
    assert "14 days ago" in slack.fields["text"] and "Start the re-check" in slack.fields["text"]
    section, actions = slack.fields["blocks"]
    assert section["text"]["text"] == slack.fields["text"]
    assert [(b["text"]["text"], b["value"]) for b in actions["elements"]] == [
        ("Start the re-check", "/start_recheck"),
        ("Stop reminders", "/stop_reminders"),
    ]


def test_a_failed_send_is_sent_later_and_only_once(
    reminders: Reminders, telegram_api: FakeApi, slack_api: FakeApi
) -> None:
    reminder = reminders.schedule(SAM, "telegram", SAMS_CHAT, 7, now=NOW)
    worker = DeliveryWorker(reminders, senders(telegram_api, slack_api), name="worker-a")
    telegram_api.fail(
        "sendMessage", Failure(500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
    )
    due = reminder.due_at

    assert worker.deliver_due(due).failed == [reminder.id]
    assert [r.id for r in reminders.list_for(SAM)] == [reminder.id], "kept, not lost"
    assert worker.deliver_due(due + retry_delay(1) - timedelta(seconds=1)).sent == []
    assert worker.deliver_due(due + retry_delay(1)).sent == [reminder.id]
    assert worker.deliver_due(due + timedelta(days=1)).sent == []
    assert len(telegram_api.calls_to("sendMessage")) == 2, "one failed try, one delivery"


def test_a_platform_that_asks_to_wait_is_waited_for(
    reminders: Reminders, telegram_api: FakeApi, slack_api: FakeApi
) -> None:
    sams = reminders.schedule(SAM, "telegram", SAMS_CHAT, 7, now=NOW)
    kims = reminders.schedule(KIM, "slack", KIMS_USER, 7, now=NOW)
    worker = DeliveryWorker(reminders, senders(telegram_api, slack_api), name="worker-a")
    too_many = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 600"}
    telegram_api.fail("sendMessage", Failure(429, {**too_many, "parameters": {"retry_after": 600}}))
    rate_limited = Failure(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "900"})
    slack_api.fail("chat.postMessage", rate_limited)
    # Slack also reports errors with HTTP 200 and "ok": false.
    slack_api.fail("chat.postMessage", Failure(200, {"ok": False, "error": "internal_error"}))
    due = sams.due_at

    assert sorted(worker.deliver_due(due).failed) == sorted([sams.id, kims.id])
    assert worker.deliver_due(due + timedelta(seconds=599)).sent == []
    assert worker.deliver_due(due + timedelta(seconds=600)).sent == [sams.id]
    assert worker.deliver_due(due + timedelta(seconds=900)).failed == [kims.id]
    assert worker.deliver_due(due + timedelta(seconds=900) + retry_delay(2)).sent == [kims.id]


def test_an_unreachable_platform_keeps_the_reminder(reminders: Reminders) -> None:
    reminder = reminders.schedule(SAM, "telegram", SAMS_CHAT, 7, now=NOW)
    nowhere = {"telegram": TelegramSender(TELEGRAM_TOKEN, "http://127.0.0.1:9")}  # discard port: refused
    assert DeliveryWorker(reminders, nowhere).deliver_due(reminder.due_at).failed == [reminder.id]
    assert [r.attempts for r in reminders.list_for(SAM)] == [1]


def test_a_channel_without_a_token_is_left_for_a_worker_that_has_one(
    reminders: Reminders, telegram_api: FakeApi
) -> None:
    kims = reminders.schedule(KIM, "slack", KIMS_USER, 7, now=NOW)
    environment = {"TELEGRAM_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_API_URL": telegram_api.url}
    only_telegram = senders_from_environment(environment)
    assert set(only_telegram) == {"telegram"}
    done = DeliveryWorker(reminders, only_telegram).deliver_due(kims.due_at)
    assert (done.sent, done.failed) == ([], [])
    assert [r.attempts for r in reminders.list_for(KIM)] == [0], "not even claimed"


def test_workers_racing_on_the_same_reminders_send_each_once(
    database_url: str,  # noqa: F811 (the fixture imported above)
    store: Store,  # noqa: F811
    reminders: Reminders,
    telegram_api: FakeApi,
    slack_api: FakeApi,
) -> None:
    chats = [str(7000 + n) for n in range(30)]
    users = [f"U{n:03d}" for n in range(30)]
    for chat in chats:
        store.give_consent(telegram_id(chat))
        reminders.schedule(telegram_id(chat), "telegram", chat, 7, now=NOW)
    for user in users:
        store.give_consent(slack_id("T1", user))
        reminders.schedule(slack_id("T1", user), "slack", user, 14, now=NOW)
    start = threading.Barrier(4)
    sent: list[int] = []

    def replica(name: str) -> None:
        engine = create_engine(database_url)  # a connection pool of its own, as another replica has
        try:
            worker = DeliveryWorker(Reminders(engine), senders(telegram_api, slack_api), name=name)
            start.wait()
            for _ in range(3):
                sent.extend(worker.deliver_due(NOW + timedelta(days=15)).sent)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=replica, args=(f"replica-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert Counter(call.fields["chat_id"] for call in telegram_api.calls_to("sendMessage")) == Counter(chats)
    assert Counter(call.fields["channel"] for call in slack_api.calls_to("chat.postMessage")) == Counter(
        users
    )
    assert len(sent) == len(set(sent)) == 60
    assert reminders.due(NOW + timedelta(days=15)) == []


def run_worker(
    url: str, telegram_api: FakeApi, log: Path, every_seconds: float | None = None
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_API_URL": telegram_api.url,
    }
    env.pop("SLACK_TOKEN", None)
    args = [sys.executable, "-m", "scripts.reminders"]
    if every_seconds is not None:
        args += ["--every-seconds", str(every_seconds)]
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def test_a_reminder_survives_a_restart_and_arrives_once_with_two_replicas(
    database_url: str,  # noqa: F811 (the fixture imported above)
    reminders: Reminders,
    telegram_api: FakeApi,
    tmp_path: Path,
) -> None:
    """The issue's "done when": set over Telegram, the process that set it gone, two worker processes
    running; it arrives once, at its time (these processes read the real clock)."""
    log = tmp_path / "workers.log"
    first = run_worker(database_url, telegram_api, log, every_seconds=0.5)
    due = datetime.now(timezone.utc) + timedelta(seconds=8)
    reminder = reminders.schedule(SAM, "telegram", SAMS_CHAT, 7, now=due - timedelta(days=7))
    reminders.engine.dispose()  # the assistant that set it goes away too
    time.sleep(2)
    stop(first)  # a restart: the worker that was running when it was set is gone

    replicas = [run_worker(database_url, telegram_api, log, every_seconds=0.5) for _ in range(2)]
    try:
        while datetime.now(timezone.utc) < due - timedelta(seconds=1):
            assert telegram_api.calls_to("sendMessage") == [], "sent before its time"
            time.sleep(0.2)
        [call] = telegram_api.wait_for("sendMessage", 1, timeout=30)
        telegram_api.settle(quiet=3)
        assert all(process.poll() is None for process in replicas), log.read_text()
    finally:
        for process in replicas:
            stop(process)
    assert len(telegram_api.calls_to("sendMessage")) == 1, log.read_text()
    assert call.fields == {
        "chat_id": SAMS_CHAT,
        "text": wording("reminder_check_back", days=7),
        "reply_markup": TELEGRAM_BUTTONS,
    }
    after = create_engine(database_url)
    try:
        [sent] = Reminders(after).history_for(SAM)
    finally:
        after.dispose()
    assert (sent.id, sent.status) == (reminder.id, "sent")
    assert sent.sent_at is not None and sent.sent_at >= due


def test_a_stopped_worker_ends_between_rounds_and_quiet_rounds_say_nothing(
    database_url: str,  # noqa: F811 (the fixture imported above)
    reminders: Reminders,
    telegram_api: FakeApi,
    tmp_path: Path,
) -> None:
    """SIGTERM (docker stop, Ctrl-C under make run) ends it cleanly; under make run a line a minute saying
    nothing happened would bury the other processes' output, so only the first round and busy ones print."""
    log = tmp_path / "worker.log"
    worker = run_worker(database_url, telegram_api, log, every_seconds=0.2)
    deadline = time.monotonic() + 30
    while "to retry" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)  # the first round, once the process is up
    time.sleep(2)  # ten more rounds, none with anything to send
    worker.terminate()
    assert worker.wait(10) == 0, log.read_text()
    assert log.read_text().count("reminders, 0 to retry") == 1, log.read_text()


def test_worker_processes_started_at_once_send_each_reminder_once(
    database_url: str,  # noqa: F811 (the fixture imported above)
    store: Store,  # noqa: F811
    reminders: Reminders,
    telegram_api: FakeApi,
    tmp_path: Path,
) -> None:
    chats = [str(8000 + n) for n in range(20)]
    long_ago = datetime.now(timezone.utc) - timedelta(days=8)
    for chat in chats:
        store.give_consent(telegram_id(chat))
        reminders.schedule(telegram_id(chat), "telegram", chat, 7, now=long_ago)
    log = tmp_path / "workers.log"
    processes = [run_worker(database_url, telegram_api, log) for _ in range(3)]
    for process in processes:
        assert process.wait(60) == 0, log.read_text()
    assert Counter(call.fields["chat_id"] for call in telegram_api.calls_to("sendMessage")) == Counter(chats)


def test_the_command_line_sends_what_is_due_by_the_clock_it_is_given(
    database_url: str,  # noqa: F811 (the fixture imported above)
    reminders: Reminders,
    telegram_api: FakeApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    reminder = reminders.schedule(SAM, "telegram", SAMS_CHAT, 7, now=NOW)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TELEGRAM_TOKEN", TELEGRAM_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", telegram_api.url)
    monkeypatch.delenv("SLACK_TOKEN", raising=False)

    assert main([], clock=lambda: reminder.due_at - timedelta(seconds=1)) == 0
    assert telegram_api.calls_to("sendMessage") == []
    assert main([], clock=lambda: reminder.due_at) == 0
    assert main([], clock=lambda: reminder.due_at + timedelta(hours=1)) == 0
    assert [call.fields["chat_id"] for call in telegram_api.calls_to("sendMessage")] == [SAMS_CHAT]
    assert "sent 1 reminders, 0 to retry" in capsys.readouterr().out


def test_neither_address_nor_words_nor_token_reach_the_logs(
    reminders: Reminders, telegram_api: FakeApi, slack_api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reminder = reminders.schedule(SAM, "telegram", SAMS_CHAT, 7, now=NOW)
    blocked = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
    telegram_api.fail("sendMessage", Failure(403, blocked))
    worker = DeliveryWorker(reminders, senders(telegram_api, slack_api), name="worker-a")
    worker.deliver_due(reminder.due_at)
    worker.deliver_due(reminder.due_at + timedelta(hours=1))
    unreachable = {"telegram": TelegramSender(TELEGRAM_TOKEN, "http://127.0.0.1:9")}
    reminders.schedule(SAM, "telegram", SAMS_CHAT, 14, now=NOW)
    assert len(DeliveryWorker(reminders, unreachable).deliver_due(NOW + timedelta(days=14)).failed) == 1
    assert "blocked by the user" in caplog.text and "could not reach 127.0.0.1:9" in caplog.text
    for secret in (SAMS_CHAT, TELEGRAM_TOKEN, wording("reminder_check_back", days=7)[:20]):
        assert secret not in caplog.text


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_a_long_round_keeps_its_claims_fresh_so_no_other_worker_sends_them_again(
    store: Store,  # noqa: F811 (the fixture imported above)
    reminders: Reminders,
) -> None:
    """A slow platform (9 s a send) and 40 due reminders: a round takes six minutes, longer than a claim's
    lease. Another worker's rounds meanwhile take over only what nobody holds."""
    chats = [str(9000 + n) for n in range(40)]
    for chat in chats:
        store.give_consent(telegram_id(chat))
        reminders.schedule(telegram_id(chat), "telegram", chat, 7, now=NOW)
    clock = Clock(NOW + timedelta(days=7))
    received: list[str] = []

    class Quick:
        def send(self, address: str, text: str, buttons: tuple = ()) -> None:
            received.append(address)

    other = DeliveryWorker(reminders, {"telegram": Quick()}, clock, name="worker-b")

    class Slow:
        def send(self, address: str, text: str, buttons: tuple = ()) -> None:
            received.append(address)
            clock.now += timedelta(seconds=9)
            if len(received) % 7 == 0:
                other.deliver_due()  # worker-b's round comes round while worker-a is still sending

    DeliveryWorker(reminders, {"telegram": Slow()}, clock, name="worker-a").deliver_due()
    assert Counter(received) == Counter(chats)
    assert reminders.due(clock()) == []
