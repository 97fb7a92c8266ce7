"""The symptom check-in: which question comes next, and what a free-text answer says.

The questions are data (data/check_in.yml). An answer is read by the free-text extractor (bot/extract.py,
with the words of data/lexicon.yml), told which findings the question asked about so that short answers
("a cut", "my calf", "3 weeks") count. Whole answers such as "none of these", "I don't know", "skip" and
"why?" are recognised first. This module knows nothing of Rasa.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from bot.amounts import as_number, parse_amount, parse_duration_days
from bot.extract import extract
from bot.findings import FINDINGS, LIST
from bot.wording import templates, wording

CHECK_IN_FILE = Path(__file__).resolve().parent.parent / "data" / "check_in.yml"

ANSWERED, UNKNOWN, WHY, UNCLEAR, NAME_THEM = "answered", "unknown", "why", "unclear", "name_them"
# How the conversation layer names the check-in: one form, one slot per question (domain.yml lists them).
# The slots keep their older spelling, `checkin_<question id>` (and the form asks each with
# `utter_ask_checkin_<question id>`): they are named in domain.yml, data/ and every stored conversation.
FORM_NAME = "check_in_form"
SLOT_PREFIX = "checkin_"


def question_slot(question_id: str) -> str:
    return f"{SLOT_PREFIX}{question_id}"


EMERGENCY_FINDINGS = ("breathing_difficulty", "sudden_weakness", "seizure", "unspecified_emergency_sign")


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    text: str
    why: str
    findings: tuple[str, ...]
    buttons: tuple[Mapping[str, str], ...]
    needed: tuple[str, ...] = ()  # once these are known the question is skipped (default: all findings)
    ranges: str = "high"
    zero: re.Pattern[str] | None = None
    on_bare_yes: str | None = None


@dataclass(frozen=True)
class Interpretation:
    """What one answer said: a status, the findings that answer the question, and anything else it
    mentioned on the way ("yes, and my vision is blurry"). Merge both into what is known."""

    status: str
    findings: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckIn:
    intro: str
    questions: tuple[Question, ...]
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
            if q.id not in answered and not all(name in findings for name in q.needed or q.findings)
        ]

    def _whole(self, kind: str, text: str) -> bool:
        return bool(self.answers[kind].fullmatch(text))

    def says(self, kind: str, answer: str) -> bool:
        """Whether the whole answer is one of `kind`'s words ("none", "unsure", "bare_yes", ...)."""
        return self._whole(kind, normalise(answer))

    def interpret(self, question: Question, answer: str) -> Interpretation:
        """Reads one free-text (or button) answer to `question`."""
        text = normalise(answer)
        if not text:
            return Interpretation(UNCLEAR)
        if self._whole("why", text):
            return Interpretation(WHY)
        if self._whole("unsure", text) or self._whole("skip", text):
            return Interpretation(UNKNOWN)
        if self._whole("none", text) and question.kind == "items":
            return Interpretation(ANSWERED, _all_said_no(question))
        stated = dict(extract(answer, answering=question.findings).findings)
        found = {name: value for name, value in stated.items() if name in question.findings}
        extra = {name: value for name, value in stated.items() if name not in question.findings}
        if not found:
            found = self._fallback(question, text)
        if found:
            return Interpretation(ANSWERED, found, extra)
        if question.kind == "items" and self._whole("bare_yes", text):
            if question.on_bare_yes:
                return Interpretation(ANSWERED, {question.on_bare_yes: True}, extra)
            return Interpretation(NAME_THEM, {}, extra)
        return Interpretation(UNCLEAR, {}, extra)

    @staticmethod
    def _fallback(question: Question, text: str) -> dict[str, Any]:
        """Answers that are only a number or a length of time ("about 6", "2-3 weeks")."""
        if question.kind == "duration":
            days = parse_duration_days(text)
            return {} if days is None else {"duration_days": days}
        if question.kind != "number":
            return {}
        name = question.findings[0]
        value = parse_amount(text, question.ranges)
        if value is None and question.zero is not None and question.zero.search(text):
            value = 0
        spec = FINDINGS[name]
        if value is None or (spec.minimum is not None and value < spec.minimum):
            return {}
        if spec.maximum is not None and value > spec.maximum:
            return {}
        return {name: value}


def normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").strip()
    return re.sub(r"\s+", " ", re.sub(r"[!?.…]+$", "", text)).strip()


def _all_said_no(question: Question) -> dict[str, Any]:
    return {name: [] if FINDINGS[name].kind == LIST else False for name in question.findings}


def _alternatives(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")(?!\w)")


def _whole_alternatives(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?:" + "|".join(f"(?:{p})" for p in patterns) + r")[ ,.!]*(?:thanks?( you)?)?")


def _question(raw: Mapping[str, Any]) -> Question:
    return Question(
        id=raw["id"],
        kind=raw["kind"],
        text=" ".join(raw["text"].split()),
        why=" ".join(raw["why"].split()),
        findings=tuple(raw["findings"]),
        buttons=tuple(raw.get("buttons") or ()),
        needed=tuple(raw.get("skip_when_known") or ()),
        ranges=raw.get("ranges", "high"),
        zero=_alternatives(raw["zero"]) if raw.get("zero") else None,
        on_bare_yes=raw.get("on_bare_yes"),
    )


def load_check_in(path: Path = CHECK_IN_FILE) -> CheckIn:
    """Reads the check-in and checks that every finding it names exists in the vocabulary."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    check_in = CheckIn(
        intro=" ".join(raw["intro"].split()),
        questions=tuple(_question(q) for q in raw["questions"]),
        answers={kind: _whole_alternatives(patterns) for kind, patterns in raw["answers"].items()},
    )
    named = {name for q in check_in.questions for name in q.findings} | {
        q.on_bare_yes for q in check_in.questions if q.on_bare_yes
    }
    unknown = sorted(name for name in named if name not in FINDINGS)
    if unknown:
        raise ValueError(f"{path.name} names findings that bot/findings.py does not define: {unknown}")
    return check_in


@functools.lru_cache(maxsize=1)
def check_in() -> CheckIn:
    """The project's check-in, read once per process."""
    return load_check_in()


def spoken_duration(days: float) -> str:
    if days < 14:
        return wording("understood_days", count=as_number(days))
    if days < 60:
        return wording("understood_weeks", count=round(days / 7))
    return wording("understood_months", count=round(days / 30))


def _all_of(items: list[str]) -> str:
    """The items as a person lists them: "a and b and c"."""
    said = items[0]
    for item in items[1:]:
        said = wording("list_and", first=said, second=item)
    return said


def _spoken_place(part: str, side: str | None) -> str:
    place = wording("place_all_over") if part == "whole_body" else part
    return wording("place_on_one_side", side=side, place=place) if side in ("left", "right") else place


def _spoken_value(kind: str, value: str) -> str:
    """A value in words (understood_<kind>_<value> of data/wording.yml), else its name in bot/findings.py."""
    name = f"understood_{kind}_{value}"
    return wording(name) if name in templates() else value.replace("_", " ")


def understood(findings: Mapping[str, Any], sides: Mapping[str, str] | None = None) -> str:
    """What the assistant understood, in the person's terms: "left calf, about 3 weeks, no weakness"."""
    sides = sides or {}
    parts: list[str] = []
    for name, spec in FINDINGS.items():  # in the vocabulary's order: where, how long, how often first
        if name not in findings:
            continue
        value = findings[name]
        if name == "location":
            parts.append(_all_of([_spoken_place(part, sides.get(part)) for part in value]))
        elif name == "duration_days":
            parts.append(spoken_duration(value))
        elif name == "frequency":
            parts.append(_spoken_value("frequency", value))
        elif name == "caffeine_cups_per_day":
            parts.append(wording("understood_caffeine", cups=f"{value:g}"))
        elif name == "sleep_hours":
            parts.append(wording("understood_sleep", hours=f"{value:g}"))
        elif name == "medications":
            medicines = [_spoken_value("medicine", m) for m in value]
            taking = wording("understood_taking", medicines=_all_of(medicines)) if medicines else None
            parts.append(taking or wording("understood_no_medicines"))
        elif spec.kind == "bool":
            parts.append(spec.label if value else wording("understood_not", label=spec.label))
    return ", ".join(parts)
