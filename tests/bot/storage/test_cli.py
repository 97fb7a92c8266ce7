"""The records command line, `python -m scripts.records`: migrate, purge (Rasa's conversations too),
downgrade."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from bot.identity import telegram_id
from bot.storage.reminders import Reminders
from bot.storage.repository import connect
from tests.bot.storage.databases import OWN_TABLES, add_event, create_rasa_events, tables

ROOT = Path(__file__).resolve().parents[3]
ALICE = "alice-sender-id"


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.records", *args],
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


def test_the_command_line_purge_also_forgets_old_reminders(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    assert run_cli("migrate", env=env).returncode == 0
    now = datetime.now(timezone.utc)
    person = telegram_id(5501)
    with connect(url) as opened:
        opened.give_consent(person)
        reminders = Reminders(opened.engine)
        reminders.schedule(person, "telegram", "5501", 7, now=now - timedelta(days=400))
        recent = reminders.schedule(person, "telegram", "5501", 14, now=now - timedelta(days=1))
    purged = run_cli("purge", "--days", "365", env=env)
    assert "removed 1 rows older than 365 days" in purged.stdout, purged.stderr
    with connect(url) as opened:
        assert [r.id for r in Reminders(opened.engine).history_for(person)] == [recent.id]


def test_the_purge_can_run_every_few_hours_until_stopped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'daily.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    assert run_cli("migrate", env=env).returncode == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.records", "purge", "--every-hours", "0.0005"],  # every 1.8 s
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


def test_the_command_line_purge_also_forgets_old_conversations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    assert run_cli("migrate", env=env).returncode == 0
    now = datetime.now(timezone.utc)
    with connect(url) as opened:
        events = create_rasa_events(opened.engine)
        for days_ago in (400, 1):
            add_event(opened.engine, events, ALICE, now - timedelta(days=days_ago))

    purged = run_cli("purge", "--days", "365", env=env)
    assert purged.returncode == 0, purged.stderr
    assert "removed 1 rows older than 365 days" in purged.stdout
    with connect(url) as opened, opened.engine.connect() as connection:
        left = connection.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
    assert left == 1
