"""How long and how much, as people write it: "a month and a half", "3wks", "since last tuesday"."""

from __future__ import annotations

from datetime import date

import pytest

from bot.amounts import parse_amount, parse_duration_days
from bot.extract import extract

WEDNESDAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("3 weeks", 21),
        ("a month and a half", 45),
        ("two and a half months", 75),
        ("3wks", 21),
        ("2mths", 60),
        ("6 mos", 180),
        ("eighteen months", 540),
        ("twenty one days", 21),
        ("thirty days", 30),
        ("the past fortnight", 14),
        ("over the whole of the past week", 7),
        ("in the last month", 30),
        ("for the last 48 hours", 2),
        ("since last night", 1),
        ("3-4 weeks", 28),
        ("a year and a bit", 365),
    ],
)
def test_durations_in_words_digits_and_short_forms(text: str, days: int) -> None:
    assert parse_duration_days(text, WEDNESDAY) == days


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("since tuesday", 1),
        ("since monday", 2),
        ("since wednesday", 7),  # said on a Wednesday: last week's
        ("since last tuesday", 8),  # the Tuesday of the week before this one
        ("since last friday", 5),  # this week's Friday has not come yet
        ("since sunday night", 3),
        ("since christmas", 342),
        ("since christmas eve", 343),
        ("since new year", 335),
        ("since halloween", 32),
    ],
)
def test_days_named_are_counted_from_the_day_the_message_was_written(text: str, days: int) -> None:
    assert parse_duration_days(text, WEDNESDAY) == days


def test_on_christmas_day_since_christmas_is_today() -> None:
    assert parse_duration_days("since christmas", date(2026, 12, 25)) == 0


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Ex smoker, quit 2 years ago. Twitching in my back for 3 weeks", 21),
        ("did a 20 mile hike on saturday, legs been jumping ever since", 4),
        ("had the flu last week and since then my legs twitch", 7),
        ("bicep has been twitching for 2 days after way too many pull ups", 2),
        ("on water tablets and my hands twitch a lot, been a month", 30),
        ("Calf twitches. Started about 7 weeks ago.", 49),
    ],
)
def test_the_twitching_s_duration_is_read_from_the_story(text: str, days: int) -> None:
    assert extract(text, today=WEDNESDAY).findings.get("duration_days") == days


@pytest.mark.parametrize(
    "text",
    [
        "I did a marathon on Sunday and now my thighs are twitching",
        "been on sertraline for a year and my legs twitch when I'm drifting off",
        "my eyelid twitches about 3 or 4 times a week",
    ],
)
def test_a_time_that_belongs_to_something_else_is_not_the_duration(text: str) -> None:
    assert "duration_days" not in extract(text, today=WEDNESDAY).findings


@pytest.mark.parametrize(
    ("text", "amount"), [("about 3 cups", 3), ("3-4", 4), ("two", 2), ("5+", 5), ("less than 5", 4)]
)
def test_amounts(text: str, amount: int) -> None:
    assert parse_amount(text) == amount


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("since the 20th", 12),  # last month's 20th: this month's is still to come
        ("since the 1st", 1),
        ("since 3rd november", 29),
        ("since november 3rd", 29),
        ("since the start of october", 62),
        ("since about halfway through november", 17),
        ("since mid-november", 17),
        ("since october", 62),
        ("since early may", 215),
        ("since 3 days", 3),  # a length, not "the 3rd"
        ("for 3 whole weeks", 21),
        ("2 1/2 weeks", 18),
        ("started two sundays ago", 10),
    ],
)
def test_dates_by_their_month(text: str, days: int) -> None:
    assert parse_duration_days(text, WEDNESDAY) == days


def test_may_alone_is_not_a_month_and_an_amount_is_not_a_date() -> None:
    assert parse_duration_days("it may have started since", WEDNESDAY) is None
    assert parse_duration_days("tired from the 12 hour shifts", WEDNESDAY) is None
