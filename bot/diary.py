"""The twitch diary in words: how long one twitch lasted, the diary as a list, and how long it has gone on.

Plain functions over bot.storage's DiaryEntry; the Rasa actions send what they return, in the words of
data/wording.yml. How many days make "long enough to see a doctor", and the source saying so, come from the
triage rule `long_lasting` in data/red_flags.yml, so the diary and the check-in cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from bot.amounts import NUMBER_WORDS, as_number, number_value
from bot.knowledge import knowledge_base
from bot.storage.repository import SECONDS_PER_DAY, DiaryEntry
from bot.triage import red_flag_rules
from bot.wording import wording

LONG_LASTING_RULE = "long_lasting"
MINUTES_PER_UNIT = {"second": 1 / 60, "sec": 1 / 60, "minute": 1.0, "min": 1.0, "hour": 60.0, "hr": 60.0}
_NUMBER = r"(?:\d+(?:\.\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + ")"
_EPISODE = re.compile(
    rf"\b(?P<low>{_NUMBER})(?:\s*(?:-|to|or|–)\s*(?P<high>{_NUMBER}))?\s*(?:of\s+)?"
    r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?)\b"
)
_HALF_HOUR = re.compile(r"\bhalf an? hour\b")
_FEW_WORDS = re.compile(r"\b(?P<few>few|couple of|several) (?P<unit>seconds|minutes|hours)\b")
DIARY_LINES_IN_CHAT = 15


@dataclass(frozen=True)
class Threshold:
    """When twitching has gone on long enough to see a doctor, why, and who says so."""

    days: float
    explanation: str
    source_title: str


def long_lasting() -> Threshold:
    rule = next(r for r in red_flag_rules().red_flags if r.id == LONG_LASTING_RULE)
    source = knowledge_base().sources[rule.source]
    return Threshold(float(rule.when["duration_days"]["at_least"]), rule.explanation.strip(), source.title)


def episode_minutes(text: str) -> float | None:
    """How long one twitch lasted, in minutes: "about 10 minutes", "30 secs", "half an hour"; else None.

    Days and weeks are not read: they say how long the problem has gone on, which the check-in asks.
    """
    lowered = text.lower()
    if _HALF_HOUR.search(lowered):
        return 30.0
    match = _EPISODE.search(lowered)
    if match:
        low = number_value(match["low"])
        high = number_value(match["high"]) if match["high"] else None
        if low is None:
            return None
        amount = max(low, high) if high is not None else low  # caution: the longer end of a range
        return amount * MINUTES_PER_UNIT[match["unit"].rstrip("s")]
    few = _FEW_WORDS.search(lowered)
    if few:
        return float(NUMBER_WORDS[few["few"].split()[0]]) * MINUTES_PER_UNIT[few["unit"].rstrip("s")]
    return None


def spoken_minutes(minutes: float) -> str:
    if minutes < 1:
        return wording("seconds", count=round(minutes * 60))
    if minutes < 90:
        return wording("minutes", count=as_number(round(minutes, 1)))
    return wording("hours", count=as_number(round(minutes / 60, 1)))


def place(entry: DiaryEntry) -> str:
    where = wording("place_all_over") if entry.location == "whole_body" else entry.location
    if entry.side in ("left", "right"):
        return wording("place_on_one_side", side=entry.side, place=where)
    return wording("place_on_both_sides", place=where) if entry.side == "both" else where


def when(moment: datetime) -> str:
    """The moment as a diary line gives it ("Tue 3 Dec 2026, 09:15 UTC"), in data/wording.yml's order."""
    return wording("diary_when", weekday=f"{moment:%a}", day=moment.day, month=f"{moment:%b}",
                   year=moment.year, time=f"{moment:%H:%M}")


def entry_line(entry: DiaryEntry) -> str:
    if entry.lasted_minutes is None:
        return wording("diary_entry", when=when(entry.logged_at), place=place(entry))
    lasted = spoken_minutes(entry.lasted_minutes)
    return wording("diary_entry_lasted", when=when(entry.logged_at), place=place(entry), lasted=lasted)


def days_since(first: datetime, now: datetime) -> float:
    return (now - first).total_seconds() / SECONDS_PER_DAY


def spoken_days(days: float) -> str:
    whole = int(days)
    return wording("today") if whole == 0 else wording("days_ago", count=whole)


def diary_lines(entries: Sequence[DiaryEntry]) -> str:
    """The entries as a bulleted list, one a line."""
    return "\n".join(wording("bullet", item=entry_line(entry)) for entry in entries)


def diary_text(entries: Sequence[DiaryEntry], now: datetime) -> str:
    """The diary as a chat message, newest entries last; long diaries show the latest lines only."""
    if not entries:
        return wording("diary_empty")
    first = spoken_days(days_since(entries[0].logged_at, now))
    header = wording("diary_header", count=len(entries), first=first)
    shown = entries[-DIARY_LINES_IN_CHAT:]
    lines = diary_lines(shown)
    if len(shown) < len(entries):
        lines = wording("diary_latest_only", count=len(shown)) + "\n" + lines
    return header + "\n" + lines


def how_long_text(entries: Sequence[DiaryEntry], now: datetime) -> str:
    """How long the diary says this has gone on; from the threshold on, why that matters, cited."""
    if not entries:
        return wording("diary_how_long_empty")
    days = days_since(entries[0].logged_at, now)
    text = wording(
        "diary_how_long", first=spoken_days(days), when=when(entries[0].logged_at), count=len(entries)
    )
    return text + " " + long_lasting_note(days) if days >= long_lasting().days else text


def long_lasting_note(days: float) -> str:
    """Why twitching that has gone on this long is worth a doctor's visit, with the source."""
    threshold = long_lasting()
    return wording(
        "long_lasting_note", days=int(days), explanation=threshold.explanation, source=threshold.source_title
    )
