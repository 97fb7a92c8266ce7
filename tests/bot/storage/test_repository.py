"""What TwitchCheck remembers about a person, in a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from actions.records import CONVERSATION_EVENTS
from bot.storage.migrations import migrate
from bot.storage.repository import ConsentRequired, DiaryEntryError, LinkedTable, Store, connect
from bot.triage import assess
from tests.bot.storage.databases import add_event, conversation_rows, create_rasa_events, rows_of

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
ALICE, BOB = "alice-sender-id", "bob-sender-id"


def test_without_consent_nothing_is_stored(store: Store) -> None:
    assert not store.has_consent(ALICE)
    with pytest.raises(ConsentRequired):
        store.log_twitch(ALICE, "eyelid", notes="after three coffees")
    findings = {"location": ["eyelid"], "duration_days": 3}
    with pytest.raises(ConsentRequired):
        store.save_assessment(ALICE, findings, assess(findings))
    assert rows_of(store, "diary_entries", ALICE) == 0
    assert rows_of(store, "assessments", ALICE) == 0


def test_withdrawing_consent_stops_new_entries(store: Store) -> None:
    store.give_consent(ALICE)
    store.log_twitch(ALICE, "calf", side="left")
    store.withdraw_consent(ALICE)
    assert not store.has_consent(ALICE)
    with pytest.raises(ConsentRequired):
        store.log_twitch(ALICE, "calf")
    assert rows_of(store, "diary_entries", ALICE) == 1
    store.give_consent(ALICE)
    assert store.has_consent(ALICE)


def test_the_diary_lists_entries_oldest_first_and_knows_when_it_started(store: Store) -> None:
    store.give_consent(ALICE)
    store.log_twitch(ALICE, "thumb", at=NOW - timedelta(days=2))
    store.log_twitch(ALICE, "eyelid", side="right", lasted_minutes=1.5, at=NOW - timedelta(days=10))
    # A time given in another zone is stored as the same moment in UTC.
    store.log_twitch(
        ALICE, "calf", side="both", at=(NOW - timedelta(days=5)).astimezone(timezone(timedelta(hours=2)))
    )
    diary = store.diary(ALICE)
    assert [entry.location for entry in diary] == ["eyelid", "calf", "thumb"]
    assert diary[0].logged_at == NOW - timedelta(days=10)
    assert diary[0].logged_at.tzinfo == timezone.utc
    assert (diary[0].side, diary[0].lasted_minutes) == ("right", 1.5)
    assert store.first_entry_age_days(ALICE, now=NOW) == pytest.approx(10.0)
    assert store.first_entry_age_days(BOB, now=NOW) is None
    assert store.diary(BOB) == []


def test_how_long_the_last_twitch_lasted_can_be_added_later(store: Store) -> None:
    store.give_consent(ALICE)
    assert store.update_last_entry_duration(ALICE, 3) is None
    store.log_twitch(ALICE, "eyelid", at=NOW - timedelta(hours=2))
    store.log_twitch(ALICE, "lip", at=NOW - timedelta(hours=1))
    updated = store.update_last_entry_duration(ALICE, 3)
    assert updated is not None and updated.location == "lip"
    assert [entry.lasted_minutes for entry in store.diary(ALICE)] == [None, 3.0]


def test_the_latest_assessment_comes_back_as_it_was_given(store: Store) -> None:
    store.give_consent(ALICE)
    assert store.latest_assessment(ALICE) is None
    mild = {"location": ["eyelid"], "duration_days": 3}
    worrying = {"location": ["calf"], "weakness": True}
    store.save_assessment(ALICE, mild, assess(mild), at=NOW - timedelta(days=1))
    store.save_assessment(ALICE, worrying, assess(worrying).to_dict(), at=NOW)
    latest = store.latest_assessment(ALICE)
    assert latest is not None
    assert latest.findings == worrying
    assert latest.result == json.loads(json.dumps(assess(worrying).to_dict()))
    assert (latest.level, latest.rules_version) == (assess(worrying).level, assess(worrying).rules_version)
    assert latest.assessed_at == NOW


def test_deleting_a_person_leaves_no_row_of_theirs_in_any_table(store: Store) -> None:
    events = create_rasa_events(store.engine)
    for person in (ALICE, BOB):
        store.give_consent(person)
        store.log_twitch(person, "eyelid", notes="stress at work")
        store.log_twitch(person, "calf")
        store.save_assessment(person, {"location": ["eyelid"]}, assess({"location": ["eyelid"]}))
        add_event(store.engine, events, person, NOW)
        add_event(store.engine, events, person, NOW)

    assert store.delete_person(ALICE) == 1 + 2 + 1 + 2

    for table in ("consents", "diary_entries", "assessments"):
        assert rows_of(store, table, ALICE) == 0
        assert rows_of(store, table, BOB) > 0
    assert conversation_rows(store, ALICE) == 0
    assert conversation_rows(store, BOB) == 2
    assert (
        not store.has_consent(ALICE) and store.diary(ALICE) == [] and store.latest_assessment(ALICE) is None
    )


def test_a_summary_link_opens_only_its_owners_summary_until_it_expires(store: Store) -> None:
    store.give_consent(ALICE)
    store.give_consent(BOB)
    token, expires = store.create_summary_link(ALICE, hours=24, now=NOW)
    assert expires == NOW + timedelta(hours=24)
    assert len(token) >= 40
    assert store.person_for_summary_link(token, now=NOW + timedelta(hours=23)) == ALICE
    assert store.person_for_summary_link(token, now=NOW + timedelta(hours=24)) is None
    assert store.person_for_summary_link(token[:-1] + ("A" if token[-1] != "A" else "B"), now=NOW) is None
    assert store.person_for_summary_link("", now=NOW) is None
    assert store.person_for_summary_link("x" * 5000, now=NOW) is None
    other, _ = store.create_summary_link(BOB, now=NOW)
    assert other != token and store.person_for_summary_link(other, now=NOW) == BOB


def test_a_summary_link_keeps_no_usable_token_and_needs_consent(store: Store) -> None:
    with pytest.raises(ConsentRequired):
        store.create_summary_link(ALICE)
    store.give_consent(ALICE)
    token, _ = store.create_summary_link(ALICE)
    with store.engine.connect() as connection:
        stored = connection.execute(sa.text("select token_hash from summary_links")).scalars().all()
    assert stored and token not in stored
    store.withdraw_consent(ALICE)
    assert store.person_for_summary_link(token) is None
    store.give_consent(ALICE)
    assert store.delete_person(ALICE) == 2
    assert store.person_for_summary_link(token) is None


def test_purging_removes_expired_summary_links(store: Store) -> None:
    store.give_consent(ALICE)
    store.create_summary_link(ALICE, hours=1, now=NOW - timedelta(hours=2))
    live, _ = store.create_summary_link(ALICE, hours=1, now=NOW)
    assert store.purge_older_than(365, now=NOW) == 1
    assert store.person_for_summary_link(live, now=NOW) == ALICE


def test_deleting_works_before_rasa_has_created_its_table(store: Store) -> None:
    store.give_consent(ALICE)
    store.log_twitch(ALICE, "eyelid")
    assert store.delete_person(ALICE) == 2
    assert store.delete_person(ALICE) == 0


def test_purging_removes_only_what_is_older_than_the_retention_period(store: Store) -> None:
    events = create_rasa_events(store.engine)
    old, recent = NOW - timedelta(days=400), NOW - timedelta(days=10)
    store.give_consent(ALICE)
    findings = {"location": ["eyelid"]}
    for at in (old, recent):
        store.log_twitch(ALICE, "eyelid", at=at)
        store.save_assessment(ALICE, findings, assess(findings), at=at)
        add_event(store.engine, events, ALICE, at)

    assert store.purge_older_than(365, now=NOW) == 3

    assert [entry.logged_at for entry in store.diary(ALICE)] == [recent]
    assert rows_of(store, "assessments", ALICE) == 1
    assert conversation_rows(store, ALICE) == 1
    assert store.has_consent(ALICE), "kept: an entry of Alice's is still within the retention period"


@pytest.mark.parametrize(
    ("entry", "error", "message"),
    [
        ({"location": "elbow"}, DiaryEntryError, "unknown body part 'elbow': use one of eyelid, face"),
        (
            {"location": "eyelid", "notes": "x" * 501},
            DiaryEntryError,
            "at most 500 characters, these have 501",
        ),
        ({"location": "eyelid", "side": "up"}, DiaryEntryError, "side must be one of left, right, both"),
        ({"location": "eyelid", "lasted_minutes": -1}, DiaryEntryError, "0 or more, got -1"),
        ({"location": "eyelid", "at": datetime(2025, 1, 1)}, ValueError, "times must be timezone-aware"),
    ],
)
def test_an_entry_that_cannot_be_stored_says_why(
    store: Store, entry: dict, error: type[Exception], message: str
) -> None:
    store.give_consent(ALICE)
    with pytest.raises(error, match=message):
        store.log_twitch(ALICE, **entry)
    assert rows_of(store, "diary_entries", ALICE) == 0


def test_notes_never_reach_the_logs(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store.give_consent(ALICE)
    store.log_twitch(ALICE, "eyelid", notes="my private worry")
    store.update_last_entry_duration(ALICE, 2)
    store.purge_older_than(0)
    store.delete_person(ALICE)
    assert "my private worry" not in caplog.text


def backdate_consent(store: Store, person: str, given: datetime, withdrawn: datetime | None = None) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            sa.text("update consents set given_at = :given, withdrawn_at = :withdrawn where person = :who"),
            {"given": given, "withdrawn": withdrawn, "who": person},
        )


def test_a_consent_falls_under_retention_once_nothing_of_the_person_is_kept(store: Store) -> None:
    long_ago = NOW - timedelta(days=400)
    for person in (ALICE, BOB, "carol"):
        store.give_consent(person)
    backdate_consent(store, ALICE, long_ago)  # nothing logged since: asked again next time
    backdate_consent(store, BOB, long_ago)  # but logged recently: the consent still covers that entry
    store.log_twitch(BOB, "eyelid", at=NOW - timedelta(days=3))
    backdate_consent(store, "carol", long_ago, withdrawn=long_ago + timedelta(days=1))
    assert store.purge_older_than(365, now=NOW) == 2
    assert (rows_of(store, "consents", ALICE), rows_of(store, "consents", "carol")) == (0, 0)
    assert store.has_consent(BOB)


def test_deleting_a_person_leaves_no_copy_in_the_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twitchcheck.db'}"
    migrate(url)
    marker = "zebra-calf-worry-7f3a"
    with connect(url, linked_tables=[CONVERSATION_EVENTS]) as opened:
        events = create_rasa_events(opened.engine)
        opened.give_consent(ALICE)
        opened.log_twitch(ALICE, "calf", notes=f"note {marker}")
        with opened.engine.begin() as connection:
            data = json.dumps({"event": "user", "text": f"my calf twitches, {marker}"})
            row = {"sender_id": ALICE, "type_name": "user", "timestamp": 1.0, "data": data}
            connection.execute(events.insert().values(**row))

        def on_disk() -> bytes:
            return b"".join(path.read_bytes() for path in tmp_path.glob("twitchcheck.db*"))

        assert marker.encode() in on_disk()
        opened.delete_person(ALICE)
        assert marker.encode() not in on_disk(), "a deleted row must not survive in free pages or the WAL"


def test_any_table_of_a_persons_rows_can_be_linked_by_its_names(database_url: str) -> None:
    migrate(database_url)
    log = sa.Table(
        "chat_log",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("who", sa.String(255)),
        sa.Column("said_at", sa.Float),
    )
    with connect(database_url, linked_tables=[LinkedTable("chat_log", "who", "said_at")]) as opened:
        log.create(opened.engine)
        with opened.engine.begin() as connection:
            for who, at in ((ALICE, NOW), (BOB, NOW - timedelta(days=400)), (BOB, NOW)):
                connection.execute(log.insert().values(who=who, said_at=at.timestamp()))
        assert opened.purge_older_than(365, now=NOW) == 1
        assert opened.delete_person(ALICE) == 1
        assert rows_of(opened, "chat_log", BOB, column="who") == 1
