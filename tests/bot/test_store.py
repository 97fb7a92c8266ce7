"""What TwitchCheck remembers about a person, in a real SQLite file and a real PostgreSQL database.

PostgreSQL tests use TEST_DATABASE_URL (default: the local server these machines run), each in a fresh
schema dropped afterwards. Where it cannot be reached they are skipped with the reason, unless
TWITCHCHECK_REQUIRE_POSTGRES is set (CI sets it), in which case they fail.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url

from bot import store as storage
from bot.store import ConsentRequired, DiaryEntryError, Store, connect, downgrade, migrate
from bot.triage import assess
from tests.conftest import POSTGRES_URL, postgres_or_skip

ROOT = Path(__file__).resolve().parents[2]
OWN_TABLES = {"consents", "diary_entries", "assessments", "summary_links"}
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
ALICE, BOB = "alice-sender-id", "bob-sender-id"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'twitchcheck.db'}"
        return
    admin = postgres_or_skip()
    schema = f"twitchcheck_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'create schema "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'drop schema "{schema}" cascade'))
        admin.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    migrate(database_url)
    with connect(database_url) as opened:
        yield opened


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url, future=True)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def rows_of(store: Store, table: str, person: str, column: str = "person") -> int:
    with store.engine.connect() as connection:
        query = sa.text(f"select count(*) from {table} where {column} = :person")
        return connection.execute(query, {"person": person}).scalar_one()


def create_rasa_events(store: Store) -> sa.Table:
    """The columns of Rasa's SQLTrackerStore table that matter here."""
    events = sa.Table(
        "events",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("type_name", sa.String(255), nullable=False),
        sa.Column("timestamp", sa.Float),
        sa.Column("data", sa.Text),
    )
    events.create(store.engine)
    return events


def add_event(store: Store, events: sa.Table, sender: str, at: datetime) -> None:
    data = json.dumps({"event": "user", "text": "my eyelid twitches"})
    with store.engine.begin() as connection:
        connection.execute(
            events.insert().values(sender_id=sender, type_name="user", timestamp=at.timestamp(), data=data)
        )


def test_migrations_go_up_down_and_up_again(database_url: str) -> None:
    connect(database_url).close()
    assert OWN_TABLES.isdisjoint(tables(database_url)), "connect() must not create tables"
    migrate(database_url)
    assert OWN_TABLES <= tables(database_url)
    downgrade(database_url)
    assert OWN_TABLES.isdisjoint(tables(database_url))
    migrate(database_url)
    assert OWN_TABLES <= tables(database_url)


def test_the_migrations_create_what_the_models_describe(store: Store) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), storage.metadata)
    assert [d for d in differences if d[0] != "remove_table" or d[1].name != "alembic_version"] == []


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
    events = create_rasa_events(store)
    for person in (ALICE, BOB):
        store.give_consent(person)
        store.log_twitch(person, "eyelid", notes="stress at work")
        store.log_twitch(person, "calf")
        store.save_assessment(person, {"location": ["eyelid"]}, assess({"location": ["eyelid"]}))
        add_event(store, events, person, NOW)
        add_event(store, events, person, NOW)

    assert store.delete_person(ALICE) == 1 + 2 + 1 + 2

    for table in ("consents", "diary_entries", "assessments"):
        assert rows_of(store, table, ALICE) == 0
        assert rows_of(store, table, BOB) > 0
    assert rows_of(store, "events", ALICE, column="sender_id") == 0
    assert rows_of(store, "events", BOB, column="sender_id") == 2
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
    events = create_rasa_events(store)
    old, recent = NOW - timedelta(days=400), NOW - timedelta(days=10)
    store.give_consent(ALICE)
    findings = {"location": ["eyelid"]}
    for at in (old, recent):
        store.log_twitch(ALICE, "eyelid", at=at)
        store.save_assessment(ALICE, findings, assess(findings), at=at)
        add_event(store, events, ALICE, at)

    assert store.purge_older_than(365, now=NOW) == 3

    assert [entry.logged_at for entry in store.diary(ALICE)] == [recent]
    assert rows_of(store, "assessments", ALICE) == 1
    assert rows_of(store, "events", ALICE, column="sender_id") == 1
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


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.store", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_line_migrates_and_purges(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "DATABASE_URL": url, "TWITCHCHECK_RETENTION_DAYS": "30"}
    migrated = run_cli("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert OWN_TABLES <= tables(url)

    now = datetime.now(timezone.utc)
    with connect(url) as opened:
        opened.give_consent(ALICE)
        for days_ago in (400, 100, 1):
            opened.log_twitch(ALICE, "eyelid", at=now - timedelta(days=days_ago))

    purged = run_cli("purge", "--days", "365", env=env)
    assert purged.returncode == 0, purged.stderr
    assert "removed 1 rows older than 365 days" in purged.stdout
    by_default = run_cli("purge", env=env)
    assert "removed 1 rows older than 30 days" in by_default.stdout
    with connect(url) as opened:
        assert len(opened.diary(ALICE)) == 1

    refused = run_cli("downgrade", env=env)
    assert refused.returncode == 2 and "--revision" in refused.stderr
    assert OWN_TABLES <= tables(url), "a downgrade without an explicit revision must not drop anything"
    downgraded = run_cli("downgrade", "--revision", "base", env=env)
    assert downgraded.returncode == 0, downgraded.stderr
    assert OWN_TABLES.isdisjoint(tables(url))


def test_the_database_is_the_one_rasa_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert storage.resolve_database_url() == "sqlite:///twitchcheck.db"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/twitchcheck")
    assert storage.resolve_database_url() == "postgresql://u:p@db/twitchcheck"
    assert storage.resolve_database_url("sqlite:///other.db") == "sqlite:///other.db"


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
    with connect(url) as opened:
        events = create_rasa_events(opened)
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


def test_the_purge_can_run_every_few_hours_until_stopped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'daily.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    assert run_cli("migrate", env=env).returncode == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.store", "purge", "--every-hours", "0.0005"],  # every 1.8 s
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(2)]  # type: ignore[union-attr]
    finally:
        process.kill()
        process.wait()
    assert all("removed 0 rows older than 365 days" in line for line in lines), lines
