"""Reminders and the re-check in conversation, on real Tracker objects and a real SQLite database: the offer
and what stops it nagging, consent first, stop/list/cancel, and the re-check's answers against the last
check-in."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import records
from actions.check_in import ActionCheckInResult
from actions.diary import ActionLogTwitch
from actions.privacy import ActionAffirm, ActionDeny
from actions.recheck import ActionRecheckResult
from actions.reminders import (
    REMINDER,
    REMINDER_DECLINED_SLOT,
    ActionCancelReminder,
    ActionListReminders,
    ActionSetReminder,
    ActionStopReminders,
)
from bot.identity import rest_id, telegram_id, web_id
from bot.storage.reminders import Reminders
from bot.storage.repository import Store
from tests import clock
from tests.actions.replies import rendered
from tests.bot.test_recheck import SELF_CARE

SAM = telegram_id(4242)
OFFER = ['/set_reminder{"reminder_days": 7}', '/set_reminder{"reminder_days": 14}', "/deny"]


def tracker(
    who: str = SAM,
    latest: dict[str, Any] | None = None,
    slots: dict[str, Any] | None = None,
    asked: str | None = None,
) -> Tracker:
    latest = {"intent": {"name": "inform"}, "text": "", **(latest or {})}
    events: list[dict[str, Any]] = [{"event": "user", "text": "earlier"}]
    if asked:
        events.append({"event": "slot", "name": records.PENDING_QUESTION_SLOT, "value": asked})
    events.append({"event": "user", "text": latest["text"]})
    return Tracker(who, dict(slots or {}), latest, events, False, None, {}, "action_listen")


def run(action: Action, tracker: Tracker) -> tuple[list[dict], str, list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    messages = [rendered(message) for message in dispatcher.messages]
    buttons = [b for m in messages for b in m["buttons"]]
    return events, "\n".join(m.get("text") or "" for m in messages), buttons


def slots(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def pending(store: Store, who: str = SAM) -> list:
    return Reminders(store.engine).list_for(who)


def days_button(days: int) -> dict[str, Any]:
    entities = [{"entity": "reminder_days", "value": days}]
    return {"text": f'/set_reminder{{"reminder_days": {days}}}', "entities": entities}


def test_after_a_kept_result_the_offer_comes_last_with_its_three_buttons(records_store: Store) -> None:
    records_store.give_consent(SAM)
    events, text, buttons = run(ActionCheckInResult(), tracker(slots={"findings": SELF_CARE}))
    assert text.startswith("Look after it at home.")
    assert text.rstrip().endswith("to see whether anything has changed.")
    assert [b["payload"] for b in buttons] == OFFER
    assert [b["title"] for b in buttons] == ["In 7 days", "In 14 days", "No thanks"]
    assert slots(events)[records.PENDING_QUESTION_SLOT] == REMINDER


def test_in_14_days_sets_a_reminder_due_in_14_days(records_store: Store) -> None:
    records_store.give_consent(SAM)
    before = datetime.now(timezone.utc)
    _, text, _ = run(ActionSetReminder(), tracker(latest=days_button(14), asked=REMINDER))
    [reminder] = pending(records_store)
    assert (reminder.channel, reminder.address, reminder.days) == ("telegram", "4242", 14)
    assert before + timedelta(days=14) <= reminder.due_at <= datetime.now(timezone.utc) + timedelta(days=14)
    assert text.startswith("I'll check back with you in 14 days, on ") and "stop reminders" in text


@pytest.mark.parametrize(("typed", "days"), [("in a week", 7), ("two weeks", 14), ("14 days", 14)])
def test_a_typed_answer_to_the_offer_sets_it(records_store: Store, typed: str, days: int) -> None:
    records_store.give_consent(SAM)
    run(ActionSetReminder(), tracker(latest={"text": typed}, asked=REMINDER))
    assert [r.days for r in pending(records_store)] == [days]


def test_a_bare_two_weeks_with_no_offer_just_made_starts_the_check_in(records_store: Store) -> None:
    records_store.give_consent(SAM)
    events, text, _ = run(ActionSetReminder(), tracker(latest={"text": "two weeks"}))
    assert events == [{"event": "followup", "name": "action_start_check_in", "timestamp": None}]
    assert text == "" and pending(records_store) == []


def test_without_consent_the_reminder_waits_for_a_yes(records_store: Store) -> None:
    events, text, buttons = run(
        ActionSetReminder(), tracker(latest={"text": "remind me in a week to check again"})
    )
    assert text.startswith("To check back with you, I need to keep a reminder") and "May I keep it?" in text
    waiting = slots(events)[records.PENDING_RECORDS_SLOT]
    assert waiting == {"reminder": {"days": 7}} and pending(records_store) == []
    yes = tracker(latest={"text": "yes"}, slots={records.PENDING_RECORDS_SLOT: waiting}, asked="consent")
    _, text, _ = run(ActionAffirm(), yes)
    assert "I'll check back with you in 7 days" in text
    assert [r.days for r in pending(records_store)] == [7]


def test_yes_to_keeping_a_result_then_offers_to_check_back(records_store: Store) -> None:
    waiting = {"assessment": {"findings": SELF_CARE, "result": {"level": "self_care", "rules_version": "x"}}}
    yes = tracker(latest={"text": "yes"}, slots={records.PENDING_RECORDS_SLOT: waiting}, asked="consent")
    events, text, buttons = run(ActionAffirm(), yes)
    assert "I've kept your check-in result" in text and [b["payload"] for b in buttons] == OFFER
    assert slots(events)[records.PENDING_QUESTION_SLOT] == REMINDER


def test_no_thanks_is_never_followed_by_another_offer(records_store: Store) -> None:
    records_store.give_consent(SAM)
    events, text, _ = run(ActionDeny(), tracker(latest={"text": "no thanks"}, asked=REMINDER))
    assert text.startswith("OK, no reminder.") and slots(events)[REMINDER_DECLINED_SLOT] is True
    _, text, buttons = run(ActionLogTwitch(), tracker(
        latest={"text": "log a twitch in my calf", "findings": {"location": ["calf"]}},
        slots={REMINDER_DECLINED_SLOT: True},
    ))
    assert text.startswith("Logged in your twitch diary") and buttons == []


def test_no_offer_while_a_reminder_is_still_to_come_nor_where_none_can_be_sent(records_store: Store) -> None:
    records_store.give_consent(SAM)
    Reminders(records_store.engine).schedule(SAM, "telegram", "4242", 7, datetime.now(timezone.utc))
    calf = {"text": "log a twitch in my calf", "findings": {"location": ["calf"]}}
    assert run(ActionLogTwitch(), tracker(latest=calf))[2] == []
    rest = rest_id("default", "kim")
    records_store.give_consent(rest)
    assert run(ActionLogTwitch(), tracker(who=rest, latest=calf))[2] == []


def test_no_offer_after_an_emergency_result(records_store: Store) -> None:
    records_store.give_consent(SAM)
    _, text, buttons = run(ActionCheckInResult(), tracker(slots={"findings": {"breathing_difficulty": True}}))
    assert text.startswith("Emergency: call emergency services now.") and buttons == []


def test_stop_reminders_cancels_them_all_and_says_plainly_when_there_were_none(records_store: Store) -> None:
    records_store.give_consent(SAM)
    events, text, _ = run(ActionStopReminders(), tracker())
    assert text.startswith("You had no reminders set, so there was nothing to stop.")
    table = Reminders(records_store.engine)
    for days in (7, 14):
        table.schedule(SAM, "telegram", "4242", days, datetime.now(timezone.utc))
    events, text, _ = run(ActionStopReminders(), tracker())
    assert text.startswith("Done: I've cancelled all 2 of your reminders")
    assert pending(records_store) == [] and slots(events)[REMINDER_DECLINED_SLOT] is True


def test_the_list_gives_each_date_and_cancel_asks_which_when_there_are_two(records_store: Store) -> None:
    records_store.give_consent(SAM)
    assert run(ActionListReminders(), tracker())[1] == "You have no reminders set."
    table = Reminders(records_store.engine)
    set_at = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
    week, fortnight = (table.schedule(SAM, "telegram", "4242", days, set_at) for days in (7, 14))
    _, text, _ = run(ActionListReminders(), tracker())
    assert text.splitlines() == [
        "You have 2 reminders set:",
        "• Thu 10 Dec 2026, 09:00 UTC (a check-back you asked for 7 days ahead)",
        "• Thu 17 Dec 2026, 09:00 UTC (a check-back you asked for 14 days ahead)",
    ]
    _, text, buttons = run(ActionCancelReminder(), tracker(latest={"text": "cancel my reminder"}))
    assert text == "Which reminder should I cancel?"
    assert [b["payload"] for b in buttons] == [
        f'/cancel_reminder{{"reminder_id": {week.id}}}',
        f'/cancel_reminder{{"reminder_id": {fortnight.id}}}',
        "/stop_reminders",
    ]
    picked = {"text": buttons[1]["payload"], "entities": [{"entity": "reminder_id", "value": fortnight.id}]}
    _, text, _ = run(ActionCancelReminder(), tracker(latest=picked))
    assert text == "Done: I've cancelled the reminder for Thu 17 Dec 2026, 09:00 UTC."
    assert [r.id for r in pending(records_store)] == [week.id]
    _, text, _ = run(ActionCancelReminder(), tracker(latest={"text": "cancel my reminder"}))
    assert text == "Done: I've cancelled the reminder for Thu 10 Dec 2026, 09:00 UTC."
    assert pending(records_store) == []


def widget_marks(action: Action, tracker: Tracker) -> list[str]:
    """What an action tells the widget (web/chat.js) besides its words: the custom payloads' types."""
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    return [message["custom"]["type"] for message in dispatcher.messages if message.get("custom")]


