"""The findings vocabulary: every fact TwitchCheck can learn about a person's twitching, written once.

Rasa slots, the extractor, the triage rules and the CLI all read names, kinds and allowed values from
here; what the check-in asks about each finding, and why, is in data/check_in.yml, and how a reply names
it in data/wording.yml. A yes/no finding is three-valued: true, false (the person said no) or absent (not
known yet).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping, Union

from bot.wording import wording

BOOL, NUMBER, CHOICE, LIST = "bool", "number", "choice", "list"
# Each finding's name in a reply is data/wording.yml's entry of this prefix and the finding's name.
LABEL_PREFIX = "finding_"

BODY_PARTS = (
    "eyelid",
    "face",
    "lip",
    "tongue",
    "jaw",
    "neck",
    "shoulder",
    "arm",
    "hand",
    "finger",
    "thumb",
    "back",
    "chest",
    "abdomen",
    "leg",
    "thigh",
    "calf",
    "foot",
    "toe",
    "whole_body",
)
FREQUENCIES = ("occasional", "daily", "constant")
MEDICATION_CLASSES = (
    "diuretic",
    "steroid",
    "antidepressant",
    "anti_seizure",
    "blood_pressure",
    "antibiotic",
    "anaesthetic",
    "proton_pump_inhibitor",
    "other",
)

FindingValue = Union[bool, float, int, str, tuple]
Findings = Mapping[str, FindingValue]
"""Validated findings: a read-only mapping holding only known findings; lists become tuples."""


class FindingsError(ValueError):
    """Findings with unknown names, wrong types or values; `problems` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid findings: " + "; ".join(problems))


@dataclass(frozen=True)
class Finding:
    name: str
    kind: str
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    @property
    def label(self) -> str:
        """How a reply names the finding ("muscle weakness"): data/wording.yml's `finding_<name>`."""
        return wording(f"{LABEL_PREFIX}{self.name}")


def _yes_no(name: str) -> Finding:
    return Finding(name, BOOL)


TWITCH = (
    Finding("location", LIST, BODY_PARTS),
    Finding("duration_days", NUMBER, minimum=0),
    Finding("frequency", CHOICE, FREQUENCIES),
    _yes_no("when_falling_asleep"),
)
EMERGENCY_SCREEN = (
    _yes_no("unspecified_emergency_sign"),
    _yes_no("breathing_difficulty"),
    _yes_no("sudden_weakness"),
    _yes_no("seizure"),
    _yes_no("wound_or_bite"),
    _yes_no("jaw_or_neck_stiffness"),
)
RED_FLAGS = (
    _yes_no("weakness"),
    _yes_no("muscle_wasting"),
    _yes_no("speech_change"),
    _yes_no("swallowing_difficulty"),
    _yes_no("vision_change"),
    _yes_no("numbness"),
    _yes_no("balance_problems"),
    _yes_no("spreading"),
    _yes_no("cramps"),
    _yes_no("systemic_symptoms"),
    _yes_no("fever"),
    _yes_no("palpitations"),
    _yes_no("family_history"),
    # Signs from NICE guidelines NG42 (motor neurone disease) and NG127 (suspected neurological conditions)
    # that the articles do not cover; data/red_flags.yml cites the guideline for each.
    _yes_no("falls_or_tripping"),
    _yes_no("dexterity_loss"),
    _yes_no("muscle_stiffness"),
    _yes_no("breathless_lying_flat_or_on_exertion"),
    _yes_no("morning_headaches"),
    _yes_no("daytime_sleepiness"),
    _yes_no("behaviour_or_thinking_change"),
    _yes_no("eyelid_forceful_closing"),
)
HABITS = (
    Finding("caffeine_cups_per_day", NUMBER, minimum=0),
    _yes_no("nicotine"),
    _yes_no("stimulants"),
    Finding("sleep_hours", NUMBER, minimum=0, maximum=24),
    _yes_no("stress"),
    _yes_no("hard_exercise"),
    _yes_no("dehydrated"),
    _yes_no("b6_supplements"),
    Finding("medications", LIST, MEDICATION_CLASSES),
)

GROUPS: Mapping[str, tuple[Finding, ...]] = MappingProxyType(
    {"twitch": TWITCH, "emergency_screen": EMERGENCY_SCREEN, "red_flags": RED_FLAGS, "habits": HABITS}
)
# Every finding the assistant knows, by name: the vocabulary the extractor, the check-in and triage share.
FINDINGS: Mapping[str, Finding] = MappingProxyType(
    {finding.name: finding for group in GROUPS.values() for finding in group}
)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _problem(finding: Finding, value: Any) -> str | None:
    """Why `value` is not allowed for `finding`, or None when it is."""
    got = f"got {value!r}"
    if finding.kind == BOOL:
        return None if isinstance(value, bool) else f"'{finding.name}' must be true or false, {got}"
    if finding.kind == NUMBER:
        if not _is_number(value):
            return f"'{finding.name}' must be a number, {got}"
        if finding.minimum is not None and value < finding.minimum:
            return f"'{finding.name}' must be at least {finding.minimum:g}, {got}"
        if finding.maximum is not None and value > finding.maximum:
            return f"'{finding.name}' must be at most {finding.maximum:g}, {got}"
        return None
    allowed = ", ".join(finding.values)
    if finding.kind == CHOICE:
        ok = isinstance(value, str) and value in finding.values
        return None if ok else f"'{finding.name}' must be one of {allowed}, {got}"
    if not isinstance(value, list | tuple):
        return f"'{finding.name}' must be a list of {allowed}, {got}"
    unknown = [item for item in value if not isinstance(item, str) or item not in finding.values]
    return f"'{finding.name}' has unknown values {unknown!r} (allowed: {allowed})" if unknown else None


def _unknown_name(name: Any) -> str:
    close = difflib.get_close_matches(str(name), list(FINDINGS), n=1)
    return f"unknown finding {name!r}" + (f" (did you mean '{close[0]}'?)" if close else "")


def validate_findings(raw: Mapping[str, Any]) -> Findings:
    """Checks raw findings against the vocabulary and returns them read-only.

    None counts as absent (not known yet) and is dropped; list values are de-duplicated into tuples.
    Raises FindingsError naming every unknown finding and every wrong type or value at once.
    """
    if not isinstance(raw, Mapping):
        raise FindingsError([f"findings must be an object of name: value pairs, got {type(raw).__name__}"])
    problems: list[str] = []
    clean: dict[str, FindingValue] = {}
    for name, value in raw.items():
        finding = FINDINGS.get(name) if isinstance(name, str) else None
        if finding is None:
            problems.append(_unknown_name(name))
        elif value is not None:
            problem = _problem(finding, value)
            if problem:
                problems.append(problem)
            else:
                clean[name] = tuple(dict.fromkeys(value)) if finding.kind == LIST else value
    if problems:
        raise FindingsError(problems)
    return MappingProxyType(clean)
