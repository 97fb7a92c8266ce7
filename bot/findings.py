"""The findings vocabulary: every fact TwitchCheck can learn about a person's twitching, written once.

Rasa slots, the extractor, the triage rules and the CLI all read names, kinds and allowed values from
here. A yes/no finding is three-valued: true, false (the person said no) or absent (not known yet).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping, Union

BOOL, NUMBER, CHOICE, LIST = "bool", "number", "choice", "list"

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
    label: str
    question: str
    why: str
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


def _yes_no(name: str, label: str, question: str, why: str) -> Finding:
    return Finding(name, BOOL, label, question, why)


TWITCH = (
    Finding(
        "location",
        LIST,
        "where the twitching is",
        "Where in your body do you feel the twitching?",
        "Some places, such as the tongue, matter more than others.",
        BODY_PARTS,
    ),
    Finding(
        "duration_days",
        NUMBER,
        "how long it has lasted",
        "For how many days has it been going on?",
        "Twitching that lasts two weeks or more is worth showing to a doctor.",
        minimum=0,
    ),
    Finding(
        "frequency",
        CHOICE,
        "how often it happens",
        "Is it occasional, daily or constant?",
        "Constant twitching in one spot is worth a check-up.",
        FREQUENCIES,
    ),
    _yes_no(
        "when_falling_asleep",
        "jerks as you fall asleep",
        "Does it mostly happen as you are drifting off to sleep?",
        "Jolts while falling asleep are usually normal sleep starts.",
    ),
)
EMERGENCY_SCREEN = (
    _yes_no(
        "unspecified_emergency_sign",
        "one of the emergency signs, not said which",
        "Do you have any of the emergency signs right now?",
        "Someone who says yes to the emergency screen gets emergency advice at once, whichever sign it is.",
    ),
    _yes_no(
        "breathing_difficulty",
        "trouble breathing",
        "Are you having any trouble breathing?",
        "Trouble breathing needs emergency help, so we ask it first.",
    ),
    _yes_no(
        "sudden_weakness",
        "sudden one-sided weakness or face drooping",
        "Have you had sudden weakness on one side, or has one side of your face dropped?",
        "These can be signs of a stroke, which needs emergency help.",
    ),
    _yes_no(
        "seizure",
        "a seizure",
        "Have you had a seizure or a fit?",
        "A seizure needs emergency help, especially if it is your first.",
    ),
    _yes_no(
        "wound_or_bite",
        "a recent wound, bite or tick",
        "Have you had a serious wound, bite or tick bite recently?",
        "Some infections from wounds or ticks can affect muscles and nerves.",
    ),
    _yes_no(
        "jaw_or_neck_stiffness",
        "a stiff or locked jaw or neck",
        "Is your jaw or neck stiff or hard to move?",
        "After a wound, a stiff jaw or neck can be a sign of tetanus.",
    ),
)
RED_FLAGS = (
    _yes_no(
        "weakness",
        "muscle weakness",
        "Have you noticed any weakness, clumsiness or a weaker grip?",
        "Twitching with weakness is the pattern doctors most want to examine.",
    ),
    _yes_no(
        "muscle_wasting",
        "muscle shrinking",
        "Does any muscle look smaller or thinner than before?",
        "Shrinking muscles alongside twitching should be checked by a doctor.",
    ),
    _yes_no(
        "speech_change",
        "changes in speech",
        "Has your speech changed, for example slurred words?",
        "Speech changes can come from the nerves that control the mouth and throat.",
    ),
    _yes_no(
        "swallowing_difficulty",
        "trouble swallowing",
        "Do you have any trouble swallowing?",
        "Swallowing problems can point to nerve trouble and can affect breathing.",
    ),
    _yes_no(
        "vision_change",
        "changes in vision",
        "Has your eyesight changed, such as blurred or double vision?",
        "Vision changes together with twitching point beyond everyday triggers.",
    ),
    _yes_no(
        "numbness",
        "numbness or tingling",
        "Do you have any numbness or loss of feeling?",
        "Loss of feeling suggests the nerves themselves may be involved.",
    ),
    _yes_no(
        "balance_problems",
        "balance or coordination problems",
        "Have you had trouble with balance or coordination?",
        "Balance problems together with twitching deserve an examination.",
    ),
    _yes_no(
        "spreading",
        "twitching that spreads",
        "Is the twitching spreading to new areas?",
        "Twitching that keeps spreading should be looked at.",
    ),
    _yes_no(
        "cramps",
        "muscle cramps",
        "Do you also get muscle cramps?",
        "Cramps with twitching can mean low minerals or, rarely, a nerve problem.",
    ),
    _yes_no(
        "systemic_symptoms",
        "weight loss, night sweats or extreme tiredness",
        "Have you had unexplained weight loss, night sweats or extreme tiredness?",
        "Whole-body symptoms like these can point to an illness behind the twitching.",
    ),
    _yes_no(
        "fever",
        "a fever",
        "Do you have a fever?",
        "A fever suggests an infection, which can affect nerves and muscles.",
    ),
    _yes_no(
        "palpitations",
        "a racing or irregular heartbeat",
        "Have you noticed your heart racing or skipping?",
        "An uneven heartbeat with twitching can mean a mineral imbalance.",
    ),
    _yes_no(
        "family_history",
        "family history of nerve or muscle disease",
        "Does anyone in your family have a neurological condition?",
        "A family history changes how closely a doctor will want to look.",
    ),
    # Signs from NICE guidelines NG42 (motor neurone disease) and NG127 (suspected neurological conditions)
    # that the articles do not cover; data/red_flags.yml cites the guideline for each.
    _yes_no(
        "falls_or_tripping",
        "falls or tripping",
        "Have you been tripping or falling more than you used to?",
        "Trips and falls that are new for you are a sign doctors are asked to notice.",
    ),
    _yes_no(
        "dexterity_loss",
        "dropping things or trouble with buttons or writing",
        "Do you drop things, or find buttons, zips or writing harder than before?",
        "Hands that lose their fine control are worth a doctor's examination.",
    ),
    _yes_no(
        "muscle_stiffness",
        "stiff muscles",
        "Do your muscles feel stiff or hard to move freely?",
        "Stiffness together with twitching is a combination doctors want to examine.",
    ),
    _yes_no(
        "breathless_lying_flat_or_on_exertion",
        "breathlessness when lying flat or with little effort",
        "Do you get out of breath when you lie flat, or after very little effort?",
        "This kind of breathlessness can mean the breathing muscles are working too hard.",
    ),
    _yes_no(
        "morning_headaches",
        "headaches on waking",
        "Do you often wake up with a headache?",
        "Headaches on waking can be a sign of shallow breathing during sleep.",
    ),
    _yes_no(
        "daytime_sleepiness",
        "heavy sleepiness during the day",
        "Are you so sleepy during the day that you nod off?",
        "Heavy daytime sleepiness can come from poor breathing at night.",
    ),
    _yes_no(
        "behaviour_or_thinking_change",
        "changes in behaviour, memory or thinking",
        "Have you, or people close to you, noticed changes in your behaviour, memory or thinking?",
        "Changes in thinking or behaviour alongside muscle symptoms are worth telling a doctor.",
    ),
    _yes_no(
        "eyelid_forceful_closing",
        "eyelid twitching that squeezes the eye shut",
        "Does the eyelid twitch ever squeeze your eye tightly shut?",
        "An eyelid that clamps the eye shut is different from a flicker and worth a doctor's look.",
    ),
)
HABITS = (
    Finding(
        "caffeine_cups_per_day",
        NUMBER,
        "caffeine",
        "How many cups of coffee, tea or energy drinks do you have a day?",
        "Caffeine makes muscles and nerves more excitable.",
        minimum=0,
    ),
    _yes_no(
        "nicotine",
        "nicotine",
        "Do you smoke, vape or use nicotine pouches?",
        "Nicotine is a stimulant that can set off twitching.",
    ),
    _yes_no(
        "stimulants",
        "other stimulants",
        "Do you use pre-workout powders, energy supplements or recreational drugs?",
        "Stimulants make nerves fire more easily.",
    ),
    Finding(
        "sleep_hours",
        NUMBER,
        "sleep",
        "About how many hours do you sleep a night?",
        "Short sleep is one of the most common twitch triggers.",
        minimum=0,
        maximum=24,
    ),
    _yes_no(
        "stress",
        "stress or anxiety",
        "Have you been stressed or anxious lately?",
        "Stress hormones make nerves fire on their own.",
    ),
    _yes_no(
        "hard_exercise",
        "hard exercise",
        "Have you done hard or long exercise recently?",
        "Tired muscles often twitch for a day or two after a big workout.",
    ),
    _yes_no(
        "dehydrated",
        "not drinking enough",
        "Have you been drinking less than usual or sweating a lot?",
        "Losing fluid upsets the salts that keep nerves steady.",
    ),
    _yes_no(
        "b6_supplements",
        "several supplements with vitamin B6",
        "Do you take more than one supplement that contains vitamin B6?",
        "Too much B6 over time can irritate nerves.",
    ),
    Finding(
        "medications",
        LIST,
        "medicines",
        "Which kinds of medicine do you take regularly?",
        "Several kinds of medicine list twitching as a side effect.",
        MEDICATION_CLASSES,
    ),
)

GROUPS: Mapping[str, tuple[Finding, ...]] = MappingProxyType(
    {"twitch": TWITCH, "emergency_screen": EMERGENCY_SCREEN, "red_flags": RED_FLAGS, "habits": HABITS}
)
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