def test_on_the_web_the_widget_is_told_a_reminder_waits_and_when_none_is_left(records_store: Store) -> None:
    kim = web_id("kim-session-key")
    records_store.give_consent(kim)
    assert widget_marks(ActionSetReminder(), tracker(kim, latest=days_button(7), asked=REMINDER)) == [
        "reminder_set"
    ]
    _, text, _ = run(ActionSetReminder(), tracker(kim, latest=days_button(14), asked=REMINDER))
    assert "this browser will keep our conversation" in text  # and says so
    [week, _] = pending(records_store, kim)
    cancel = {"text": "x", "entities": [{"entity": "reminder_id", "value": week.id}]}
    assert widget_marks(ActionCancelReminder(), tracker(kim, latest=cancel)) == []  # one is still to come
    last = {"text": "cancel my reminder"}
    assert widget_marks(ActionCancelReminder(), tracker(kim, latest=last)) == ["reminders_stopped"]
    assert widget_marks(ActionStopReminders(), tracker(kim)) == ["reminders_stopped"]
    # Telegram has no widget to tell.
    records_store.give_consent(SAM)
    assert widget_marks(ActionSetReminder(), tracker(latest=days_button(7), asked=REMINDER)) == []


def days_pass(store: Store, days: int) -> None:
    clock.days_pass(store.engine, days)


