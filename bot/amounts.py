"""Amounts and durations in free text: "about 3 cups", "3-4", "a couple of weeks", "since last month"."""

from __future__ import annotations

import re

NUMBER_WORDS = {
    "zero": 0,
    "no": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "single": 1,
    "two": 2,
    "couple": 2,
    "pair": 2,
    "three": 3,
    "few": 3,
    "four": 4,
    "several": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "half": 0.5,
    "fifteen": 15,
    "twenty": 20,
}
DAYS_PER_UNIT = {"day": 1, "night": 1, "week": 7, "fortnight": 14, "month": 30, "year": 365}
_NUMBER = r"(?:\d+(?:\.\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + ")"
AMOUNT = re.compile(
    rf"\b(?P<low>{_NUMBER})(?!\w)(?:\s*(?:-|to|or|–)\s*(?P<high>{_NUMBER}))?(?:\s*(?:\+|or more|plus))?"
    rf"(?:\s*(?:of\s+)?(?P<unit>day|night|week|fortnight|month|year)s?\b)?"
)
_COMPARISON = re.compile(
    rf"\b(?P<op>less than|under|fewer than|below|more than|over|above|at least)\s+(?P<n>{_NUMBER})\b"
)
# Phrases that say how long without a number (regular expression -> days).
SINCE_PHRASES = {
    r"\b(since )?yesterday\b": 1,
    r"\b(since )?(today|this morning)\b": 0,
    r"\bsince the weekend\b": 3,
    r"\bsince last week\b": 7,
    r"\ball week\b": 7,
    r"\bsince last month\b": 30,
    r"\ball month\b": 30,
    r"\bsince last year\b": 365,
    r"\ba week or two\b": 14,
    r"\ba month or two\b": 60,
    r"\bhalf a year\b": 182,
    r"\ba fortnight\b": 14,
}


def _required_number(word: str) -> float:
    value = number_value(word)
    assert value is not None, word  # AMOUNT and _COMPARISON only match numbers
    return value


def number_value(word: str) -> float | None:
    """ "3", "2.5", "two", "couple" -> the number; anything else -> None."""
    if re.fullmatch(r"\d+(\.\d+)?", word):
        return float(word)
    value = NUMBER_WORDS.get(word)
    return None if value is None else float(value)


def as_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def since_phrases(text: str) -> list[tuple[int, int]]:
    """(position, days) of every phrase such as "since last month" or "since yesterday" in `text`."""
    return [(m.start(), days) for pattern, days in SINCE_PHRASES.items() for m in re.finditer(pattern, text)]


def parse_amount(text: str, ranges: str = "high") -> int | float | None:
    """The amount in an answer such as "about 3 cups", "3-4", "two", "5+" or "less than 5"."""
    comparison = _COMPARISON.search(text)
    if comparison:
        n = _required_number(comparison.group("n"))
        below = comparison.group("op") in ("less than", "under", "fewer than", "below")
        return as_number(max(n - 1, 0) if below else n if comparison.group("op") == "at least" else n + 1)
    for match in AMOUNT.finditer(text):
        low = match.group("low")
        if low in ("a", "an", "no") and not match.group("unit"):
            continue
        values = [_required_number(low)] + (
            [_required_number(match.group("high"))] if match.group("high") else []
        )
        return as_number(max(values) if ranges == "high" else min(values))
    return None


def parse_duration_days(text: str) -> int | None:
    """Days in an answer such as "3 weeks", "a couple of months" or "since yesterday"; the longest wins."""
    candidates = [days for _, days in since_phrases(text)]
    for match in AMOUNT.finditer(text):
        if not match.group("unit"):
            continue
        amounts = [_required_number(match.group("low"))]
        if match.group("high"):
            amounts.append(_required_number(match.group("high")))
        candidates.append(round(max(amounts) * DAYS_PER_UNIT[match.group("unit")]))
    return max(candidates) if candidates else None
