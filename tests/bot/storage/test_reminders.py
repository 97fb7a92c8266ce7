"""Reminders in the database, on SQLite and PostgreSQL, with a clock the tests set: when they are due, who
claims them, cancelling, and deletion and retention."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.identity import slack_id, telegram_id, web_id
from bot.storage.engine import create_engine
from bot.storage.models import ConsentRow
from bot.storage.reminders import ReminderError, Reminders, retry_delay
from bot.storage.repository import ConsentRequired, Store
from tests.bot.storage.databases import rows_of

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
SAM = telegram_id(5501)
KIM = slack_id("T1", "U77")
WEB_PERSON = web_id("k3y-of-a-web-session")


@pytest.fixture
def reminders(store: Store) -> Reminders:
    for person in (SAM, KIM, WEB_PERSON):
        store.give_consent(person)
    return Reminders(store.engine)


def test_a_reminder_is_due_the_days_chosen_later_and_not_before(reminders: Reminders) -> None:
    week = reminders.schedule(SAM, "telegram", "5501", 7, now=NOW)
    fortnight = reminders.schedule(SAM, "telegram", "5501", 14, now=NOW)
    assert (week.due_at, fortnight.due_at) == (NOW + timedelta(days=7), NOW + timedelta(days=14))
    assert [r.id for r in reminders.list_for(SAM)] == [week.id, fortnight.id]

    assert reminders.due(NOW + timedelta(days=7) - timedelta(seconds=1)) == []
    assert reminders.claim(NOW + timedelta(days=7) - timedelta(seconds=1), "worker-a") == []
    assert [r.id for r in reminders.due(NOW + timedelta(days=7))] == [week.id]
    assert [r.id for r in reminders.claim(NOW + timedelta(days=7), "worker-a")] == [week.id]


def test_a_claimed_reminder_is_sent_once(reminders: Reminders) -> None:
    reminder = reminders.schedule(SAM, "telegram", "5501", 7, now=NOW)
    later = NOW + timedelta(days=8)
    claimed = reminders.claim(later, "worker-a")
    assert [(r.id, r.claimed_by, r.attempts) for r in claimed] == [(reminder.id, "worker-a", 1)]
    assert reminders.claim(later, "worker-b") == [], "claimed by worker-a"
    assert not reminders.mark_sent(reminder.id, "worker-b", later), "worker-b holds no claim"
    assert reminders.mark_sent(reminder.id, "worker-a", later)

    assert reminders.list_for(SAM) == []
    [sent] = reminders.history_for(SAM)
    assert (sent.status, sent.sent_at) == ("sent", later)
    a_month_on = later + timedelta(days=30)
    assert reminders.claim(a_month_on, "worker-b") == [], "once sent, never claimed again"


def test_a_failed_send_is_tried_again_later_not_lost(reminders: Reminders) -> None:
    reminder = reminders.schedule(KIM, "slack", "U77", 14, now=NOW)
    due = reminder.due_at
    reminders.claim(due, "worker-a")
    assert reminders.release(reminder.id, "worker-a", now=due)
    assert reminders.claim(due + retry_delay(1) - timedelta(seconds=1), "worker-b") == []
    [again] = reminders.claim(due + retry_delay(1), "worker-b")
    assert (again.id, again.attempts) == (reminder.id, 2)
    assert retry_delay(2) == 2 * retry_delay(1) and retry_delay(50) == timedelta(hours=1)


def test_the_claim_of_a_worker_that_died_passes_to_another_after_its_lease(reminders: Reminders) -> None:
    reminder = reminders.schedule(SAM, "telegram", "5501", 7, now=NOW)
    due = reminder.due_at
    reminders.claim(due, "worker-that-dies", lease=timedelta(minutes=5))
    assert reminders.claim(due + timedelta(minutes=4), "worker-b", lease=timedelta(minutes=5)) == []
    [taken] = reminders.claim(due + timedelta(minutes=5), "worker-b", lease=timedelta(minutes=5))
    assert taken.claimed_by == "worker-b"
    assert not reminders.mark_sent(reminder.id, "worker-that-dies", due + timedelta(minutes=6))
    assert reminders.mark_sent(reminder.id, "worker-b", due + timedelta(minutes=6))


def test_cancelling_one_and_stopping_all(reminders: Reminders) -> None:
    first = reminders.schedule(SAM, "telegram", "5501", 7, now=NOW)
    second = reminders.schedule(SAM, "telegram", "5501", 14, now=NOW)
    kims = reminders.schedule(KIM, "slack", "U77", 7, now=NOW)

    assert not reminders.cancel(SAM, kims.id), "another person's reminder is not Sam's to cancel"
    assert reminders.cancel(SAM, first.id)
    assert not reminders.cancel(SAM, first.id), "already cancelled"
    assert [r.id for r in reminders.list_for(SAM)] == [second.id]

    reminders.schedule(SAM, "telegram", "5501", 7, now=NOW)
    assert reminders.cancel_all(SAM) == 2
    assert reminders.list_for(SAM) == []
    assert [r.person for r in reminders.due(NOW + timedelta(days=30))] == [KIM]


def test_a_cancelled_reminder_that_was_being_sent_is_not_marked_sent(reminders: Reminders) -> None:
    reminder = reminders.schedule(SAM, "telegram", "5501", 7, now=NOW)
    reminders.claim(reminder.due_at, "worker-a")
    assert reminders.cancel_all(SAM) == 1
    assert not reminders.mark_sent(reminder.id, "worker-a", reminder.due_at)
    assert [r.status for r in reminders.history_for(SAM)] == ["cancelled"]


def test_web_reminders_wait_for_the_widget_and_show_once(reminders: Reminders) -> None:
    reminder = reminders.schedule(WEB_PERSON, "web", None, 7, now=NOW)
    due = reminder.due_at
    assert reminders.claim(due + timedelta(days=1), "worker-a") == [], "no worker can reach the web"
    assert reminders.pending_web(WEB_PERSON, due - timedelta(seconds=1)) == []
    assert [r.id for r in reminders.pending_web(WEB_PERSON, due)] == [reminder.id]
    assert reminders.pending_web(SAM, due) == []

    assert [r.id for r in reminders.take_due_web(WEB_PERSON, due)] == [reminder.id]
    assert reminders.take_due_web(WEB_PERSON, due) == [], "a second tab does not show it again"
    assert reminders.pending_web(WEB_PERSON, due) == []


def test_two_tabs_opening_at_once_show_a_web_reminder_in_one_only(store: Store, database_url: str) -> None:
    store.give_consent(WEB_PERSON)
    reminder = Reminders(store.engine).schedule(WEB_PERSON, "web", None, 7, now=NOW)
    shown: list[int] = []
    start = threading.Barrier(4)

    def open_tab() -> None:
        engine = create_engine(database_url)
        try:
            start.wait()
            shown.extend(r.id for r in Reminders(engine).take_due_web(WEB_PERSON, reminder.due_at))
        finally:
            engine.dispose()

    tabs = [threading.Thread(target=open_tab) for _ in range(4)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join(60)
    assert shown == [reminder.id]


@pytest.mark.parametrize(
    ("person", "channel", "address", "days", "message"),
    [
        (SAM, "telegram", "5501", 10, "7 or 14 days, not 10"),
        (SAM, "telegram", "5501", True, "7 or 14 days, not True"),
        (SAM, "email", "sam@example.org", 7, "not 'email'"),
        (SAM, "slack", "U77", 7, "talks to the assistant on telegram, not slack"),
        (SAM, "telegram", None, 7, "needs the address"),
        (SAM, "telegram", "9999", 7, "goes to the person's own chat, not to '9999'"),
        (WEB_PERSON, "web", "somewhere", 7, "a web reminder has no address"),
    ],
)
def test_a_reminder_that_cannot_be_set_says_why(
    reminders: Reminders, person: str, channel: str, address: str | None, days: int, message: str
) -> None:
    with pytest.raises(ReminderError, match=message):
        reminders.schedule(person, channel, address, days, now=NOW)
    assert reminders.history_for(person) == []


def test_no_reminder_without_consent_and_withdrawing_cancels_them(store: Store) -> None:
    reminders = Reminders(store.engine)
    with pytest.raises(ConsentRequired):
        reminders.schedule(SAM, "telegram", "5501", 7, now=NOW)
    store.give_consent(SAM)
    reminders.schedule(SAM, "telegram", "5501", 7, now=NOW)
    store.withdraw_consent(SAM)
    assert reminders.list_for(SAM) == []
    assert reminders.claim(NOW + timedelta(days=8), "worker-a") == []


def test_times_must_say_their_zone(reminders: Reminders) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        reminders.schedule(SAM, "telegram", "5501", 7, now=datetime(2026, 12, 3, 9, 0))


def test_deleting_a_person_removes_their_reminders(store: Store, reminders: Reminders) -> None:
    reminders.schedule(SAM, "telegram", "5501", 7, now=NOW)
    sent = reminders.schedule(SAM, "telegram", "5501", 14, now=NOW - timedelta(days=20))
    reminders.claim(NOW, "worker-a")
    reminders.mark_sent(sent.id, "worker-a", NOW)
    reminders.schedule(KIM, "slack", "U77", 7, now=NOW)

    store.delete_person(SAM)
    assert rows_of(store, "reminders", SAM) == 0
    assert reminders.history_for(SAM) == []
    assert len(reminders.list_for(KIM)) == 1


def test_purging_removes_reminders_set_before_the_retention_period(
    store: Store, reminders: Reminders
) -> None:
    long_ago = NOW - timedelta(days=400)
    old = reminders.schedule(SAM, "telegram", "5501", 7, now=long_ago)
    reminders.claim(old.due_at, "worker-a")
    reminders.mark_sent(old.id, "worker-a", old.due_at)
    reminders.schedule(SAM, "telegram", "5501", 14, now=long_ago)
    recent = reminders.schedule(SAM, "telegram", "5501", 7, now=NOW - timedelta(days=2))

    assert store.purge_older_than(365, now=NOW) == 2
    assert [r.id for r in reminders.history_for(SAM)] == [recent.id]
    assert store.has_consent(SAM), "a reminder set within the retention period keeps the consent"


def test_a_short_retention_period_keeps_a_reminder_still_to_come(store: Store, reminders: Reminders) -> None:
    coming = reminders.schedule(SAM, "telegram", "5501", 14, now=NOW - timedelta(days=10))
    cancelled = reminders.schedule(SAM, "telegram", "5501", 14, now=NOW - timedelta(days=10))
    reminders.cancel(SAM, cancelled.id)
    overdue = reminders.schedule(KIM, "slack", "U77", 7, now=NOW - timedelta(days=20))
    reminders.claim(overdue.due_at, "worker-a")
    reminders.release(overdue.id, "worker-a", overdue.due_at)  # its sends kept failing

    with store.engine.begin() as connection:  # Sam agreed long ago; the reminder still needs that consent
        connection.execute(sa.update(ConsentRow).values(given_at=NOW - timedelta(days=30)))

    store.purge_older_than(7, now=NOW)
    assert [r.id for r in reminders.history_for(SAM)] == [coming.id]
    assert store.has_consent(SAM)
    assert reminders.history_for(KIM) == [], "undelivered for longer than the retention period"
    assert not store.has_consent(KIM)
