"""Diary, consent, deletion and summary actions on real Tracker objects and a real SQLite database."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import records
from actions.check_in import ActionCheckInResult, ActionStartCheckIn
from actions.diary import ActionDiaryHowLong, ActionLogDuration, ActionLogTwitch, ActionShowDiary
from actions.privacy import ActionAffirm, ActionAskDelete, ActionDeny
from actions.summary import ActionDoctorSummary
from bot.storage.repository import Store, retention_days
from bot.triage import assess
from tests.actions.replies import rendered

ME = "person-1"
CALF = {
    "text": "log a twitch in my left calf",
    "findings": {"location": ["calf"]},
    "finding_sides": {"calf": "left"},
}


def tracker(
    latest: dict[str, Any] | None = None,
    slots: dict[str, Any] | None = None,
    asked: str | None = None,
    asked_turns_ago: int = 1,
) -> Tracker:
    """The tracker an action sees; `asked` is the yes/no question set `asked_turns_ago` bot turns back."""
    latest = {"intent": {"name": "inform"}, "text": "", **(latest or {})}
    events: list[dict[str, Any]] = [{"event": "user", "text": "earlier"}]
    if asked:
        events.append({"event": "slot", "name": records.PENDING_QUESTION_SLOT, "value": asked})
    for _ in range(asked_turns_ago - 1):
        events += [{"event": "user", "text": "something else"}, {"event": "action", "name": "action_listen"}]
    events.append({"event": "user", "text": latest["text"]})
    return Tracker(ME, dict(slots or {}), latest, events, False, None, {}, "action_listen")


def run(action: Action, tracker: Tracker) -> tuple[list[dict], str, list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    messages = [rendered(message) for message in dispatcher.messages]  # as Rasa sends them
    text = "\n".join(m.get("text") or "" for m in messages)
    buttons = [b for m in messages for b in m.get("buttons") or []]
    return events, text, buttons


def slots(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def rows(store: Store, table: str) -> int:
    with store.engine.connect() as connection:
        return connection.execute(
            sa.text(f"select count(*) from {table} where person = :p"), {"p": ME}
        ).scalar()


def test_logging_without_consent_asks_in_plain_words_and_stores_nothing(records_store: Store) -> None:
    events, text, buttons = run(ActionLogTwitch(), tracker(CALF))
    assert text.startswith("I can keep a twitch diary for you. This is health information")
    assert "delete my data" in text and "store nothing" in text
    assert f"for up to {int(retention_days())} days" in text
    assert [b["payload"] for b in buttons] == ["/affirm", "/deny"]
    assert slots(events)[records.PENDING_QUESTION_SLOT] == records.CONSENT
    assert slots(events)[records.PENDING_RECORDS_SLOT]["entries"][0]["location"] == "calf"
    assert rows(records_store, "diary_entries") == 0 and not records_store.has_consent(ME)


def test_yes_to_consent_stores_what_was_waiting(records_store: Store) -> None:
    pending = {"entries": [{"location": "calf", "side": "left", "lasted_minutes": None}]}
    yes = tracker({"text": "yes"}, {records.PENDING_RECORDS_SLOT: pending}, asked=records.CONSENT)
    events, text, _ = run(ActionAffirm(), yes)
    assert records_store.has_consent(ME)
    [entry] = records_store.diary(ME)
    assert (entry.location, entry.side) == ("calf", "left")
    assert "left calf" in text and "it lasted about 10 minutes" in text
    assert slots(events)[records.PENDING_QUESTION_SLOT] is None


def test_a_late_yes_agrees_to_nothing(records_store: Store) -> None:
    pending = {"entries": [{"location": "calf", "side": None, "lasted_minutes": None}]}
    late = tracker(
        {"text": "yes"}, {records.PENDING_RECORDS_SLOT: pending}, records.CONSENT, asked_turns_ago=2
    )
    _, text, buttons = run(ActionAffirm(), late)
    assert not records_store.has_consent(ME) and rows(records_store, "diary_entries") == 0
    assert "What would you like to do?" in text and buttons


def test_no_to_consent_stores_nothing_and_is_remembered(records_store: Store) -> None:
    pending = {"entries": [{"location": "calf", "side": None, "lasted_minutes": None}]}
    events, text, _ = run(
        ActionDeny(), tracker({"text": "no"}, {records.PENDING_RECORDS_SLOT: pending}, "consent")
    )
    assert "won't store anything" in text
    assert slots(events)[records.CONSENT_DECLINED_SLOT] is True
    assert not records_store.has_consent(ME) and rows(records_store, "diary_entries") == 0


def test_with_consent_a_twitch_is_logged_and_its_length_added(records_store: Store) -> None:
    records_store.give_consent(ME)
    _, text, _ = run(ActionLogTwitch(), tracker(CALF))
    assert "Logged in your twitch diary" in text and "left calf" in text
    _, text, _ = run(ActionLogDuration(), tracker({"text": "it lasted about 10 minutes"}))
    assert "lasted about 10 minutes" in text
    assert records_store.diary(ME)[0].lasted_minutes == 10


def test_a_twitch_without_a_place_gets_places_to_choose(records_store: Store) -> None:
    records_store.give_consent(ME)
    _, text, buttons = run(ActionLogTwitch(), tracker({"text": "log a twitch", "findings": {}}))
    assert "Where was the twitch?" in text
    assert {"title": "calf", "payload": "log a twitch in my calf"} in buttons
    assert rows(records_store, "diary_entries") == 0


def test_a_place_given_after_where_is_logged(records_store: Store) -> None:
    records_store.give_consent(ME)
    run(ActionLogDuration(), tracker({"text": "my right thigh", "findings": {"location": ["thigh"]}}))
    assert [e.location for e in records_store.diary(ME)] == ["thigh"]


def test_a_duration_with_no_diary_says_what_to_do(records_store: Store) -> None:
    records_store.give_consent(ME)
    _, text, _ = run(ActionLogDuration(), tracker({"text": "it lasted 2 minutes"}))
    assert "diary is empty" in text


def test_the_diary_and_how_long_come_from_the_store(records_store: Store) -> None:
    records_store.give_consent(ME)
    records_store.log_twitch(ME, "eyelid", at=datetime.now(timezone.utc) - timedelta(days=15))
    records_store.log_twitch(ME, "calf", side="left", lasted_minutes=1)
    _, text, _ = run(ActionShowDiary(), tracker())
    assert "2 twitches" in text and "eyelid" in text and "left calf, lasted about 1 minute" in text
    _, text, _ = run(ActionDiaryHowLong(), tracker())
    assert "15 days ago" in text and "(Source: Muscle twitches: the two types" in text


def test_delete_asks_first_and_yes_removes_everything(records_store: Store) -> None:
    records_store.give_consent(ME)
    records_store.log_twitch(ME, "calf")
    events, text, buttons = run(ActionAskDelete(), tracker({"text": "delete my data"}))
    assert "can't be undone" in text and [b["payload"] for b in buttons] == ["/affirm", "/deny"]
    assert rows(records_store, "diary_entries") == 1
    events, text, _ = run(ActionAffirm(), tracker({"text": "yes"}, asked=records.DELETE))
    assert "deleted" in text
    assert slots(events)["conversation_erased"] is True
    for table in ("consents", "diary_entries", "assessments", "summary_links"):
        assert rows(records_store, table) == 0


def test_no_to_delete_keeps_everything(records_store: Store) -> None:
    records_store.give_consent(ME)
    records_store.log_twitch(ME, "calf")
    _, text, _ = run(ActionDeny(), tracker({"text": "no"}, asked=records.DELETE))
    assert "haven't deleted anything" in text and rows(records_store, "diary_entries") == 1


CALF_TWITCH = {"location": ["calf"], "duration_days": 3, "weakness": False, "caffeine_cups_per_day": 5}


def test_a_check_in_result_is_kept_for_someone_who_agreed(records_store: Store) -> None:
    records_store.give_consent(ME)
    events, text, _ = run(ActionCheckInResult(), tracker(slots={"findings": CALF_TWITCH}))
    assert "added this result to your record" in text
    assert records_store.latest_assessment(ME).findings["caffeine_cups_per_day"] == 5
    assert slots(events)["last_assessment"]["result"]["level"]


def test_a_check_in_result_asks_once_and_never_after_an_emergency(records_store: Store) -> None:
    events, text, _ = run(ActionCheckInResult(), tracker(slots={"findings": CALF_TWITCH}))
    assert slots(events)[records.PENDING_QUESTION_SLOT] == records.CONSENT
    assert rows(records_store, "assessments") == 0
    declined = {"findings": CALF_TWITCH, records.CONSENT_DECLINED_SLOT: True}
    events, _, _ = run(ActionCheckInResult(), tracker(slots=declined))
    assert records.PENDING_QUESTION_SLOT not in slots(events)
    emergency = {"findings": {**CALF_TWITCH, "breathing_difficulty": True}}
    events, _, _ = run(ActionCheckInResult(), tracker(slots=emergency))
    assert records.PENDING_QUESTION_SLOT not in slots(events)


def test_a_diary_of_two_weeks_gives_the_check_in_its_duration(records_store: Store) -> None:
    records_store.give_consent(ME)
    records_store.log_twitch(ME, "calf", at=datetime.now(timezone.utc) - timedelta(days=20))
    events, text, _ = run(ActionStartCheckIn(), tracker({"findings": {}}))
    assert slots(events)["findings"]["duration_days"] == 20
    assert "goes back 20 days" in text and "(Source: Muscle twitches" in text


def test_a_short_diary_still_lets_the_check_in_ask_how_long(records_store: Store) -> None:
    records_store.give_consent(ME)
    records_store.log_twitch(ME, "calf", at=datetime.now(timezone.utc) - timedelta(days=3))
    events, text, _ = run(ActionStartCheckIn(), tracker({"findings": {}}))
    assert "duration_days" not in slots(events)["findings"]
    assert "goes back 3 days" in text and "really started" in text


def test_the_summary_gives_a_private_link_once_agreed(records_store: Store) -> None:
    records_store.give_consent(ME)
    records_store.save_assessment(ME, CALF_TWITCH, assess(CALF_TWITCH))
    _, text, _ = run(ActionDoctorSummary(), tracker())
    assert "Summary for your doctor" in text and "Not present: no muscle weakness" in text
    assert "/webhooks/summary/" in text and "24 hours" in text
    assert rows(records_store, "summary_links") == 1


def test_the_summary_without_consent_comes_from_the_conversation_and_asks_to_keep_it(
    records_store: Store,
) -> None:
    kept = {"findings": CALF_TWITCH, "result": assess(CALF_TWITCH).to_dict()}
    events, text, _ = run(ActionDoctorSummary(), tracker(slots={"last_assessment": kept}))
    assert "from this conversation" in text and "/webhooks/summary/" not in text
    assert slots(events)[records.PENDING_RECORDS_SLOT] == {"assessment": kept, "summary_link": True}
    pending = slots(events)[records.PENDING_RECORDS_SLOT]
    _, text, _ = run(
        ActionAffirm(), tracker({"text": "yes"}, {records.PENDING_RECORDS_SLOT: pending}, "consent")
    )
    assert "/webhooks/summary/" in text and records_store.latest_assessment(ME) is not None


def test_a_broken_database_gets_a_clear_reply(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    records.store.cache_clear()
    _, text, _ = run(ActionShowDiary(), tracker())
    assert text == rendered({"response": "utter_records_unavailable"})["text"]
    assert "can't reach your records" in text and "nothing was saved" in text
