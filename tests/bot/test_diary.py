"""The diary in words: one twitch's length, the diary listing, and how long it has gone on."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.diary import diary_text, episode_minutes, how_long_text, long_lasting, spoken_minutes
from bot.knowledge import knowledge_base
from bot.storage.repository import DiaryEntry

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)


def entry(days_ago: float, location: str = "calf", side: str | None = None, lasted: float | None = None):
    return DiaryEntry(1, "p", NOW - timedelta(days=days_ago), location, side, lasted, None)


@pytest.mark.parametrize(
    ("said", "minutes"),
    [
        ("it lasted about 10 minutes", 10),
        ("that one went on for 30 seconds", 0.5),
        ("lasted 2-3 min", 3),  # a range counts as its longer end
        ("half an hour", 30),
        ("an hour or so", 60),
        ("a couple of minutes", 2),
        ("only 45 secs", 0.75),
        ("1.5 hours", 90),
    ],
)
def test_how_long_one_twitch_lasted_is_read_in_minutes(said: str, minutes: float) -> None:
    assert episode_minutes(said) == pytest.approx(minutes)


@pytest.mark.parametrize("said", ["for 3 weeks", "since last month", "10", "a while", ""])
def test_days_weeks_and_bare_numbers_are_not_a_twitch_length(said: str) -> None:
    assert episode_minutes(said) is None


def test_short_and_long_twitches_are_spoken_in_their_own_units() -> None:
    assert spoken_minutes(0.5) == "30 seconds"
    assert spoken_minutes(10) == "10 minutes"
    assert spoken_minutes(120) == "2 hours"


def test_the_diary_lists_entries_with_place_side_and_length() -> None:
    text = diary_text([entry(3, "calf", "left", 10), entry(0, "eyelid")], NOW)
    assert text.startswith("Your twitch diary: 2 twitches, the first 3 days ago.")
    assert "Thu 19 Nov 2026, 09:30 UTC: left calf, lasted about 10 minutes" in text
    assert "Sun 22 Nov 2026, 09:30 UTC: eyelid" in text


def test_an_empty_diary_says_how_to_start_one() -> None:
    assert "log a twitch in my left calf" in diary_text([], NOW)


def test_a_long_diary_shows_the_latest_entries_and_says_so() -> None:
    text = diary_text([entry(days) for days in range(40, 0, -1)], NOW)
    assert text.count("•") == 15
    assert "the latest 15" in text


def test_a_diary_under_two_weeks_gives_the_span_without_alarm() -> None:
    text = how_long_text([entry(5), entry(1)], NOW)
    assert "5 days ago" in text and "2 twitches logged" in text
    assert "doctor" not in text


def test_a_diary_of_two_weeks_or_more_says_why_it_matters_and_cites_the_article() -> None:
    text = how_long_text([entry(16), entry(2)], NOW)
    rule = long_lasting()
    assert rule.days == 14
    assert "16 days" in text and rule.explanation in text and "doctor" in text
    article = knowledge_base().sources["twitch_types_triggers"].title
    assert f"(Source: {article})" in text


def test_without_a_diary_how_long_points_to_the_check_in() -> None:
    assert "check my symptoms" in how_long_text([], NOW)