RECHECK = {"recheck_still_going": "yes", "recheck_spread": "no", "recheck_weakness": "no"}


def test_two_weeks_later_a_re_check_says_it_now_needs_a_doctor_and_notes_it_in_diary(
    records_store: Store,
) -> None:
    records_store.give_consent(SAM)
    records_store.save_assessment(SAM, SELF_CARE, {"level": "self_care", "rules_version": "x"})
    days_pass(records_store, 14)
    events, text, buttons = run(ActionRecheckResult(), tracker(slots=RECHECK))
    assert text.startswith(
        'Since your last check-in, my advice has gone up from "Look after it at home" to "See a doctor in '
        'the next few days", because it has now gone on for about 3 weeks, which is worth a doctor\'s visit.'
    )
    assert "\nSee a doctor in the next few days. Make an appointment" in text
    assert "not a diagnosis" in text and "I've noted this re-check in your twitch diary" in text
    [entry] = records_store.diary(SAM)
    assert entry.location == "eyelid"
    assert entry.notes == "Re-check: still twitching; spread: no; new weakness: no."
    latest = records_store.latest_assessment(SAM)
    assert latest.level == "see_doctor" and latest.findings["duration_days"] == 19
    assert [b["payload"] for b in buttons] == OFFER, "offered again: no reminder is left to come"
    assert all(slots(events)[slot] is None for slot in RECHECK)


def test_a_re_check_of_twitching_that_stopped_is_reassuring_and_logs_no_twitch(records_store: Store) -> None:
    records_store.give_consent(SAM)
    records_store.save_assessment(SAM, SELF_CARE, {"level": "self_care", "rules_version": "x"})
    days_pass(records_store, 7)
    stopped = {**RECHECK, "recheck_still_going": "no"}
    _, text, _ = run(ActionRecheckResult(), tracker(slots=stopped))
    assert text.startswith("That's reassuring: the twitching has stopped and nothing new has appeared")
    assert "lasts 14 days or more, spreads, or comes with weakness" in text
    assert records_store.diary(SAM) == [] and records_store.latest_assessment(SAM).level == "self_care"


def test_without_a_stored_check_in_the_diary_gives_how_long(records_store: Store) -> None:
    records_store.give_consent(SAM)
    records_store.log_twitch(SAM, "calf")
    days_pass(records_store, 20)
    _, text, _ = run(ActionRecheckResult(), tracker(slots=RECHECK))
    assert text.startswith("I have no earlier check-in of yours to compare with")
    assert records_store.latest_assessment(SAM).findings["duration_days"] == 20
    assert [e.location for e in records_store.diary(SAM)] == ["calf", "calf"]


def test_an_offer_left_unanswered_is_not_made_again_in_the_same_session(records_store: Store) -> None:
    records_store.give_consent(SAM)
    calf = {"text": "log a twitch in my calf", "findings": {"location": ["calf"]}}
    offered = tracker(latest=calf, asked=REMINDER)  # the offer was made earlier in this session
    assert run(ActionLogTwitch(), offered)[2] == []
    assert [b["payload"] for b in run(ActionLogTwitch(), tracker(latest=calf))[2]] == OFFER
