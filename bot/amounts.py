"""Amounts and durations in free text: "about 3 cups", "3-4", "a couple of weeks", "since last month",
"a month and a half", "since last tuesday", "since christmas".
"""

from __future__ import annotations

import re
from datetime import date

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
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_ONES = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DAYS_PER_UNIT = {"day": 1, "night": 1, "week": 7, "fortnight": 14, "month": 30, "year": 365}
# The ways a unit is written, typed short or glued to its number ("3wks", "2mths").
UNIT_FORMS = {
    **{form: unit for unit in DAYS_PER_UNIT for form in (unit, unit + "s")},
    **{form: "week" for form in ("wk", "wks")},
    **{form: "month" for form in ("mth", "mths", "mnth", "mnths", "mo", "mos")},
    **{form: "year" for form in ("yr", "yrs")},
}
_UNIT = "|".join(sorted(UNIT_FORMS, key=len, reverse=True))
_NUMBER = (
    rf"(?:\d+(?:\.\d+)?|(?:{'|'.join(_TENS)})[\s-](?:{'|'.join(_ONES)})\b|"
    + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
    + ")"
)
_HALF = r"(?:\s+and\s+a\s+half\b|\s+1/2(?!\d)|\s*½)"
AMOUNT = re.compile(
    rf"\b(?P<low>{_NUMBER})(?:(?!\w)|(?=(?:{_UNIT})\b))(?P<half_number>{_HALF})?"
    rf"(?:\s*(?:-|to|or|–)\s*(?P<high>{_NUMBER}))?(?:\s*(?:\+|or more|plus))?"
    rf"(?:\s*(?:of\s+)?(?:(?:whole|full|entire|solid|straight)\s+)?(?P<unit>{_UNIT})\b(?P<half_unit>{_HALF})?)?"
)
_COMPARISON = re.compile(
    rf"\b(?P<op>less than|under|fewer than|below|more than|over|above|at least)\s+(?P<n>{_NUMBER})\b"
)
# Phrases that say how long without a number (regular expression -> days).
SINCE_PHRASES = {
    r"\b(since )?yesterday\b": 1,
    r"\bsince last night\b": 1,
    r"\b(since )?(today|this morning)\b": 0,
    r"\bsince this (afternoon|evening)\b": 0,
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
# "the past fortnight", "over the last month", "in the past week": one of the unit, with no number.
_PAST_UNIT = re.compile(rf"\b(?:(?:the|this)\s+(?:past|last)|past)\s+(?:whole\s+)?(?P<unit>{_UNIT})\b")
# "the last 48 hours": hours count as a duration only after "past" or "last" (elsewhere they are sleep).
_PAST_HOURS = re.compile(rf"\b(?:past|last)\s+(?P<n>{_NUMBER})\s*(?:hours|hrs)\b")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Days of the year people count from: (month, day).
FIXED_DAYS = {
    r"new year'?s? eve": (12, 31),
    r"(?:christmas|xmas) eve": (12, 24),
    r"(?:christmas|xmas)(?: day)?": (12, 25),
    r"boxing day": (12, 26),
    r"new year'?s?(?: day)?": (1, 1),
    r"valentine'?s?(?: day)?": (2, 14),
    r"halloween": (10, 31),
    r"bonfire night": (11, 5),
}
# A day said as the start ("since", "started on", "from") or as a point in time ("on saturday").
_DAY = re.compile(
    r"\b(?P<start>(?:since|from|started|starting|began|begun)\s+)?(?:(?:on|at|over)\s+)?(?:the\s+)?"
    r"(?P<last>last\s+)?(?:(?P<weekday>" + "|".join(WEEKDAYS) + r")|(?P<fixed>"
    + "|".join(f"(?:{pattern})" for pattern in FIXED_DAYS)
    + r"))(?:'s)?\b"
)


def _required_number(word: str) -> float:
    value = number_value(word)
    assert value is not None, word  # AMOUNT and _COMPARISON only match numbers
    return value


def number_value(word: str) -> float | None:
    """ "3", "2.5", "two", "couple", "twenty one" -> the number; anything else -> None."""
    if re.fullmatch(r"\d+(\.\d+)?", word):
        return float(word)
    tens, _, ones = word.replace("-", " ").partition(" ")
    if ones and tens in _TENS and ones in _ONES:
        return float(NUMBER_WORDS[tens] + NUMBER_WORDS[ones])
    value = NUMBER_WORDS.get(word)
    return None if value is None else float(value)


def unit_days(form: str) -> int:
    """Days in a unit as written: "weeks" and "wks" -> 7."""
    return DAYS_PER_UNIT[UNIT_FORMS[form]]


def amount_days(match: re.Match[str]) -> int:
    """Days in an AMOUNT match with a unit: the larger end of a range, halves included."""
    half = 0.5 if match.group("half_number") or match.group("half_unit") else 0.0
    amounts = [_required_number(match.group("low")) + half]
    if match.group("high"):
        amounts.append(_required_number(match.group("high")) + half)
    return round(max(amounts) * unit_days(match.group("unit")))


# A day of the month: "the 20th", "20th", "the 20"; never a bare number ("since 3 days" is not the 3rd).
_DAY_NUMBER = r"[1-9]|[12][0-9]|3[01]"
# What follows a number that is an amount, not a day of the month: "from the 12 hour shifts".
_NOT_A_DATE = rf"(?:{_UNIT}|hours?|hrs?|h|minutes?|mins?|am|pm|o'clock|-)\b|-"
_ORDINAL = rf"(?:the\s+(?P<day>{_DAY_NUMBER})(?:st|nd|rd|th)?|(?P<dayx>{_DAY_NUMBER})(?:st|nd|rd|th))"
# A date by its month: "since the 20th", "since march", "since the start of october", "since 3rd november",
# "since halfway through november". "may" is a month only with a day or a part of it, never alone.
_MONTH_DATE = re.compile(
    r"\b(?P<start>(?:since|from|started|starting|began|begun)\s+)(?:about\s+|around\s+|roughly\s+)?(?:"
    rf"{_ORDINAL}(?:\s+(?:of\s+)?(?P<month_after>{'|'.join(MONTHS)}))?(?![\w:.])(?!\s*(?:{_NOT_A_DATE}))"
    rf"|(?P<month_before>{'|'.join(MONTHS)})\s+(?:the\s+)?(?P<day2>[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?(?![\w:.])"
    r"|(?P<part>early|mid|mid-|late|the start of|the beginning of|the middle of|halfway through|the end of)"
    rf"\s*(?P<month_part>{'|'.join(MONTHS)})"
    rf"|(?P<month>{'|'.join(m for m in MONTHS if m != 'may')})"
    r")\b"
)
_PART_OF_MONTH = {"early": 1, "the start of": 1, "the beginning of": 1, "mid": 15, "mid-": 15,
                  "the middle of": 15, "halfway through": 15, "late": 25, "the end of": 28}
# "two sundays ago": the latest such weekday, and as many weeks before it as said.
_WEEKDAYS_AGO = re.compile(rf"\b(?P<n>{_NUMBER})\s+(?P<weekday>{'|'.join(WEEKDAYS)})s\s+ago\b")
# "at the weekend", "last weekend": the Sunday before today.
_WEEKEND = re.compile(r"\b(?P<start>(?:since|from)\s+)?(?:at\s+|over\s+|on\s+)?(?:the\s+|last\s+)weekend\b")
# "last week" is a point in time ("had the flu last week"); "since last week" is in SINCE_PHRASES.
_LAST_UNIT = re.compile(
    r"\b(?P<start>(?:started|starting|began|begun)\s+)?last\s+(?P<unit>week|fortnight|month|year)\b"
)


def _month_date_days(match: re.Match[str], today: date) -> int | None:
    """Days since a date named by its month, the latest such date on or before today."""
    month_name = match.group("month_after") or match.group("month_before") or match.group("month_part") or (
        match.group("month")
    )
    said_day = match.group("day") or match.group("dayx") or match.group("day2")
    day = int(said_day) if said_day else _PART_OF_MONTH.get(match.group("part") or "", 1)
    if month_name is None:  # "since the 20th": this month's, or last month's when it is still to come
        month, year = today.month, today.year
        if day > today.day:
            month, year = (month - 1, year) if month > 1 else (12, year - 1)
    else:
        month, year = MONTHS.index(month_name) + 1, today.year
        if (month, day) > (today.month, today.day):
            year -= 1
    try:
        return (today - date(year, month, day)).days
    except ValueError:  # "since the 31st" of a shorter month
        return None


def days_since(month_day: tuple[int, int], today: date) -> int:
    """Days from the latest such day of the year, on or before today."""
    month, day = month_day
    then = date(today.year, month, day)
    if then > today:
        then = date(today.year - 1, month, day)
    return (today - then).days


def weekday_days_ago(weekday: str, today: date, last: bool) -> int:
    """Days since the latest such weekday before today; "last tuesday" is the one of the week before this
    one when this week's has already been (said on a Wednesday, it is 8 days ago)."""
    ago = (today.weekday() - WEEKDAYS.index(weekday) - 1) % 7 + 1
    if last and ago <= today.weekday():
        ago += 7
    return ago


def dated_phrases(text: str, today: date | None = None) -> list[tuple[int, int, bool]]:
    """(position, days since, said as the start) of every day named in `text`: "since last tuesday",
    "started on monday", "since christmas" are starts; "on saturday" is a point in time, which says how
    long only with a "since then" beside it."""
    today = today or date.today()
    found = []
    for match in _DAY.finditer(text):
        if match.group("weekday"):
            days = weekday_days_ago(match.group("weekday"), today, bool(match.group("last")))
        else:
            pattern = next(p for p in FIXED_DAYS if re.fullmatch(p, match.group("fixed")))
            days = days_since(FIXED_DAYS[pattern], today)
        found.append((match.start(), days, bool(match.group("start"))))
    for match in _LAST_UNIT.finditer(text):
        found.append((match.start(), unit_days(match.group("unit")), bool(match.group("start"))))
    for match in _MONTH_DATE.finditer(text):
        days = _month_date_days(match, today)
        if days is not None:
            found.append((match.start(), days, True))
    for match in _WEEKDAYS_AGO.finditer(text):
        weeks = int(_required_number(match.group("n")))
        days = weekday_days_ago(match.group("weekday"), today, last=False) + 7 * (weeks - 1)
        found.append((match.start(), days, True))
    for match in _WEEKEND.finditer(text):
        if not match.group("start"):  # "since the weekend" is in SINCE_PHRASES
            found.append((match.start(), weekday_days_ago("sunday", today, last=False), False))
    return found


def as_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def since_phrases(text: str) -> list[tuple[int, int]]:
    """(position, days) of every phrase such as "since last month", "since yesterday", "the past fortnight"
    or "the last 48 hours" in `text`."""
    found = [(m.start(), days) for pattern, days in SINCE_PHRASES.items() for m in re.finditer(pattern, text)]
    found += [(m.start(), unit_days(m.group("unit"))) for m in _PAST_UNIT.finditer(text)]
    found += [(m.start(), round(_required_number(m.group("n")) / 24)) for m in _PAST_HOURS.finditer(text)]
    return found


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


def parse_duration_days(text: str, today: date | None = None) -> int | None:
    """Days in an answer such as "3 weeks", "a couple of months", "since yesterday" or "last tuesday"; the
    longest wins."""
    candidates = [days for _, days in since_phrases(text)]
    candidates += [days for _, days, _ in dated_phrases(text, today)]
    candidates += [amount_days(match) for match in AMOUNT.finditer(text) if match.group("unit")]
    return max(candidates) if candidates else None
