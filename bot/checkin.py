"""The symptom check-in: which question comes next, and what a free-text answer says.

The questions and the words that answer them are data (data/check_in.yml); this module reads them
and turns an answer ("about 3 cups", "a couple of weeks", "weakness but no numbness", "nope") into
findings from bot/findings.py. It knows nothing of Rasa.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from bot.findings import BOOL, FINDINGS, LIST, validate_findings
from bot.negation import negation

CHECK_IN_FILE = Path(__file__).resolve().parent.parent / "data" / "check_in.yml"

ANSWERED, UNKNOWN, WHY, UNCLEAR, NAME_THEM = "answered", "unknown", "why", "unclear", "name_them"

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
_AMOUNT = re.compile(
    rf"\b(?P<low>{_NUMBER})(?!\w)(?:\s*(?:-|to|or|–)\s*(?P<high>{_NUMBER}))?(?:\s*(?:\+|or more|plus))?"
    rf"(?:\s*(?:of\s+)?(?P<unit>day|night|week|fortnight|month|year)s?\b)?"
)
_COMPARISON = re.compile(
    rf"\b(?P<op>less than|under|fewer than|below|more than|over|above|at least)\s+(?P<n>{_NUMBER})\b"
)
_SINCE = {
    r"\b(since )?yesterday\b": 1,
    r"\b(since )?(today|this morning)\b": 0,
    r"\bsince last week\b": 7,
    r"\bsince last month\b": 30,
    r"\bsince last year\b": 365,
    r"\ba week or two\b": 14,
    r"\ba month or two\b": 60,
    r"\bhalf a year\b": 182,
    r"\ba fortnight\b": 14,
}


@dataclass(frozen=True)
class Item:
    finding: str
    pattern: re.Pattern[str]
    value: Any = True


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    text: str
    why: str
    buttons: tuple[Mapping[str, str], ...]
    items: tuple[Item, ...] = ()
    finding: str | None = None
    ranges: str = "high"
    zero: re.Pattern[str] | None = None
    choices: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    on_bare_yes: str | None = None

    @property
    def findings(self) -> tuple[str, ...]:
        """The findings this question asks about; it is skipped when all of them are known."""
        if self.kind == "body_parts":
            return ("location",)
        if self.kind == "duration":
            return ("duration_days",)
        if self.kind == "frequency":
            return ("frequency",)
        if self.kind == "number":
            return (self.finding,) if self.finding else ()
        return tuple(dict.fromkeys(item.finding for item in self.items))


@dataclass(frozen=True)
class Interpretation:
    """What one answer said: a status and the findings it gave (merge them into what is known)."""

    status: str
    findings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckIn:
    intro: str
    questions: tuple[Question, ...]
    body_parts: Mapping[str, re.Pattern[str]]
    answers: Mapping[str, re.Pattern[str]]

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)

    def remaining(self, findings: Mapping[str, Any], answered: set[str]) -> list[Question]:
        """The questions still to ask, in order; none once an emergency sign is known."""
        if any(findings.get(name) is True for name in EMERGENCY_FINDINGS):
            return []
        return [
            q
            for q in self.questions
            if q.id not in answered and not all(name in findings for name in q.findings)
        ]

    def _whole(self, kind: str, text: str) -> bool:
        return bool(self.answers[kind].fullmatch(text))

    def interpret(self, question: Question, answer: str) -> Interpretation:
        """Reads one free-text (or button) answer to `question`."""
        text = normalise(answer)
        if not text:
            return Interpretation(UNCLEAR)
        if self._whole("why", text):
            return Interpretation(WHY)
        if self._whole("unsure", text) or self._whole("skip", text):
            return Interpretation(UNKNOWN)
        reader = {
            "items": self._items,
            "body_parts": self._body_parts,
            "duration": self._duration,
            "number": self._number,
            "frequency": self._frequency,
        }[question.kind]
        return reader(question, text)

    def _items(self, question: Question, text: str) -> Interpretation:
        if self._whole("none", text):
            return Interpretation(ANSWERED, _all_said_no(question))
        found: dict[str, Any] = {}
        for item in question.items:
            for match in item.pattern.finditer(text):
                said_no = negation().cancels(text[: match.start()])
                _record(found, item, not said_no)
                break
        if found:
            return Interpretation(ANSWERED, found)
        if self._whole("bare_yes", text):
            if question.on_bare_yes:
                return Interpretation(ANSWERED, {question.on_bare_yes: True})
            return Interpretation(NAME_THEM)
        return Interpretation(UNCLEAR)

    def _body_parts(self, question: Question, text: str) -> Interpretation:
        parts = [
            part
            for part, pattern in self.body_parts.items()
            if any(not negation().cancels(text[: m.start()]) for m in pattern.finditer(text))
        ]
        return Interpretation(ANSWERED, {"location": parts}) if parts else Interpretation(UNCLEAR)

    def _duration(self, question: Question, text: str) -> Interpretation:
        days = parse_duration_days(text)
        return Interpretation(UNCLEAR) if days is None else Interpretation(ANSWERED, {"duration_days": days})

    def _number(self, question: Question, text: str) -> Interpretation:
        assert question.finding is not None
        value = parse_amount(text, question.ranges)
        if value is None and question.zero is not None and question.zero.search(text):
            value = 0
        if value is None:
            return Interpretation(UNCLEAR)
        spec = FINDINGS[question.finding]
        if (spec.minimum is not None and value < spec.minimum) or (
            spec.maximum is not None and value > spec.maximum
        ):
            return Interpretation(UNCLEAR)
        return Interpretation(ANSWERED, {question.finding: value})

    def _frequency(self, question: Question, text: str) -> Interpretation:
        found: dict[str, Any] = {}
        for choice, pattern in question.choices.items():
            if pattern.search(text):
                found["frequency"] = choice
                break
        for item in question.items:
            match = item.pattern.search(text)
            if match:
                _record(found, item, not negation().cancels(text[: match.start()]))
        return Interpretation(ANSWERED, found) if found else Interpretation(UNCLEAR)


EMERGENCY_FINDINGS = ("breathing_difficulty", "sudden_weakness", "seizure", "unspecified_emergency_sign")


def normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").strip()
    return re.sub(r"\s+", " ", re.sub(r"[!?.…]+$", "", text)).strip()


def _record(found: dict[str, Any], item: Item, present: bool) -> None:
    spec = FINDINGS[item.finding]
    if spec.kind == LIST:
        values = list(found.get(item.finding, []))
        if present and item.value not in values:
            values.append(item.value)
        found[item.finding] = values
    elif spec.kind == BOOL:
        found[item.finding] = present


def _all_said_no(question: Question) -> dict[str, Any]:
    said_no: dict[str, Any] = {}
    for item in question.items:
        said_no[item.finding] = [] if FINDINGS[item.finding].kind == LIST else False
    return said_no


def _number_value(word: str) -> float:
    return float(word) if word[0].isdigit() else float(NUMBER_WORDS[word])


def _as_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def parse_amount(text: str, ranges: str = "high") -> int | float | None:
    """The amount in an answer such as "about 3 cups", "3-4", "two", "5+" or "less than 5"."""
    comparison = _COMPARISON.search(text)
    if comparison:
        n = _number_value(comparison.group("n"))
        below = comparison.group("op") in ("less than", "under", "fewer than", "below")
        return _as_number(max(n - 1, 0) if below else n if comparison.group("op") == "at least" else n + 1)
    for match in _AMOUNT.finditer(text):
        low = match.group("low")
        if low in ("a", "an", "no") and not match.group("unit"):
            continue
        values = [_number_value(low)] + ([_number_value(match.group("high"))] if match.group("high") else [])
        return _as_number(max(values) if ranges == "high" else min(values))
    return None


def parse_duration_days(text: str) -> int | None:
    """Days in an answer such as "3 weeks", "a couple of months" or "since yesterday"; the longest wins."""
    candidates = [days for pattern, days in _SINCE.items() if re.search(pattern, text)]
    for match in _AMOUNT.finditer(text):
        if not match.group("unit"):
            continue
        amounts = [_number_value(match.group("low"))]
        if match.group("high"):
            amounts.append(_number_value(match.group("high")))
        candidates.append(round(max(amounts) * DAYS_PER_UNIT[match.group("unit")]))
    return max(candidates) if candidates else None


def _alternatives(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")(?!\w)")


def _whole_alternatives(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?:" + "|".join(f"(?:{p})" for p in patterns) + r")[ ,.!]*(?:thanks?( you)?)?")


def _question(raw: Mapping[str, Any]) -> Question:
    items = tuple(
        Item(entry["finding"], _alternatives(entry["patterns"]), entry.get("value", True))
        for entry in raw.get("items") or []
    )
    return Question(
        id=raw["id"],
        kind=raw["kind"],
        text=" ".join(raw["text"].split()),
        why=" ".join(raw["why"].split()),
        buttons=tuple(raw.get("buttons") or ()),
        items=items,
        finding=raw.get("finding"),
        ranges=raw.get("ranges", "high"),
        zero=_alternatives(raw["zero"]) if raw.get("zero") else None,
        choices={choice: _alternatives(patterns) for choice, patterns in (raw.get("choices") or {}).items()},
        on_bare_yes=raw.get("on_bare_yes"),
    )


def load_check_in(path: Path = CHECK_IN_FILE) -> CheckIn:
    """Reads the check-in and checks that every finding it names exists in the vocabulary."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    check_in = CheckIn(
        intro=" ".join(raw["intro"].split()),
        questions=tuple(_question(q) for q in raw["questions"]),
        body_parts={part: _alternatives(patterns) for part, patterns in raw["body_parts"].items()},
        answers={kind: _whole_alternatives(patterns) for kind, patterns in raw["answers"].items()},
    )
    named = {name for q in check_in.questions for name in q.findings} | {
        q.on_bare_yes for q in check_in.questions if q.on_bare_yes
    }
    unknown = sorted(name for name in named if name not in FINDINGS)
    if unknown:
        raise ValueError(f"{path.name} names findings that bot/findings.py does not define: {unknown}")
    validate_findings({"location": list(check_in.body_parts)})
    return check_in


@functools.lru_cache(maxsize=1)
def check_in() -> CheckIn:
    """The project's check-in, read once per process."""
    return load_check_in()
